"""The batch-1 fully connected kernels under TG_FC_B1_LDM=1 (boards/nucleo-f446re.toml's flags;
firmware/kernels/fully_connected/tg_fully_connected_batch1_ldm_s8_dsp.h): the Cortex-M4's LDM steps,
the lean row-pair steps by pairs (one LDM of two input words), the block loop's counts and the folded
requantization of 4 outputs in one asm body.

On the F446RE stand-in (slow): the flag is the M4 board's alone and its firmware runs those paths
(the objects hold the LDMs); the row-pair chains of test_kernels_dsp_fc_rowpair (every requantization
body: with and without the sign's ADD, clamped and at the int8 range, rounded once) equal the reference
on every layer with a lean layer's input moved to an odd address, where the pairs' LDM would fault:
the kernel must take its single steps there (the other lean layers keep their pairs). A chain of whole
blocks and whole turns (WHOLE_SIZES) takes every kind of step through the whole-layer asm body
(tg_fc_b1_layer_ldm): every folded requantization body, clamped and not, its turns of 8 and its single steps.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from e2e import assert_device_equals_reference
from single_rounding import to_single_rounding
from test_kernels_dsp_fc_batch1 import BATCH1, LEAN, LEAN_SIZES, W16, Chain, _chain
from torch_models import compile_module

from tinygen.passes import CompileOptions

PAIRS = "tg_fully_connected_batch1_rowpair_s8_dsp"
PAIRS_LEAN = "tg_fully_connected_batch1_rowpair_lean_s8_dsp"
FLAG = "-DTG_FC_B1_LDM=1"
# every layer's outputs a multiple of 4 and its depth whole turns of 8 steps (a multiple of 32) or under 8
# steps: tg_fc_b1_rows_ldm runs each as one asm body (turns of 8: 64, 32, 96, 128; single steps: 24, 20)
WHOLE_SIZES = (64, 32, 96, 24, 128, 20, 36)
# that body's block start in objdump: the input and the turns read from its frame on the stack, then the biases
LAYER_START = r"ldrd\s+r7, lr, \[sp(, #\d+)?\].*\n.*ldmia(\.w)?\s+fp!, \{r0, r1, r2, r3\}"

# a lean call's input copied to an odd address first (model.c's own buffers are 16-byte aligned)
ODD_INPUT = """
#include <string.h>
static int8_t tg_test_odd[4096 + 4] __attribute__((aligned(4)));
static const int8_t *tg_test_odd_input(const tg_fully_connected_params_t *p, const int8_t *input)
{
    memcpy(tg_test_odd + 1, input, (size_t)p->in_features);
    return tg_test_odd + 1;
}
"""


def _needs_standin():
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-in needs qemu-system-arm and arm-none-eabi-gcc")


def _odd_input(code: str, lean: str = PAIRS_LEAN) -> tuple[str, int]:
    """model.c with its first call of the lean kernel `lean` (specialized or generic) reading its input from
    tg_test_odd_input (the others keep theirs, aligned), and the number of lean calls."""
    call = re.compile(rf"({lean}(?:_inline)?\(&(\w+), (?:\w+, )?)(tg_arena \+ \w+|\w+),")
    n = len(call.findall(code))
    code = call.sub(lambda m: f"{m.group(1)}tg_test_odd_input(&{m.group(2)}, {m.group(3)}),", code, count=1)
    last = max(m.end() for m in re.finditer(r"^#include .*$", code, re.M))
    return code[:last] + "\n" + ODD_INPUT + code[last:], n


def test_fully_connected_batch1_ldm_flag_is_the_m4_boards():
    """TG_FC_B1_LDM is in the f446re's flags and in neither the M7's nor the M33's (their builds keep the
    single loads)."""
    from tinygen.board import get_board

    assert FLAG in get_board("f446re").cflags
    assert FLAG not in get_board("f746zg").cflags and FLAG not in get_board("b-u585i-iot02a").cflags


@pytest.mark.slow
@pytest.mark.parametrize("specialize", [True, False])
def test_fully_connected_batch1_ldm_odd_input_standin(specialize, tmp_path):
    """The row-pair chains (specialized: every folded body; generic: the general one) with the lean kernel on
    the depths it takes (every other layer of LEAN_SIZES') and the first lean layer's input at an odd address,
    on the F446RE stand-in: every layer equals the reference, and the firmware holds the LDM steps (the
    weights' LDM, the input pairs' LDM)."""
    _needs_standin()
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import quantize_input

    board = get_board("f446re")
    rng = np.random.default_rng(21)
    # (seed, sizes, the parity of the lean layers: None, every depth a multiple of 4)
    for seed, sizes, parity in ((21, Chain.sizes, None), (22, LEAN_SIZES, 0)):
        calib = rng.standard_normal((16, sizes[0])).astype(np.float32)
        _, first = compile_module(_chain(seed, sizes), calib, options=CompileOptions(features=frozenset(board.isa_features)))
        fcs = [n for n in first.nodes if n.op == "fully_connected"]
        choice = {n.name: PAIRS_LEAN if n.attrs["kparams"]["in_features"] % 4 == 0 and parity in (None, i % 2)
                  else PAIRS
                  for i, n in enumerate(fcs)}
        source, graph = compile_module(_chain(seed, sizes), calib, options=CompileOptions(
            features=frozenset(board.isa_features), kernel_choice=choice, lower_peak=False))
        graph.meta["specialize"] = specialize
        assert [n.kernel for n in graph.nodes if n.op == "fully_connected"] == list(choice.values())
        project = build(source, graph, board, tmp_path / f"s{seed}{specialize}").out_dir
        code, lean = _odd_input((project / "model.c").read_text())
        assert lean == sum(k == PAIRS_LEAN for k in choice.values()) >= 2 and "tg_test_odd_input(&" in code
        (project / "model.c").write_text(code)
        subprocess.run(["make", "-s", "-C", str(project), "emu"], check=True, capture_output=True)
        dump = subprocess.run(["arm-none-eabi-objdump", "-d", str(project / "firmware-emu.elf")], check=True,
                              capture_output=True, text=True).stdout
        assert re.search(r"ldmia(\.w)?\s+fp!, \{r6, r8, r9, sl\}", dump), "no LDM of a step's weight words"
        assert re.search(r"ldmia(\.w)?\s+r7!, \{r4, ip\}", dump), "no LDM of two steps' input words"
        with open_device(board, project, emulate=True) as dev:
            for i in range(3):
                x = quantize_input(graph, source.to_graph_layout(calib[i:i + 1] * 1.5))
                assert_device_equals_reference(dev, graph, x, f"f446re odd input, specialize {specialize}, input {i}")


def _narrow_clamps(graph) -> list[str]:
    """Layers 1 (no ReLU: the sign's ADD) and 2 (ReLU: POS) clamped inside the int8 range, so that their
    bodies take the SSUB8 / SEL clamp (the reference reads the same kparams)."""
    fcs = [n for n in graph.nodes if n.op == "fully_connected"]
    for node in fcs[1:3]:
        kp = node.attrs["kparams"]
        kp["act_min"], kp["act_max"] = max(kp["act_min"], kp["output_offset"] - 40), 90
    return [n.name for n in fcs[1:3]]


def _uneven_shifts(graph) -> None:
    """Every third output channel's shift one lower (its outputs halved; a layer of the chain has one shift for all
    its channels), so that each block reads its own shifts (the reference reads the same)."""
    for node in graph.nodes:
        if node.op == "fully_connected":
            st = graph.tensor(node.param("shift"))
            st.data = (st.data - (np.arange(st.data.size) % 3 == 1)).astype(st.data.dtype).reshape(st.data.shape)


def _one_multiplier_of(graph, node) -> None:
    """Every output channel of the layer given its first multiplier and shift: a layer quantized per tensor,
    whose specialized call takes TG_REQUANT_UNIFORM."""
    for role in ("multiplier", "shift"):
        t = graph.tensor(node.param(role))
        t.data = np.full_like(t.data, t.data.ravel()[0])


def _one_multiplier(graph) -> None:
    """Every fully connected layer quantized per tensor (_one_multiplier_of)."""
    for node in graph.nodes:
        if node.op == "fully_connected":
            _one_multiplier_of(graph, node)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["pairs", "int8", "w16"])
def test_fully_connected_batch1_ldm_whole_layer_standin(family, tmp_path):
    """WHOLE_SIZES' chain on the F446RE stand-in with each family's kernels (row pairs, int8, int16 weights;
    the lean kernel on every other layer), specialized: every folded body (the sign's ADD and POS, two layers
    clamped inside the int8 range, every third channel's shift lower, the first lean layer's input at an odd
    address: its single steps), then every layer rounded once, then every layer of one multiplier and shift
    (TG_REQUANT_UNIFORM: read once for the layer; clamped and at an odd address as the first): every layer equals
    the reference, and the firmware holds the whole-layer body."""
    _needs_standin()
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import quantize_input

    board = get_board("f446re")
    scratch, lean = {"pairs": (PAIRS, PAIRS_LEAN), "int8": (BATCH1, LEAN), "w16": (W16, None)}[family]
    rng = np.random.default_rng(31)
    calib = rng.standard_normal((16, WHOLE_SIZES[0])).astype(np.float32)
    for seed, variant in ((31, "plain"), (32, "once"), (33, "uniform")):
        once = variant == "once"
        options = CompileOptions(features=frozenset(board.isa_features))
        _, first = compile_module(_chain(seed, WHOLE_SIZES), calib, options=options)
        choice = {n.name: lean if lean and i % 2 == 0 else scratch
                  for i, n in enumerate(n for n in first.nodes if n.op == "fully_connected")}
        source, graph = compile_module(_chain(seed, WHOLE_SIZES), calib, options=CompileOptions(
            features=frozenset(board.isa_features), kernel_choice=choice, lower_peak=False))
        graph.meta["specialize"] = True
        assert [n.kernel for n in graph.nodes if n.op == "fully_connected"] == list(choice.values())
        if once:
            assert len(to_single_rounding(graph, {scratch, lean})) == 6
        else:
            _narrow_clamps(graph)
            if variant == "uniform":
                _one_multiplier(graph)
            else:
                _uneven_shifts(graph)
        project = build(source, graph, board, tmp_path / f"{family}{seed}").out_dir
        code = (project / "model.c").read_text()
        assert code.count("rounded once") == (6 if once else 0)
        assert code.count("one multiplier and shift for every output") == (6 if variant == "uniform" else 0)
        if lean and not once:
            code, n = _odd_input(code, lean)
            assert n == 3
            (project / "model.c").write_text(code)
        subprocess.run(["make", "-s", "-C", str(project), "emu"], check=True, capture_output=True)
        dump = subprocess.run(["arm-none-eabi-objdump", "-d", str(project / "firmware-emu.elf")], check=True,
                              capture_output=True, text=True).stdout
        assert re.search(LAYER_START, dump), "no whole-layer body"
        with open_device(board, project, emulate=True) as dev:
            for i in range(3):
                x = quantize_input(graph, source.to_graph_layout(calib[i:i + 1] * 1.5))
                assert_device_equals_reference(dev, graph, x, f"f446re {family} whole layers, {variant}, input {i}")


@pytest.mark.parametrize("board_name, variants", [
    ("f746zg", {"tg_fc_b1_pairs_folded_full"}),
    ("f446re", {"tg_fc_b1_pairs_folded_full", "tg_fc_b1_pairs_folded_uni_full"})])
def test_fully_connected_batch1_uniform_variant_only_where_a_body_reads_it(board_name, variants, tmp_path):
    """WHOLE_SIZES' chain with layer 1 quantized per tensor (TG_REQUANT_UNIFORM) and layer 3 per channel, both
    the row-pair kernel without a ReLU at the int8 range: on the F446RE (TG_FC_B1_LDM, whose whole-layer body
    reads a uniform layer's multiplier and shift once) each links its own variant; on the F746ZG, whose loop
    runs a uniform layer as the folded one it is, both call the plain variant: one copy of that code, not two."""
    _needs_standin()
    from tinygen.board import get_board
    from tinygen.compiler import build

    board = get_board(board_name)
    calib = np.random.default_rng(31).standard_normal((16, WHOLE_SIZES[0])).astype(np.float32)
    options = CompileOptions(features=frozenset(board.isa_features))
    _, first = compile_module(_chain(31, WHOLE_SIZES), calib, options=options)
    choice = {n.name: PAIRS_LEAN if i % 2 == 0 else PAIRS
              for i, n in enumerate(n for n in first.nodes if n.op == "fully_connected")}
    source, graph = compile_module(_chain(31, WHOLE_SIZES), calib, options=CompileOptions(
        features=frozenset(board.isa_features), kernel_choice=choice, lower_peak=False))
    graph.meta["specialize"] = True
    fcs = [n for n in graph.nodes if n.op == "fully_connected"]
    for node in fcs:
        shift = graph.tensor(node.param("shift"))
        assert node is fcs[1] or len(np.unique(graph.tensor(node.param("multiplier")).data)) > 1 \
            or len(np.unique(shift.data)) > 1, node.name
    _one_multiplier_of(graph, fcs[1])
    project = build(source, graph, board, tmp_path / board_name).out_dir
    code = (project / "model.c").read_text()
    assert code.count("one multiplier and shift for every output") == 1
    subprocess.run(["make", "-s", "-C", str(project), "emu"], check=True, capture_output=True)
    symbols = subprocess.run(["arm-none-eabi-nm", str(project / "firmware-emu.elf")], check=True, capture_output=True,
                             text=True).stdout
    linked = set(re.findall(r" t (tg_fc_b1_pairs_folded\w*)", symbols))        # GCC may add .constprop.N
    assert linked == variants, linked
