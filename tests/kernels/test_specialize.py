"""Per-layer specialization of the DSP conv / FC kernels (tinygen.kernels.specialize).

A specialized layer calls its kernel's always-inline body with its static const
parameters and the requantization verdict computed at build time; with
specialization off it calls the generic entry point. Both firmwares, on the
Cortex-M stand-ins, must equal the numpy reference layer by layer over awkward
shapes, including layers whose requantization is outside tg_requantize_bounded's
range (so the specialized code takes its general path).
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from e2e import first_difference
from single_rounding import to_single_rounding
from test_kernels_dsp import compiled
from tinygen.board import get_board
from tinygen.codegen.emit import project_data
from tinygen.compiler import build
from tinygen.kernels import specialize
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.ref.interpreter import run

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="the Cortex-M stand-ins need qemu-system-arm and arm-none-eabi-gcc")
SPECIALIZED = set(specialize.INLINE)


def _calls(graph) -> list[str]:
    data = project_data(graph, "m", "0", "test")
    return [line for layer in data["layers"] if layer.kernel in SPECIALIZED for line in layer.body]


def test_specialized_calls_inline_bodies_and_generic_calls_entry_points(tmp_path_factory):
    _, graph, _, _ = compiled("convs", get_board("f746zg").isa_features, tmp_path_factory)
    kernels = [n.kernel for n in graph.nodes if n.kernel in SPECIALIZED]
    # its fully connected layer, 9 -> 5, is shallow (tg_fully_connected_shallow_s8_dsp)
    assert set(kernels) == {"tg_conv2d_s8_dsp", "tg_conv2d_widen_s8_dsp", "tg_fully_connected_shallow_s8_dsp"}
    on = _calls(graph)
    assert [c.split("(")[0] for c in on if not c.startswith("/*")] == [f"{k}_inline" for k in kernels]
    assert "tg_conv2d_s8_dsp.h" in project_data(graph, "m", "0", "test")["kernel_headers"]
    # one layer kept generic (node.attrs["specialize"]), the others specialized
    first = next(n for n in graph.nodes if n.kernel in SPECIALIZED)
    first.attrs["specialize"] = False
    mixed = [c.split("(")[0] for c in _calls(graph) if not c.startswith("/*")]
    assert mixed == [kernels[0]] + [f"{k}_inline" for k in kernels[1:]]
    del first.attrs["specialize"]
    graph.meta["specialize"] = False
    off = _calls(graph)
    assert [c.split("(")[0] for c in off] == kernels
    assert not any("_inline" in c for c in off)
    assert project_data(graph, "m", "0", "test")["kernel_headers"] == ["tg_kernels.h"]


def test_requant_bounded_edges():
    m, s = [1 << 30, (1 << 31) - 1], [-1, -31]
    depth = 100
    limit = (1 << 30) - depth * 255 * 128
    assert specialize.requant_bounded(depth, None, m, s)
    assert specialize.requant_bounded(depth, [limit - 1, -(limit - 1)], m, s)
    assert not specialize.requant_bounded(depth, [limit, 0], m, s)
    assert not specialize.requant_bounded(depth, [0, -limit], m, s)
    assert not specialize.requant_bounded(depth, None, [(1 << 30) - 1, 1 << 30], s)
    assert not specialize.requant_bounded(depth, None, m, [0, -1])
    assert not specialize.requant_bounded(depth, None, m, [-32, -1])
    assert not specialize.requant_bounded((1 << 30) // (255 * 128), None, m, s)


def test_requant_folded_edges():
    """The output offset folds into the rounding where |1 + 2 * output_offset| * 2^(n-1) < 2^30
    on every channel (n = -shift), and only for bounded layers."""
    assert specialize.requant_folded(True, [-1, -23], 127)          # 255 * 2^22 < 2^30
    assert not specialize.requant_folded(True, [-1, -24], 127)      # 255 * 2^23 >= 2^30
    assert specialize.requant_folded(True, [-30], 0)                # 2^29
    assert not specialize.requant_folded(True, [-31], 0)            # 2^30 is not below
    assert not specialize.requant_folded(False, [-1], 0)
    inline = specialize.INLINE["tg_conv2d_1x1_s8_dsp"]
    m, s = [1 << 30] * 2, [-5, -9]
    kp = {"in_c": 8, "output_offset": -3, "act_min": -128}
    assert specialize.requant_mode(inline, kp, None, m, s) == specialize.FOLDED
    assert specialize.requant_mode(inline, kp, None, m, [0, -9]) == specialize.GENERAL
    direct = specialize.INLINE["tg_conv2d_direct_s8_dsp"]      # its outputs do not take the folded form
    kp = {"kernel_h": 1, "kernel_w": 1, "in_c": 8, "output_offset": -3, "act_min": -128}
    assert specialize.requant_mode(direct, kp, None, m, s) == specialize.BOUNDED


def test_requant_once_edges():
    """The single-rounding pairs (shift 0, multiplier in [0, 2^30)) take FOLDED | POS | ONCE on the
    kernels whose folded outputs take it, where the sums stay below 2^30; GENERAL elsewhere."""
    assert specialize.requant_once([0, (1 << 30) - 1], [0, 0])
    assert not specialize.requant_once([1 << 30, 5], [0, 0])
    assert not specialize.requant_once([5, 5], [0, -1])
    assert not specialize.requant_once([-5, 5], [0, 0])
    once = specialize.FOLDED | specialize.POS | specialize.ONCE
    kp = {"in_c": 8, "output_offset": -3, "act_min": -128}        # act_min < zp: ONCE has no sign's ADD anyway
    m, s = [1 << 29, 12345], [0, 0]
    assert specialize.requant_mode(specialize.INLINE["tg_conv2d_1x1_s8_dsp"], kp, None, m, s) == once
    limit = (1 << 30) - 8 * 255 * 128
    assert specialize.requant_mode(specialize.INLINE["tg_conv2d_1x1_s8_dsp"], kp, [limit, 0], m, s) == \
        specialize.GENERAL
    assert specialize.requant_mode(specialize.INLINE["tg_conv2d_1x1_s8_dsp"], kp, [limit - 1, 0], m, s) == once
    kp = {"kernel_h": 1, "kernel_w": 1, "in_c": 8, "output_offset": -3, "act_min": -128}
    assert specialize.requant_mode(specialize.INLINE["tg_conv2d_direct_s8_dsp"], kp, None, m, s) == \
        specialize.GENERAL


def _outside_bounded_range(graph) -> list[str]:
    """Push some layers' requantization outside tg_requantize_bounded's range: a multiplier
    below 2^30 on one, a left shift on another (the reference follows the same constants)."""
    # layers whose kernels read these constants (not build-time records, which would be stale)
    nodes = [n for n in graph.nodes if n.kernel in SPECIALIZED and "shift" in KERNELS_BY_NAME[n.kernel].const_roles]
    mult = graph.tensor(nodes[0].param("multiplier")).data
    mult[0] //= 2
    shift = graph.tensor(nodes[-1].param("shift")).data
    shift[-1] = 1
    return [nodes[0].name, nodes[-1].name]


def _layers_on_standin(board, graph, source, inputs, out_dir, specialized: bool) -> list[list[np.ndarray]]:
    from tinygen.hil.target import open_device

    graph.meta["specialize"] = specialized
    project = build(source, graph, board, out_dir).out_dir
    nm = subprocess.run(["arm-none-eabi-nm", str(project / "firmware.elf")], capture_output=True, text=True)
    if nm.returncode == 0:      # the generic entry points are linked only when called
        assert ("tg_conv2d_s8_dsp" in nm.stdout.split()) != specialized
    layers = []
    n_layers = sum(1 for n in graph.nodes if n.kernel)
    with open_device(board, project, emulate=True) as dev:
        for x in inputs:
            dev.run(x.tobytes())
            layers.append([np.frombuffer(dev.layer_out(i), dtype=np.int8).copy() for i in range(n_layers)])
    return layers


def _specialized_and_generic_equal_reference(board, graph, source, inputs, on_dir, off_dir) -> None:
    """The graph built specialized and generic, on the stand-in: every layer equals the reference."""
    nodes = [n for n in graph.nodes if n.kernel]
    specialized = _layers_on_standin(board, graph, source, inputs, on_dir, True)
    generic = _layers_on_standin(board, graph, source, inputs, off_dir, False)
    for i, x in enumerate(inputs):
        want = run(graph, x, keep_all=True)
        for node, on, off in zip(nodes, specialized[i], generic[i]):
            ref = want[node.outputs[0]].ravel()
            assert np.array_equal(on, ref), f"input {i}, {node.name} specialized: {first_difference(ref, on)}"
            assert np.array_equal(off, ref), f"input {i}, {node.name} generic: {first_difference(ref, off)}"


@needs_qemu
@pytest.mark.parametrize("model,board", [("convs", "f746zg"), ("odd", "f746zg"), ("convs", "f446re")])
def test_specialized_equals_generic_and_reference_standin(model, board, tmp_path_factory):
    board = get_board(board)
    source, graph, inputs, tmp = compiled(model, board.isa_features, tmp_path_factory)
    changed = _outside_bounded_range(graph)
    for name in changed:        # the specialized layer's general requantization path runs
        node = graph.node(name)
        consts = {r: graph.tensor(node.param(r)).data if node.param(r) else None
                  for r in ("bias", "multiplier", "shift")}
        depth = specialize.depth(specialize.INLINE[node.kernel], node.attrs["kparams"])
        assert not specialize.requant_bounded(depth, **consts)
    _specialized_and_generic_equal_reference(board, graph, source, inputs, tmp / "on", tmp / "off")


@needs_qemu
@pytest.mark.parametrize("model", ["convs", "odd"])
def test_specialized_once_equals_generic_and_reference_f746zg(model, tmp_path_factory):
    """An ONNX model's single-rounding pairs (tests/single_rounding.py) on the layers whose kernels
    take the rounds-once mode: specialized (FOLDED | POS | ONCE, SMMLAR onto the zero point) and
    generic (tg_requantize_fast), both equal to the reference on every layer."""
    board = get_board("f746zg")
    source, graph, inputs, tmp = compiled(model, board.isa_features, tmp_path_factory)
    changed = to_single_rounding(graph, {k for k, v in specialize.INLINE.items() if v.once})
    assert changed
    for name in changed:
        node = graph.node(name)
        consts = {r: graph.tensor(node.param(r)).data if node.param(r) else None
                  for r in ("bias", "multiplier", "shift")}
        mode = specialize.requant_mode(specialize.INLINE[node.kernel], node.attrs["kparams"], **consts)
        assert mode == specialize.FOLDED | specialize.POS | specialize.ONCE, name
    assert sum("rounded once" in c for c in _calls(graph)) == len(changed)
    _specialized_and_generic_equal_reference(board, graph, source, inputs, tmp / "once_on", tmp / "once_off")
