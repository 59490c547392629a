"""--weights-in (issue 72): the constants whose flash reads cost most, moved into the RAM the
build leaves. The choice by cycles saved per byte within the RAM left, the refusal and the
fallback when RAM is short, the memory prediction and the cycle estimate that count them,
the emitted C (initialized data in .data.tg_weights), and a stand-in run bit-exact with
every constant in RAM."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from e2e import example_source, first_difference, random_inputs
from tflite_recurrent_cases import lstm_model
from tinygen.board import get_board
from tinygen.build.memory import MemoryFitError, WEIGHTS_RAM_PART, predict
from tinygen.codegen.weights_ram import META, SECTION, layer_constants
from tinygen.compiler import build, compile_source, load_source
from tinygen.cycles.weight_reads import graph_weight_reads
from tinygen.errors import UsageError
from tinygen.cycles import cortex_m4, cortex_m7
from tinygen.fit.weights_ram import RAM_MARGIN, check_mode, fitted_scale, place_weights, ram_room
from tinygen.passes import CompileOptions

F746 = get_board("f746zg")


@pytest.fixture(scope="module")
def cnn():
    source = example_source("cnn")
    return source, compile_source(source, options=CompileOptions(features=F746.isa_features))


def _constant_bytes(graph, layers) -> int:
    return sum({t: b for n in graph.nodes if n.name in layers for t, b in layer_constants(graph, n).items()}.values())


def test_auto_moves_by_cycles_per_byte_and_prices_them_at_zero(cnn):
    _, graph = cnn
    timing = F746.raw["timing"]
    before = graph_weight_reads(place_weights(graph, F746, "flash"), timing)
    assert META not in graph.meta and all(r.cycles > 0 for r in before.values())
    placed = place_weights(graph, F746, "auto").meta[META]
    # room for all of them on the F746: every layer whose reads cost cycles moves, best per byte first
    assert placed.layers == set(before) and placed.nbytes == _constant_bytes(graph, before)
    ratios = [m.per_byte for m in placed.moved]
    assert ratios == sorted(ratios, reverse=True)
    assert {m.name: m.cycles for m in placed.moved} == {name: r.cycles for name, r in before.items()}
    after = graph_weight_reads(graph, timing)
    assert all(r.in_ram and r.cycles == 0 for r in after.values())
    assert [r.line_misses for r in after.values()] == [r.line_misses for r in before.values()]


@pytest.mark.parametrize("board, core", [("f746zg", cortex_m7), ("f446re", cortex_m4)])
def test_the_report_gives_the_saving_as_the_fitted_estimate_prices_it(cnn, board, core):
    """The placement weighs flash reads at the part's wait states; its report also gives what the cycle
    estimate makes of them, scaled by the core model's fitted memory_scale (0 on the Cortex-M7)."""
    source, _ = cnn
    b = get_board(board)
    graph = place_weights(compile_source(source, options=CompileOptions(features=b.isa_features)), b, "auto")
    placed = graph.meta[META]
    assert placed.fit_scale == fitted_scale(b) == core.FIT["memory_scale"] != 1.0
    saved = sum(m.cycles for m in placed.moved)
    assert saved > 0
    head = placed.lines()[0]
    assert f"{saved:,.0f} flash read cycles saved per inference at the part's wait states" in head
    assert f", {placed.fit_scale * saved:,.0f} in the estimate" in head


def test_no_fitted_scale_without_a_timing_model():
    assert fitted_scale(get_board("esp32-s3")) is None and fitted_scale(get_board("host")) is None


def test_prediction_counts_them_in_ram_not_twice_in_flash(cnn):
    _, graph = cnn
    flash_only = predict(place_weights(graph, F746, "flash"), F746, 1000)
    moved = predict(place_weights(graph, F746, "auto"), F746, 1000)
    n = graph.meta[META].nbytes
    assert moved.regions["ram"].parts[WEIGHTS_RAM_PART] == n and moved.weights_ram == n
    assert moved.regions["ram"].used == flash_only.regions["ram"].used + n
    assert moved.regions["flash"].used == flash_only.regions["flash"].used
    assert ram_room(graph, F746) == flash_only.regions["ram"].capacity - flash_only.regions["ram"].used - RAM_MARGIN


def test_auto_keeps_in_flash_what_the_ram_budget_leaves_no_room_for(cnn):
    _, graph = cnn
    used = predict(place_weights(graph, F746, "flash"), F746, 0).regions["ram"].used
    cheapest = min(sum(layer_constants(graph, n).values()) for n in graph.nodes if layer_constants(graph, n))
    board = F746.with_budget(ram=used + RAM_MARGIN + cheapest)
    placed = place_weights(graph, board, "auto").meta[META]
    assert placed.room == cheapest and placed.nbytes <= cheapest
    assert placed.kept and all("of RAM left" in k.why for k in placed.kept)
    assert {m.name for m in placed.moved} | {k.name for k in placed.kept} == set(graph_weight_reads(
        graph, F746.raw["timing"]))
    with pytest.raises(MemoryFitError) as e:
        place_weights(graph, board, "ram")
    assert "--weights-in ram needs" in str(e.value) and "--weights-in auto" in e.value.hint
    # no room at all: nothing moves, nothing refused
    tight = F746.with_budget(ram=used)
    assert place_weights(graph, tight, "auto").meta[META].moved == ()


def test_weights_in_ram_needs_a_cortex_m_board():
    with pytest.raises(UsageError, match="Cortex-M"):
        check_mode("ram", get_board("host"))
    with pytest.raises(UsageError, match="not one of"):
        check_mode("sram", F746)
    check_mode("auto", get_board("host"))      # auto elsewhere: all stays in flash


def test_memory_report_says_which_layers_moved_and_why(cnn):
    from tinygen.report.inspect import memory_report

    _, graph = cnn
    text = memory_report(place_weights(graph, F746, "auto"))
    assert "weights in RAM (--weights-in auto)" in text
    for m in graph.meta[META].moved:
        assert f"{m.name}: {m.nbytes:,} B in RAM" in text


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")
def test_weights_in_ram_bit_exact_f746zg_standin(tmp_path, cnn):
    from tinygen.build.elf import read_elf

    source, graph = cnn
    sizes = {}
    for mode in ("flash", "ram"):
        place_weights(graph, F746, mode)
        sizes[mode] = build(source, graph, F746, tmp_path / mode).out_dir
    project = sizes["ram"]
    weights_c = (project / "weights.c").read_text() if (project / "weights.c").exists() else \
        next(project.rglob("weights.c")).read_text()
    assert f'__attribute__((section("{SECTION}")))' in weights_c and "const int8_t" not in weights_c
    flash_elf, ram_elf = (read_elf(sizes[m] / "firmware.elf") for m in ("flash", "ram"))
    # RAM grows by exactly the moved bytes; they are .data, loaded from flash
    grown = ram_elf.section(".data").size - flash_elf.section(".data").size
    assert grown == graph.meta[META].nbytes
    ram = F746.region("ram")
    weight = ram_elf.symbol("conv_0_w")
    assert ram["origin"] <= weight.value < ram["origin"] + 0x10000       # first in .data: in DTCM
    _assert_standin_exact(source, graph, project)


def _standin_outputs(project, inputs) -> list[np.ndarray]:
    """The f746zg stand-in's outputs running `project` on `inputs`, one after another on one device."""
    from tinygen.hil.target import open_device

    with open_device(F746, project, emulate=True) as dev:
        return [np.frombuffer(dev.run(x.tobytes())[0], dtype=np.int8) for x in inputs]


def _assert_standin_exact(source, graph, project, count: int = 3) -> None:
    """The f746zg stand-in running `project` equals the numpy reference on `count` random inputs."""
    from tinygen.ref.interpreter import run

    inputs = random_inputs(source, graph, count, seed=5)
    for i, (x, got) in enumerate(zip(inputs, _standin_outputs(project, inputs))):
        want = np.concatenate([run(graph, x)[name].ravel() for name in graph.outputs])
        assert np.array_equal(got, want), f"input {i}: {first_difference(want, got)}"


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")
def test_weights_in_ram_library_same_c_warning_free(tmp_path, cnn):
    import subprocess

    from library_lib import compile_arm, library_sources

    source, graph = cnn
    place_weights(graph, F746, "ram")
    lib = build(source, graph, F746, tmp_path / "lib", library="cnnram").out_dir
    weights = next(s for s in library_sources(lib) if s.name.endswith("_weights.c"))
    assert f'section("{SECTION}")' in weights.read_text()
    objs = compile_arm(tmp_path, "cnnram", lib)          # -Wall -Wextra -Werror, the user's flags
    sections = subprocess.run(["arm-none-eabi-readelf", "-S", "-W", str(next(o for o in objs if "weights" in o.name))],
                              capture_output=True, text=True, check=True).stdout
    assert SECTION in sections


def test_ram_room_beside_an_arena_region(cnn):
    from tinygen.build.memory import linker_memory

    source, _ = cnn
    graph = compile_source(source, options=CompileOptions(features=F746.isa_features, arena_region="dtcm"))
    use = predict(graph, F746, 0)
    beside = linker_memory(F746, "dtcm", F746.region("ram")["origin"])["ram_size"]     # SRAM1 + SRAM2
    assert ram_room(graph, F746) == beside - (use.regions["ram"].used - use.arena) - RAM_MARGIN
    assert ram_room(graph, F746) < ram_room(cnn[1], F746)       # the arena's region holds no constants


@pytest.fixture(scope="module")
def lstm(tmp_path_factory):
    path = tmp_path_factory.mktemp("lstm") / "lstm.tflite"
    path.write_bytes(lstm_model(np.random.default_rng(3), 1, 8, 32, 32))
    source = load_source(path)
    return source, compile_source(source, options=CompileOptions(features=F746.isa_features))


def test_auto_moves_a_recurrent_layers_weights_read_every_step(lstm):
    # an LSTM of 32 units over 32 inputs, 8 steps: tg_lstm_s8_dsp streams its int16 packed weights (16 KB) from
    # flash once per step, past the F746's D-cache share: its reads cost cycles, and auto moves them to RAM
    _, graph = lstm
    node = next(n for n in graph.nodes if n.op == "lstm")
    timing = F746.raw["timing"]
    before = graph_weight_reads(place_weights(graph, F746, "flash"), timing)[node.name]
    assert node.kernel == "tg_lstm_s8_dsp" and before.pattern == "per_step" and before.passes == 8
    assert before.stream_bytes > timing["data_cache_bytes"] / 2 and before.cycles > 0
    placed = place_weights(graph, F746, "auto").meta[META]
    assert node.name in placed.layers
    moved = next(m for m in placed.moved if m.name == node.name)
    assert moved.cycles == before.cycles and moved.nbytes == sum(layer_constants(graph, node).values())
    after = graph_weight_reads(graph, timing)[node.name]
    assert after.in_ram and after.cycles == 0 and after.line_misses == before.line_misses


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")
def test_recurrent_weights_in_ram_bit_exact_f746zg_standin(tmp_path, lstm):
    # the LSTM's state carries over invocations: the first output against the reference (from the initial
    # state), then a sequence of 3 on the RAM build against the same on the flash build
    source, graph = lstm
    flash = build(source, place_weights(graph, F746, "flash"), F746, tmp_path / "flash").out_dir
    place_weights(graph, F746, "auto")
    assert next(n for n in graph.nodes if n.op == "lstm").name in graph.meta[META].layers
    ram = build(source, graph, F746, tmp_path / "ram").out_dir
    _assert_standin_exact(source, graph, ram, count=1)
    inputs = random_inputs(source, graph, 3, seed=6)
    want, got = _standin_outputs(flash, inputs), _standin_outputs(ram, inputs)
    for i, (w, g) in enumerate(zip(want, got)):
        assert np.array_equal(g, w), f"input {i}: {first_difference(w, g)}"
