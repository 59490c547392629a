"""The pair kernels' 3-pixel blocks (-DTG_ROWS4_PAIR_TRIPLES=1: boards/nucleo-f446re.toml;
firmware/kernels/conv/tg_pair3_loop_dsp.h): tg_conv2d_rows4_pair_s8_dsp and
tg_conv2d_add_rows4_pair_s8_dsp take 3 pixels a block, one LDM of their pairs a step and one LDRD
of a group's weight words (or, where the steps are a multiple of 3, one LDM of 3 steps' weight words),
and widen a block's fields by one STM a group where the input offset is 128.

On the F446RE's stand-in (its board file sets the switch) and the F746ZG's with the switch added
(the path compiles on the M7 too; its own build leaves it out): pixel counts of each remainder
mod 3 (the last block overlapping the one before), units (4 values of depth) run whole, in loops of
4 and 2 a pass and with a unit before the loop, trios (6 values) whole and in loops of 6 (32 or more
channels), 4 and 3 a pass, inputs with offset
128 (the STM widening) and others, and the fused residual adds (15 pixels held a call); on the
F446RE also single-rounding records and a clamp inside int8: every layer equal to the reference.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_kernels_dsp_conv_rows4_pair import ADD_PAIR, PAIR, _residual_net

from rows3_lib import check_on_standin, compile_chain, compile_with
from standin_lib import needs_qemu

SWITCH = "-DTG_ROWS4_PAIR_TRIPLES=1"

# (in_c, out_c, kernel, stride, padding) over 11 x 8 (88 pixels: 1 mod 3). Units of 4 values of depth run
# where the steps (2 values) are not a multiple of 3, trios of 3 steps (one LDM of 3 weight words) where they
# are. Units: 7 over 8 channels (depth 27: the fields' last byte zeroed, against zero weights; the 7 units
# whole); 13 (a unit before 6 passes of 2); 8 (2 passes of 4). Trios: 12 over 16 channels (3 passes of 4);
# 24 over 36 channels at stride 2 (6 x 4, 24 pixels: 0 mod 3; 4 passes of 6), its input after a ReLU
# (offset 128: the STM widening, 12 groups a kernel row); 6 over 52 channels (one pass of 6, no loop
# branch; 9 groups widened with offset 128: one a pass); 4 (whole); 6 over 12 channels (2 passes of 3) to
# 4 x 2 (8 pixels: 2 mod 3); 18 (6 passes of 3).
LAYERS = [(3, 8, (3, 3), (1, 1), (1, 1)), (8, 16, (3, 3), (1, 1), (1, 1)), (16, 36, (3, 3), (2, 2), (1, 1)),
          (36, 52, (1, 1), (1, 1), (0, 0)), (52, 24, (1, 1), (1, 1), (0, 0)), (24, 32, (1, 1), (1, 1), (0, 0)),
          (32, 4, (1, 1), (1, 1), (0, 0)), (4, 12, (3, 3), (1, 1), (0, 0)), (12, 10, (3, 3), (1, 1), (1, 1))]


def _board(name: str):
    """The board, with the switch added where its board file leaves it out."""
    from tinygen.board import get_board

    board = get_board(name)
    assert (SWITCH in board.cflags) == (name == "f446re")
    if SWITCH in board.cflags:
        return board
    return replace(board, toolchain={**board.toolchain, "cflags": [*board.cflags, SWITCH]})


def _units(graph, choice) -> list[int]:
    from tinygen.kernels.params import kernel_params

    out = []
    for n in graph.nodes:
        if n.name in choice:
            p = kernel_params(graph, n)
            out.append(-(-p["kernel_h"] * p["kernel_w"] * p["in_c"] // 4))
    return out


@needs_qemu
@pytest.mark.parametrize("board_name", ["f446re", "f746zg"])
def test_conv_pair3_blocks_standin(board_name, tmp_path):
    board = _board(board_name)
    compiled = compile_chain(PAIR, LAYERS, (11, 8), 4, board.isa_features)
    units = _units(compiled[1], compiled[3])
    # every loop shape above is served (a layer the verdict refuses would leave its shape untested)
    assert units == [7, 18, 36, 9, 13, 6, 8, 9, 27], units
    check_on_standin(PAIR, board, compiled, tmp_path, f"{board_name} 3-pixel blocks")


@needs_qemu
@pytest.mark.parametrize("board_name, seed", [("f446re", 4), ("f746zg", 5)])
def test_conv2d_add_pair3_blocks_standin(board_name, seed, tmp_path):
    """The residual net (13 x 9 = 117 pixels, 0 mod 3; 7 x 5 = 35, 2 mod 3) through the fused adds."""
    board = _board(board_name)
    compiled = compile_with(ADD_PAIR, *_residual_net(seed), board.isa_features)
    assert len(compiled[3]) >= 2
    check_on_standin(ADD_PAIR, board, compiled, tmp_path, f"{board_name} residual seed {seed}")


@needs_qemu
@pytest.mark.parametrize("bounds", [None, (-100, 90)])
def test_conv_pair3_blocks_once_and_clamped_standin(bounds, tmp_path):
    """The 3-pixel blocks' requantization with an ONNX model's single-rounding pairs (R the zero point,
    n = 0) and with a clamp inside int8, on the F446RE's stand-in."""
    board = _board("f446re")
    compiled = compile_chain(PAIR, LAYERS, (11, 8), 6, board.isa_features)
    assert len(compiled[3]) == len(LAYERS)
    check_on_standin(PAIR, board, compiled, tmp_path, "f446re once", bounds=bounds, once=bounds is None)
