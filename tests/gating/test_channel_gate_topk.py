"""The top-k channel gate's histogram path (issue 23): tg_channel_gate_s8 (host, ctypes) and
tg_channel_gate_s8_dsp (the Cortex-M7 and M4 stand-ins) equal tinygen.ref.gating.channel_gate_s8
on the cases that stress it: every value equal, every value distinct, k = 1, k = n, many ties
(the k-th largest value shared by kept and dropped channels, the zero point among them),
channel counts not a multiple of 4, and more channels than the histogram's uint8 bins serve
(the binary search path)."""

from __future__ import annotations

import ctypes
import shutil

import numpy as np
import pytest
import torch
from e2e import assert_device_equals_reference
from hypothesis import given
from hypothesis import strategies as st
from test_gating import SETTINGS, _p8, _struct
from torch_models import compile_module

from tinygen.ref import gating as gref
from tinygen.gating import sweep
from tinygen.nn.gating import GatedLinear
from tinygen.passes import CompileOptions

HIST_MAX = 255      # TG_CHANNEL_GATE_HIST_MAX


def _saliency(kind: str, n: int, rng) -> np.ndarray:
    if kind == "equal":
        return np.full(n, rng.integers(-128, 128), np.int8)
    if kind == "distinct":
        return rng.permutation(np.arange(-128, 128))[:n].astype(np.int8) if n <= 256 else \
            rng.integers(-128, 128, n).astype(np.int8)
    if kind == "ties":          # 3 codes
        return rng.choice(rng.integers(-128, 128, 3), n).astype(np.int8)
    return rng.integers(-128, 128, n).astype(np.int8)


def _gate_c(lib, types, p: dict, s: np.ndarray):
    out = np.zeros(len(s), np.int8)
    kept = lib.tg_channel_gate_s8(ctypes.byref(_struct(types, "tg_channel_gate_params_t", p)), _p8(s), _p8(out))
    return out, kept


@SETTINGS
@given(kind=st.sampled_from(["equal", "distinct", "ties", "random"]),
       n=st.sampled_from([1, 2, 3, 5, 13, 64, 127, 128, 255, 256, 301]), which_k=st.sampled_from(["1", "n", "any"]),
       zp_from=st.sampled_from(["min", "code", "max", "any"]), seed=st.integers(0, 2**32 - 1))
def test_channel_gate_topk_s8_host_equals_reference(gating_lib, kind, n, which_k, zp_from, seed):
    lib, types = gating_lib
    rng = np.random.default_rng(seed)
    s = _saliency(kind, n, rng)
    k = {"1": 1, "n": n, "any": int(rng.integers(1, n + 1))}[which_k]
    zp = {"min": -128, "code": int(s[rng.integers(n)]), "max": 127, "any": int(rng.integers(-128, 128))}[zp_from]
    p = {"channels": n, "k": k, "threshold_q": 0, "zero_point": zp}
    out, kept = _gate_c(lib, types, p, s)
    want = gref.channel_gate_s8(p, s)
    diff = np.flatnonzero(out != want)
    assert diff.size == 0, f"n={n} k={k} zp={zp}: first differing channels {diff[:5].tolist()}"
    assert kept == int(np.count_nonzero(gref.gate_keep(p, s)))


def test_channel_gate_topk_s8_ties_at_the_threshold_go_to_the_lowest_channels(gating_lib):
    lib, types = gating_lib
    s = np.array([3, 7, 5, 7, 7, 1, 7, 9, 7], np.int8)        # 9 channels: a tail of 1 after 2 words
    for k, zp in ((3, -128), (4, -128), (1, -128), (9, 7), (5, 7), (4, 9)):
        p = {"channels": len(s), "k": k, "threshold_q": 0, "zero_point": zp}
        out, kept = _gate_c(lib, types, p, s)
        np.testing.assert_array_equal(out, gref.channel_gate_s8(p, s), err_msg=f"k={k} zp={zp}")
        assert kept == int(np.count_nonzero(gref.gate_keep(p, s)))


# -- on the stand-ins: a gated linear layer whose predictor has zero weights, so that its
# saliencies are its biases' codes for every input (chosen per case)

CASES = {   # name: (channels, density, biases)
    "ties_13": (13, 0.5, lambda n, g: torch.tensor([0.5, 1.0, -1.0, 1.0, 1.0, 0.25, 1.0, 2.0, 1.0, 1.0, 0.5, 1.0,
                                                   -0.5])),
    "distinct_64_k1": (64, 1 / 64, lambda n, g: torch.linspace(0.05, 2.0, n)[torch.randperm(n, generator=g)]),
    "equal_128": (128, 0.5, lambda n, g: torch.ones(n)),
    "ties_37_kn": (37, 1.0, lambda n, g: torch.tensor([0.0, 1.0, 2.0])[torch.randint(0, 3, (n,), generator=g)]),
    "random_128": (128, 0.3, lambda n, g: torch.rand(n, generator=g) * 2 - 0.3),
}


def _fixed_saliency_net(channels: int, biases) -> torch.nn.Module:
    torch.manual_seed(channels)
    net = GatedLinear(24, channels, density=0.5)
    g = torch.Generator().manual_seed(channels + 1)
    with torch.no_grad():
        for m in net.predictor.modules():
            if isinstance(m, torch.nn.Linear):
                m.weight.zero_()
                m.bias.copy_(biases(channels, g))
    return net.eval()


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_channel_gate_topk_s8_dsp_standin(board_name, tmp_path):
    """Each case's gate (tg_channel_gate_s8_dsp) and gated layer equal the reference on the
    stand-in, layer by layer (tg layers), for 2 inputs."""
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-in needs qemu-system-arm and arm-none-eabi-gcc")
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import quantize_input

    board = get_board(board_name)
    options = CompileOptions(features=frozenset(board.isa_features))
    calib = np.random.default_rng(0).standard_normal((16, 24)).astype(np.float32)
    for name, (channels, density, biases) in CASES.items():
        source, graph = compile_module(_fixed_saliency_net(channels, biases), calib, options=options)
        gate = next(n for n in graph.nodes if n.op == "channel_gate")
        assert gate.kernel == "tg_channel_gate_s8_dsp", gate.kernel
        point = sweep.at(graph, "density", density)
        project = build(source, point, board, tmp_path / name).out_dir
        with open_device(board, project, emulate=True) as dev:
            for i in range(2):
                x = quantize_input(point, source.to_graph_layout(calib[i:i + 1]))
                assert_device_equals_reference(dev, point, x, f"{board_name} {name} input {i}")
