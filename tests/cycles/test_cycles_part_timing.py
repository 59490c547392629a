"""Pricing a stand-in's run with another part's memory system (a calibration point's own [timing]):
tinygen.cycles.sram's SRAM read wait states, model_for's timing override, and estimate_standin priced
with a part's timing beside the board's own."""


import numpy as np
import pytest

from cycles_lib import standin_project
from tinygen.board import get_board
from tinygen.cycles.price import model_for
from tinygen.cycles.sram import sram_reads, sram_wait_cycles
from tinygen.errors import UsageError


def test_sram_reads_count_load_words_less_the_constants_read_from_flash():
    mix = {"load": 10, "load2": 3, "fpload": 2, "alu": 50, "ldm": 4}
    assert sram_reads(mix, 0) == 10 + 6 + 2
    assert sram_reads(mix, 16) == 18 - 4
    assert sram_reads(mix, 17) == 18 - 5                # a partial word is still a read
    assert sram_reads(mix, 4000) == 0                   # never below zero


def test_sram_wait_cycles_only_where_the_part_states_them():
    mix = {"load": 100, "load2": 10}
    assert sram_wait_cycles(mix, 40, {"flash_wait_states": 4}) == 0.0
    assert sram_wait_cycles(mix, 40, {"sram_read_wait_states": 1}) == 110.0
    assert sram_wait_cycles(mix, 40, {"sram_read_wait_states": 2}) == 220.0


def test_model_for_prices_with_a_given_timing_of_the_same_core():
    board = get_board("u585")
    model, own = model_for(board)
    assert own is board.raw["timing"]
    part = {**own, "flash_wait_states": 3, "sram_read_wait_states": 1}
    model2, timing = model_for(board, part)
    assert model2 is model and timing == part
    with pytest.raises(UsageError):
        model_for(board, {**own, "model": "cortex-m7"})


def test_a_logged_run_priced_with_a_parts_timing(tmp_path):
    """The same executed instructions, priced with the board's [timing] and with a part's that has fewer flash
    wait states and one SRAM read wait state: the instructions are the same, the SRAM waits appear only under
    the part's timing, and they are the SRAM reads of each layer's load mix."""
    import torch

    from tinygen.cycles import estimate_standin

    board = get_board("u585")
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.AvgPool2d(2)).eval()       # a convolution re-reads its activations
    calib = np.random.default_rng(1).standard_normal((8, 8, 8, 8)).astype(np.float32)
    _, _, project, x = standin_project(board, net, calib, tmp_path / "fw", ("arm-none-eabi-gcc", "qemu-system-arm"))
    part = {**board.raw["timing"], "flash_wait_states": 3, "sram_read_wait_states": 1}
    own, other = estimate_standin(board, project, x), estimate_standin(board, project, x, part)
    assert own["timing"]["flash_wait_states"] == 4 and other["timing"] == part
    assert own["total"]["instructions"] == other["total"]["instructions"]
    assert all(row["sram_wait_cycles"] == 0 for row in own["layers"])
    waits = [row["sram_wait_cycles"] for row in other["layers"]]
    assert sum(waits) > 0
    for row in other["layers"]:
        assert row["sram_wait_cycles"] <= sram_reads(row["mix"], 0)
    fetch = sum(r["fetch_cycles"] for r in own["layers"]), sum(r["fetch_cycles"] for r in other["layers"])
    assert fetch[1] == pytest.approx(fetch[0] * 3 / 4)


def test_a_logged_run_fetches_through_the_parts_code_cache(tmp_path):
    """A part's code cache, not the stand-in board's, is the one the logged run's fetches go through: the same
    instructions through a cache of 4 lines of 8 bytes miss more than through the board's 8 KB, and lines of 8
    bytes in a cache of the board's size miss at least as often as its own 16-byte lines on the same code."""
    import torch

    from tinygen.cycles import estimate_standin

    board = get_board("u585")
    torch.manual_seed(2)
    net = torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU()).eval()
    calib = np.random.default_rng(2).standard_normal((8, 8, 8, 8)).astype(np.float32)
    _, _, project, x = standin_project(board, net, calib, tmp_path / "fw", ("arm-none-eabi-gcc", "qemu-system-arm"))
    own = board.raw["timing"]
    tiny = {**own, "code_cache_bytes": 32, "code_line_bytes": 8}
    narrow = {**own, "code_line_bytes": 8}
    runs = [estimate_standin(board, project, x, t) for t in (own, tiny, narrow)]
    assert len({r["total"]["instructions"] for r in runs}) == 1
    fetch = [sum(row["fetch_cycles"] for row in r["layers"]) for r in runs]
    assert fetch[1] > fetch[0] > 0
    assert fetch[2] >= fetch[0]
