"""A model that cannot fit the board whatever the fit does is refused before any C is
compiled (tinygen.fit.check_flash_floor, the RAM trade on the estimate): its constants
alone with every layer's smallest kernel over the flash, or its RAM over the part even with
the kernels that lower the arena most and tiling. What the fit can make fit still gets there."""

from __future__ import annotations

import subprocess

import pytest

from test_fit import BLOCK, wide_choice
from tinygen.board import get_board
from tinygen.build.memory import MemoryFitError
from tinygen.cli import main
from tinygen.compiler import compile_source, load_source
from tinygen.fit import _candidates, check_flash_floor, estimated, layer_options, smallest_options
from tinygen.passes import CompileOptions

F746 = get_board("f746zg")

# 3x3 convolutions 256 channels wide at 4x4: 1.3 MiB of int8 weights, more than the
# F746ZG's 1 MiB of flash with any kernel (the widened int16 ones take twice that)
OVER_FLASH = """
import numpy as np
import torch
from torch import nn


def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(64, 256, 3, padding=1), nn.ReLU(), nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(256, 10)).eval()


def example_input():
    return torch.zeros(1, 64, 4, 4)


def calibration_data():
    return np.random.default_rng(0).standard_normal((2, 64, 4, 4)).astype(np.float32)
"""


@pytest.fixture
def no_subprocess(monkeypatch):
    """Fail the test where anything starts a process: a compiler, the linker, make, QEMU."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"a process was started before the refusal: {args[0] if args else kwargs}")
    monkeypatch.setattr(subprocess, "Popen", refuse)


@pytest.mark.parametrize("kernels", [[], ["--kernels", "tinygen"]], ids=["auto", "tinygen"])
def test_build_refuses_weights_over_flash_before_compiling_f746zg(tmp_path, capsys, no_subprocess, kernels):
    """`tinygen build` of a model whose weights exceed the part's flash: the nothing-fits error
    after the Python compile, with no compiler, linker or stand-in run for it."""
    path = tmp_path / "over_flash.py"
    path.write_text(OVER_FLASH)
    out = tmp_path / "out"
    assert main(["build", str(path), "--board", "f746zg", "-o", str(out), "-q", *kernels]) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if x.startswith("tinygen build: error:"))
    assert line.startswith("tinygen build: error: does not fit nucleo-f746zg: flash needs 1.2") and \
        "MiB even with every layer's smallest kernel (int8 weights in flash; its constants alone, before any code), " \
        "more than nucleo-f746zg's 1.00 MiB; most of it: conv_" in line, err
    assert "hint: shrink those layers" in err and "nucleo-f767zi (2.00 MiB)" in err
    assert not out.exists()


def test_build_refuses_ram_over_the_budget_before_compiling_f746zg(tmp_path, capsys, no_subprocess):
    """RAM: the 8 KiB stack alone fills an 8 KiB --ram-budget, so no kernel or tiling can fit
    it: refused on the prediction, before any C is compiled (auto: before it measures) and
    before the RAM trade's recompiles."""
    from e2e import EXAMPLES

    out = tmp_path / "out"
    assert main(["build", str(EXAMPLES / "dscnn.py"), "--board", "f746zg", "--ram-budget", "8K",
                 "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "error: does not fit nucleo-f746zg: RAM needs" in err and \
        "the budget (--ram-budget) is 8.0 KiB of the part's 320.0 KiB" in err and "stack 8.0 KiB" in err, err
    assert not out.exists()


@pytest.fixture(scope="module")
def wide_block(tmp_path_factory):
    """BLOCK compiled with the int16-weight kernels (tests/fit/test_fit.py): 567 KiB of constants,
    385 KiB with int8 weights in flash."""
    path = tmp_path_factory.mktemp("floor") / "block.py"
    path.write_text(BLOCK)
    source = load_source(path)
    plain = compile_source(source, None, CompileOptions(features=F746.isa_features, kernels="tinygen"))
    wide = wide_choice(plain, F746.isa_features, "tinygen")
    options = CompileOptions(features=F746.isa_features, kernels="tinygen", kernel_choice=wide)
    return compile_source(source, None, options), options


def test_flash_floor_is_the_smallest_constants_not_the_chosen(wide_block):
    """A budget under the chosen (widened) constants but over the smallest: not refused, the fit
    trades there (tests/fit/test_fit.py); under the smallest: refused with that figure."""
    graph, options = wide_block
    candidates = _candidates(options)
    layers = layer_options(graph, candidates, {})
    chosen = sum(layer.option(graph.node(layer.node).kernel).flash for layer in layers)
    smallest = sum(o.flash for o in smallest_options(layers).values())
    weights = estimated(graph, F746).weights
    assert smallest < chosen
    floor = weights - chosen + smallest
    check_flash_floor(graph, F746.with_budget(flash=floor), candidates)
    check_flash_floor(graph, F746.with_budget(flash=(floor + weights) // 2), candidates)
    with pytest.raises(MemoryFitError) as e:
        check_flash_floor(graph, F746.with_budget(flash=floor - 1), candidates)
    assert f"flash needs {floor / 1024:.1f} KiB even with every layer's smallest kernel" in e.value.message
    assert "the --flash-budget of" in e.value.message and "raise --flash-budget" in e.value.hint


def test_build_refuses_ram_over_the_lean_arena_before_compiling_f746zg(tmp_path, capsys, no_subprocess):
    """A budget above the stack and runtime but below the arena the leanest kernels plan
    (--tile off: no tiling to try): refused after the Python recompile, before any C."""
    from e2e import EXAMPLES

    out = tmp_path / "out"
    assert main(["build", str(EXAMPLES / "dscnn.py"), "--board", "f746zg", "--ram-budget", "12K", "--tile", "off",
                 "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "error: does not fit nucleo-f746zg: RAM needs" in err and \
        "the budget (--ram-budget) is 12.0 KiB of the part's 320.0 KiB, even with the kernels that lower the " \
        "arena most (arena " in err, err
    assert not out.exists()
