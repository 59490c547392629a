"""Fit first (tinygen/fit/): kernels chosen to fit the board's flash, the trade by
instructions per flash byte, the error when nothing fits, budgets, determinism, caching."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from e2e import assert_device_equals_reference
from test_memory_fit import BIG_FC
from tinygen.board import get_board
from tinygen.build.memory import MemoryFitError
from tinygen.cli import main
from tinygen.compiler import compile_source, load_source
from tinygen.fit import LayerOptions, Option, fit_model, trade
from tinygen.fit.measure_cache import MeasurementCache
from tinygen.passes import CompileOptions

F446 = get_board("f446re")
F746 = get_board("f746zg")

# A residual block of 3x3 convolutions 144 channels wide at 8x8: 385 KiB of int8 weights.
# The fastest kernels keep the fused conv + add's weights widened to int16 (+182 KiB), more
# than the F446RE's 512 KiB of flash; with int8 weights in flash it fits.
BLOCK = """
import numpy as np
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.relu1 = nn.Conv2d(c, c, 3, 1, 1), nn.ReLU()
        self.conv2, self.relu2 = nn.Conv2d(c, c, 3, 1, 1), nn.ReLU()

    def forward(self, x):
        return self.relu2(self.conv2(self.relu1(self.conv1(x))) + x)


def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(16, 144, 3, 1, 1), nn.ReLU(), Block(144), nn.AvgPool2d(8), nn.Flatten(),
                         nn.Linear(144, 10)).eval()


def example_input():
    return torch.zeros(1, 16, 8, 8)


def calibration_data():
    return np.random.default_rng(0).standard_normal((4, 16, 8, 8)).astype(np.float32)
"""

@pytest.fixture(scope="module")
def block(tmp_path_factory):
    path = tmp_path_factory.mktemp("fit") / "block.py"
    path.write_text(BLOCK)
    return load_source(path)


# the kernels with weights widened to int16 in flash, where a layer can take them (as --kernels
# auto picks them where it measures them fastest), the fastest first (the 4-pixel blocks, where they
# serve: the direct kernels' flash, fewer instructions); tinygen's preferred ones keep int8 weights
WIDE = {"conv2d": ("tg_conv2d_rows4_w16_s8_dsp", "tg_conv2d_direct_s8_dsp"),
        "conv2d_add": ("tg_conv2d_add_rows4_w16_s8_dsp", "tg_conv2d_add_s8_dsp")}


def wide_choice(plain, features, kernels: str) -> dict[str, str]:
    """Per layer that takes one, the first of WIDE's int16-weight kernels among its candidates."""
    from tinygen.passes.choose_kernels import kernel_candidates

    choice = {}
    for n in (n for n in plain.nodes if n.op in WIDE):
        names = [k.name for k in kernel_candidates(plain, n, features, kernels)]
        first = next((k for k in WIDE[n.op] if k in names), None)
        if first is not None:
            choice[n.name] = first
    return choice


def fitted(source, board, kernels="tinygen"):
    """The model fitted to the board, starting from the int16-weight kernels on every layer
    that takes one (the fastest on these layers: the trade's starting point)."""
    options = CompileOptions(features=board.isa_features, kernels=kernels)
    plain = compile_source(source, None, options)
    wide = wide_choice(plain, options.features, kernels)
    options = CompileOptions(features=board.isa_features, kernels=kernels, kernel_choice=wide)
    return fit_model(source, None, options, board, compile_source(source, None, options))


def test_trade_keeps_widened_weights_where_they_save_most_per_byte():
    # a: widening saves 1000 instructions for 100 B; b: 10 instructions for 100 B; c: no choice
    layers = [LayerOptions("a", "conv2d", (Option("wide", 200, 1000), Option("narrow", 100, 2000))),
              LayerOptions("b", "conv2d", (Option("wide", 200, 1000), Option("narrow", 100, 1010))),
              LayerOptions("c", "add", (Option("add", 0, 50),))]
    chosen = {"a": "wide", "b": "wide", "c": "add"}
    got = trade(layers, chosen, 100)
    assert {n: o.kernel for n, o in got.items()} == {"a": "wide", "b": "narrow", "c": "add"}
    assert {n: o.kernel for n, o in trade(layers, chosen, 150).items()} == {"a": "narrow", "b": "narrow", "c": "add"}
    assert trade(layers, chosen, 201) is None                  # even both narrowed save only 200 B
    assert trade(layers, chosen, 0) == {layer.node: layer.options[0] for layer in layers}


def test_trade_undoes_moves_a_later_bigger_one_made_unneeded():
    # b is cheapest per byte but saves little; a saves enough alone: b goes back to wide
    layers = [LayerOptions("a", "conv2d", (Option("wide", 1000, 100), Option("narrow", 500, 700))),
              LayerOptions("b", "conv2d", (Option("wide", 110, 100), Option("narrow", 100, 101)))]
    got = trade(layers, {"a": "wide", "b": "wide"}, 500)
    assert {n: o.kernel for n, o in got.items()} == {"a": "narrow", "b": "wide"}


def test_block_fits_f446re_only_by_the_trade_and_deterministically(block):
    graph = fitted(block, F446)
    fit = graph.meta["fit"]
    assert fit["flash_fastest"] > F446.region("flash")["size"] >= fit["flash"]["used"], fit
    assert fit["traded"] and fit["instructions_added"] > 0
    assert all(row["flash_saved"] > 0 for row in fit["traded"])
    again = fitted(block, F446)
    assert [(n.name, n.kernel) for n in again.nodes] == [(n.name, n.kernel) for n in graph.nodes]
    assert again.meta["fit"] == fit
    # the F746ZG's 1 MiB holds the fastest kernels: nothing traded
    assert fitted(block, F746).meta["fit"]["traded"] == []


def test_flash_budget_trades_on_the_f746zg(block):
    graph = fitted(block, F746.with_budget(flash=500 * 1024))
    fit = graph.meta["fit"]
    assert fit["budget"] == {"flash": 500 * 1024} and fit["part"] == {"flash": F746.region("flash")["size"]}
    assert fit["flash"]["capacity"] == 500 * 1024
    assert fit["traded"] and fit["flash"]["used"] <= 500 * 1024


def test_block_fits_any_budget_its_smallest_combination_fits(block):
    """Down to the smallest kernels' prediction a budget is met (an estimate's margin for code
    given up at the end: the linker decides); below it the nothing-fits error, whose figure is that bound."""
    with pytest.raises(MemoryFitError) as e:
        fitted(block, F746.with_budget(flash=200 * 1024))
    # far below: refused before any C is compiled, on the constants alone (tinygen.fit.check_flash_floor)
    assert "its constants alone, before any code" in e.value.message, e.value.message
    floor = float(re.search(r"flash needs ([\d.]+) KiB even with", e.value.message)[1]) * 1024
    with pytest.raises(MemoryFitError) as e:
        fitted(block, F746.with_budget(flash=int(floor) + 1024))
    # above the constants the smallest combination's link decides, and its figure is the bound
    assert "compiled and linked" in e.value.message, e.value.message
    need = float(re.search(r"flash needs ([\d.]+) KiB even with", e.value.message)[1]) * 1024
    assert need > floor + 1024
    tight = F746.with_budget(flash=int(need) + 1024)
    fit = fitted(block, tight).meta["fit"]
    assert fit["traded"] and fit["flash"]["used"] <= int(need) + 1024
    # an estimated prediction gives up its margin for code at the end; a compiled one has none
    assert fit["margin"] == 0 or int(need) + 1024 < fit["flash"]["used"] + fit["margin"]
    with pytest.raises(MemoryFitError, match="even with every layer's smallest kernel"):
        fitted(block, F746.with_budget(flash=int(need) - 1024))


def test_check_before_measuring_refuses_where_the_fit_refuses(block):
    """tinygen.fit.autotune.check_fit (before --kernels auto measures) decides on the smallest
    combination's own link, as the fit step does: it refuses the budget the fit refuses, with
    the same linked figure, and passes a budget that combination fits, which the fit then meets."""
    from tinygen.fit.autotune import check_fit

    plain = compile_source(block, None, CompileOptions(features=F746.isa_features, kernels="tinygen"))
    wide = wide_choice(plain, F746.isa_features, "tinygen")
    options = CompileOptions(features=F746.isa_features, kernels="tinygen", kernel_choice=wide)
    graph = compile_source(block, None, options)
    far = F746.with_budget(flash=200 * 1024)           # under the constants alone: refused before any C
    with pytest.raises(MemoryFitError) as checked:
        check_fit(block, graph, far, options)
    with pytest.raises(MemoryFitError) as fitted_error:
        fit_model(block, None, options, far, graph)
    assert "its constants alone, before any code" in checked.value.message, checked.value.message
    assert checked.value.message == fitted_error.value.message
    floor = float(re.search(r"flash needs ([\d.]+) KiB even with", checked.value.message)[1]) * 1024
    small = F746.with_budget(flash=int(floor) + 1024)  # over the constants, under the smallest link
    with pytest.raises(MemoryFitError) as checked:
        check_fit(block, graph, small, options)
    with pytest.raises(MemoryFitError) as fitted_error:
        fit_model(block, None, options, small, graph)
    assert "compiled and linked" in checked.value.message, checked.value.message
    assert checked.value.message == fitted_error.value.message
    need = float(re.search(r"flash needs ([\d.]+) KiB even with", checked.value.message)[1]) * 1024
    tight = F746.with_budget(flash=int(need) + 1024)
    check_fit(block, graph, tight, options)
    assert fit_model(block, None, options, tight, graph).meta["fit"]["flash"]["used"] <= int(need) + 1024


def test_ram_budget_is_checked_by_the_build(tmp_path, capsys):
    from e2e import EXAMPLES

    rc = main(["build", str(EXAMPLES / "dscnn.py"), "--board", "f446re", "--kernels", "tinygen",
               "--ram-budget", "8K", "-o", str(tmp_path / "out"), "-q"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "RAM needs" in err and "the budget (--ram-budget) is 8.0 KiB of the part's 128.0 KiB" in err, err
    assert not (tmp_path / "out").exists()


def test_model_that_fits_nowhere_names_the_smallest_need_and_its_layers(tmp_path, capsys):
    path = tmp_path / "big_fc.py"
    path.write_text(BIG_FC)
    with pytest.raises(MemoryFitError) as e:
        fitted(load_source(path), F446)
    message = str(e.value)
    assert "does not fit nucleo-f446re: flash needs" in message and "even with every layer's smallest kernel" in message
    assert re.search(r"most of it: fc_0 \(fully_connected\) 60\d\.\d KiB", message), message
    assert "nucleo-f746zg" in e.value.hint
    assert main(["inspect", str(path), "--board", "f446re", "--kernels", "tinygen"]) == 1
    assert "even with every layer's smallest kernel" in capsys.readouterr().err


def test_budget_above_the_part_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "big_fc.py"
    path.write_text(BIG_FC)
    assert main(["inspect", str(path), "--board", "f446re", "--flash-budget", "600K"]) == 2
    assert "--flash-budget 614400 B is not within nucleo-f446re's 524288 B of flash" in capsys.readouterr().err


def test_budget_sizes_parse_in_bytes_k_and_m():
    import argparse

    from tinygen.cli.common import parse_bytes

    assert parse_bytes("409600") == parse_bytes("400K") == parse_bytes("400 KiB") == 400 * 1024
    assert parse_bytes("0.5M") == 512 * 1024
    for bad in ("", "-1K", "0", "4G", "lots"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_bytes(bad)


def test_portable_kernels_that_fit_nowhere_get_the_same_error(tmp_path):
    path = tmp_path / "big_fc.py"
    path.write_text(BIG_FC)
    with pytest.raises(MemoryFitError, match="even with every layer's smallest kernel"):
        fitted(load_source(path), F446, kernels="portable")


def test_auto_trade_uses_cached_counts_and_measures_nothing_the_second_time(block, tmp_path):
    from test_autotune import FakeStandin

    from tinygen.fit.autotune import compile_auto

    options = CompileOptions(features=F446.isa_features, kernels="auto")
    cache = tmp_path / "cache.json"
    fake = FakeStandin(seed=1)
    first = fit_model(block, None, options, F446, compile_auto(block, None, options, F446, measure=fake,
                                                               cache=MeasurementCache(cache)))
    calls = fake.calls
    assert calls > 0 and first.meta["fit"]["flash"]["used"] <= F446.region("flash")["size"]
    second = fit_model(block, None, options, F446, compile_auto(block, None, options, F446, measure=fake,
                                                                cache=MeasurementCache(cache)))
    assert fake.calls == calls, "the second build measured again"
    assert second.meta["fit"] == first.meta["fit"]
    assert [(n.name, n.kernel) for n in second.nodes] == [(n.name, n.kernel) for n in first.nodes]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="needs arm-none-eabi-gcc and qemu-system-arm (make toolchain installs them)")
def test_block_traded_for_flash_runs_bit_exact_on_the_f446re_standin(block, tmp_path):
    """Built by the CLI's default path (fit first), linked within the real part's flash, run on mps2-an386."""
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    graph = fitted(block, F446)
    assert graph.meta["fit"]["traded"]
    result = build(block, graph, F446, tmp_path / "fw")
    assert result.manifest["fit"] == graph.meta["fit"]
    linked = result.manifest["memory"]["firmware.elf"]["flash"]
    assert linked["used"] <= linked["capacity"] == F446.region("flash")["size"]
    rng = np.random.default_rng(5)
    size = graph.tensor(graph.inputs[0]).size
    with open_device(F446, result.out_dir, emulate=True) as dev:
        for k in range(2):
            x = rng.integers(-128, 128, size=size, dtype=np.int8)
            assert_device_equals_reference(dev, graph, x, f"input {k}")


def test_pinned_tiling_recompiles_row_bands_as_row_bands():
    """The fit's recompiles keep the tiling the RAM step found: row bands (grid recorded as
    (bands, 1)) stay bands, never recompute tiles of that grid."""
    from tinygen.fit.ram import pinned_tiling
    from tinygen.ir import Graph

    g = Graph("g")
    assert pinned_tiling(g) is None
    g.meta["tile"] = {"applied": True, "mode": "bands", "split": "add_24", "grid": (8, 1)}
    assert pinned_tiling(g) == ("add_24", "bands", 8)
    g.meta["tile"] = {"applied": True, "mode": "tiles", "split": "add_24", "grid": [2, 4]}
    assert pinned_tiling(g) == ("add_24", (2, 4))
    g.meta["tile"] = {"applied": False, "why": "the peak is in the last layers"}
    assert pinned_tiling(g) is None
