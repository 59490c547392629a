"""tg_depthwise_conv2d_3x3_narrow_s8_dsp: 3x3 stride-1 depthwise layers on output rows of 5 pixels, a
whole row per channel, its records packed at build time (tinygen/kernels/depthwise_narrow_dsp.py).

On the host: a numpy model of the kernel's arithmetic from the packed records (the doubled weight
pairs of either column phase, the doubled bias, the folded requantization with the sign's ADD)
equals the reference depthwise convolution over drawn layers; which layers it refuses; its loop
order (inplace.NARROW_ROWS) checked byte by byte against the output at the input's own address.
On the stand-ins (slow): drawn chains (channels 4..128, heights 1..30, pad 0, 1 and 2, offsets at
the int8 ends, ReLU, ReLU6 and a narrower clamp) with the kernel on every layer it serves equal the
reference on every layer, on the F746ZG and the F446RE.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from single_rounding import once_pairs
from torch import nn

from tinygen.kernels.depthwise_narrow_dsp import LAST, LINE, RECORD_WORDS, narrow_records, narrow_scratch, \
    narrow_serves, slot_words
from tinygen.passes.inplace import DISTANCE
from tinygen.ref import kernels as ref

NARROW = "tg_depthwise_conv2d_3x3_narrow_s8_dsp"


def _layer(c, in_h, in_w, pad_top, pad_left, pad_bottom=None, pad_right=None, act=(-128, 127), input_offset=5,
           output_offset=-128):
    pad_bottom = pad_top if pad_bottom is None else pad_bottom
    pad_right = pad_left if pad_right is None else pad_right
    return dict(in_h=in_h, in_w=in_w, in_c=c, out_h=in_h + pad_top + pad_bottom - 2,
                out_w=in_w + pad_left + pad_right - 2, out_c=c, kernel_h=3, kernel_w=3, stride_h=1, stride_w=1,
                dilation_h=1, dilation_w=1, pad_top=pad_top, pad_left=pad_left, depth_multiplier=1,
                input_offset=input_offset, output_offset=output_offset, act_min=act[0], act_max=act[1])


def narrow_model(p: dict, x: np.ndarray, packed: np.ndarray) -> np.ndarray:
    """The kernel's arithmetic from its packed constant: per output, the doubled bias plus the
    products of the widened columns (x + offset, padding 0) with the doubled weights, taken from
    the records' pairs as the loops take them; then SMMLAR(acc2, M, R), the sign's ADD, ASR n,
    SSAT and the clamp."""
    c, rec = int(packed[0]), packed[1:].astype(np.int64).reshape(-1, RECORD_WORDS)
    assert c == p["in_c"] and rec.shape[0] == c
    lo = lambda w: ((w & 0xFFFF) ^ 0x8000) - 0x8000                      # noqa: E731
    hi = lambda w: w >> 16                                                 # noqa: E731
    w = np.zeros((3, 3, c), np.int64)
    for k in range(3):
        c0, c1 = rec[:, 1 + 2 * k], rec[:, 2 + 2 * k]
        assert (hi(c0) == lo(c1)).all()                                    # w[k][1] in both pairs
        w[k] = lo(c0), hi(c0), hi(c1)                                      # SMLAD / SMLATB / SMLABT halves
    padded = np.zeros((p["out_h"] + 2, LINE + 3, c), np.int64)            # the ring's columns 0..7
    rows = np.arange(p["in_h"]) + p["pad_top"]
    keep = rows < padded.shape[0]
    padded[rows[keep], p["pad_left"]:p["pad_left"] + p["in_w"]] = x.astype(np.int64)[keep] + p["input_offset"]
    acc2 = np.broadcast_to(rec[:, 0], (p["out_h"], LINE, c)).copy()
    for ky in range(3):
        for kx in range(3):
            acc2 += padded[ky:ky + p["out_h"], kx:kx + LINE] * w[ky, kx]
    assert (np.abs(acc2) < 1 << 31).all()
    m, r, n = rec[:, 7], rec[:, 8], rec[:, 9] & 0xFF
    assert ((rec[:, 9] & LAST) != 0).tolist() == [i == c - 1 for i in range(c)]
    v = (acc2 * m + (r << 32) + (1 << 31)) >> 32                         # SMMLAR
    y = np.clip((v + (acc2 >> 63)) >> n, -128, 127)                      # the sign's ADD, ASR, SSAT
    return np.clip(y, p["act_min"], p["act_max"]).astype(np.int8)


@st.composite
def narrow_layer(draw):
    c = 4 * draw(st.integers(1, 32))
    pad_top, pad_left = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    pad_bottom, pad_right = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    in_w = LINE + 2 - pad_left - pad_right
    in_h = draw(st.integers(max(1, 3 - pad_top - pad_bottom), 30))
    lo = draw(st.integers(-128, 0))
    act = draw(st.sampled_from([(-128, 127), (lo, draw(st.integers(lo, 127)))]))
    return _layer(c, in_h, in_w, pad_top, pad_left, pad_bottom, pad_right, act,
                  input_offset=draw(st.sampled_from([-127, 128, draw(st.integers(-127, 128))])),
                  output_offset=draw(st.sampled_from([-128, 127, draw(st.integers(-128, 127))])))


@settings(derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=narrow_layer(), seed=st.integers(0, 2**32 - 1), once=st.booleans())
def test_depthwise_3x3_narrow_s8_records_model_equals_reference(p, seed, once):
    """once: an ONNX model's single-rounding pairs (records with R the zero point, n = 0; the
    sign's ADD kept, harmless where act_min >= the zero point), refused where act_min is below it."""
    rng = np.random.default_rng(seed)
    c = p["in_c"]
    x = rng.integers(-128, 128, size=(p["in_h"], p["in_w"], c)).astype(np.int8)
    x.reshape(-1)[:: 7] = rng.choice([-128, 127])                          # extreme inputs
    w = rng.integers(-128, 128, size=(3, 3, c)).astype(np.int8)
    w[:, :, 0], w[:, :, -1] = -128, 127                                    # extreme weights
    consts = dict(weight=w, bias=rng.integers(-(1 << 20), 1 << 20, size=c),
                  multiplier=rng.integers(1 << 30, 1 << 31, size=c), shift=-rng.integers(1, 14, size=c))
    if once:
        consts["multiplier"], consts["shift"] = once_pairs(rng, c)
        if p["act_min"] < p["output_offset"]:
            assert not narrow_serves(p, consts)
            return
    assert narrow_serves(p, consts), p
    packed = narrow_records(p, consts)
    assert packed.size == 1 + c * RECORD_WORDS
    assert narrow_scratch(p) == 12 * slot_words(p) * c + c
    want = ref.depthwise_conv2d_s8(p, x, w, consts["bias"], consts["multiplier"], consts["shift"])
    got = narrow_model(p, x, packed)
    diff = np.flatnonzero(got != want)
    assert diff.size == 0, f"first differing outputs: {diff[:5].tolist()}"


def test_depthwise_3x3_narrow_s8_refuses_what_it_cannot_serve():
    c = 8
    p = _layer(c, 25, 5, 1, 1)
    consts = dict(weight=np.ones((3, 3, c), np.int8), bias=np.zeros(c, np.int64), multiplier=np.full(c, 1 << 30),
                  shift=np.full(c, -7))
    assert narrow_serves(p, consts)
    refused = [
        _layer(c, 5, 25, 1, 1),                     # 25 pixels a row
        _layer(c, 25, 4, 1, 1),                     # 4
        _layer(6, 25, 5, 1, 1),                     # channels not a multiple of 4
        dict(p, stride_h=2, out_h=13),              # stride 2
        dict(p, dilation_w=2),
        dict(p, depth_multiplier=2, out_c=16),
        _layer(c, 25, 5, 3, 1),                     # 3 padded rows on top
    ]
    for q in refused:
        assert not narrow_serves(q, consts) and narrow_scratch(q) == 0 and narrow_records(q, consts).size == 1, q
    assert not narrow_serves(p, dict(consts, bias=np.full(c, 1 << 30)))                  # sums past 2^30
    assert not narrow_serves(p, dict(consts, multiplier=np.full(c, -5)))
    assert not narrow_serves(p, dict(consts, shift=np.full(c, 1)))                        # a left shift


def _row_order_clobbers(k: dict, d: int) -> list[int]:
    """Output rows whose writes, with the output d bytes below the input, destroy an input byte a
    later row still reads (the kernel's order: per output row, the input rows its windows need
    that are not in the ring yet read whole, then the row written)."""
    row_in, row_out = k["in_w"] * k["in_c"], k["out_w"] * k["out_c"]
    written, bad, next_row = np.zeros(k["in_h"] * row_in, bool), [], -k["pad_top"]
    for y in range(k["out_h"]):
        top = y - k["pad_top"]
        for r in range(max(next_row, top), top + 3):
            if 0 <= r < k["in_h"] and written[r * row_in:(r + 1) * row_in].any():
                bad.append(y)
        next_row = top + 3
        lo, hi = y * row_out - d, (y + 1) * row_out - d
        written[max(lo, 0):max(hi, 0)] = True
    return bad


@pytest.mark.parametrize("pads", [(1, 1, 1, 1), (0, 0, 0, 0), (2, 1, 2, 1), (0, 1, 0, 1), (2, 2, 1, 2), (1, 0, 2, 2)])
@pytest.mark.parametrize("in_h", [1, 2, 3, 7, 25])
def test_depthwise_3x3_narrow_s8_in_place_distance_is_safe_and_tight(pads, in_h):
    top, left, bottom, right = pads
    k = _layer(4, in_h, LINE + 2 - left - right, top, left, bottom, right)
    if k["out_h"] < 1:
        return
    d = DISTANCE[NARROW](k)
    assert _row_order_clobbers(k, d) == []
    if d > 0:
        assert _row_order_clobbers(k, d - 1) != []


# -- on the stand-ins ----------------------------------------------------------------------------

def _dw(c, padding, act):
    layers = [nn.Conv2d(c, c, 3, padding=padding, groups=c)]
    return layers + ({"relu": [nn.ReLU()], "relu6": [nn.ReLU6()], "clamp": [nn.Hardtanh(-0.4, 0.7)],
                      "none": []}[act])


def _chain(seed: int):
    """A drawn chain: 3..5 depthwise layers (1x1 convolutions between some of them set the
    channels, multiples of 4 in 4..128), paddings (rows, columns) that keep, shrink and grow the
    map around 5 columns, activations none / ReLU / ReLU6 / a clamp narrower than int8. Returns the
    module class, its input shape (NCHW) and whether the calibration input is negative (the
    first layer's input zero point near 127)."""
    rng = np.random.default_rng(seed)
    c = 4 * int(rng.integers(1, 33))
    h = int(rng.integers(3, 29))
    w = int(rng.choice([5, 7, 3]))
    shape, layers = (1, c, h, w), []
    for _ in range(int(rng.integers(3, 6))):
        # columns: 5 -> 5 with padding 1, 7 -> 5 with 0, 3 -> 5 with 2; else 5 -> 7 (padding 2, not served)
        pw = {5: int(rng.choice([1, 1, 2])), 7: 0, 3: 2}[w]
        ph = int(rng.choice([0, 1, 1, 2])) if h > 2 else int(rng.choice([1, 2]))
        if rng.random() < 0.5:
            c2 = 4 * int(rng.integers(1, 33))
            layers.append(nn.Conv2d(c, c2, 1))
            c = c2
        layers += _dw(c, (ph, pw), str(rng.choice(["none", "relu", "relu6", "clamp"])))
        h, w = h + 2 * ph - 2, w + 2 * pw - 2
    flat = c * h * w

    class Chain(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(*layers)
            self.fc = nn.Linear(flat, 3)

        def forward(self, x):
            return self.fc(torch.flatten(self.body(x), 1))

    return Chain, shape, bool(rng.random() < 0.4)


KWS = 100       # the chain seed standing for MLPerf KWS's shape: 64 channels, 25 x 5, padding 1


def _kws_chain():
    class Kws(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(*_dw(64, 1, "relu"), nn.Conv2d(64, 64, 1), nn.ReLU(), *_dw(64, 1, "relu"))
            self.fc = nn.Linear(64 * 25 * 5, 3)

        def forward(self, x):
            return self.fc(torch.flatten(self.body(x), 1))

    return Kws, (1, 64, 25, 5), False


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
@pytest.mark.parametrize("seed", [KWS, 1, 2, 3, 12, 16, 34])
def test_depthwise_3x3_narrow_s8_dsp_standin(board_name, seed, tmp_path):
    """The chain with the kernel on every depthwise layer it serves (as --kernels auto would choose
    it), generic and specialized builds alike (the kernel has no inline form): every layer equals
    the reference for inputs in range and saturating."""
    from standin_lib import needs_qemu

    from e2e import assert_device_equals_reference
    from tinygen.board import get_board
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions
    from tinygen.passes.choose_kernels import kernel_candidates
    from tinygen.ref.interpreter import quantize_input

    if needs_qemu.args[0]:
        pytest.skip(needs_qemu.kwargs["reason"])
    net_class, shape, negative = _kws_chain() if seed == KWS else _chain(seed)
    torch.manual_seed(seed)
    net = net_class().eval()
    for prm in net.parameters():
        torch.nn.init.uniform_(prm, -1.0, 1.0)
    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp_path / "m.pt2")
    rng = np.random.default_rng(seed)
    calib = rng.standard_normal((16,) + shape[1:]).astype(np.float32)
    np.save(tmp_path / "calib.npy", -np.abs(calib) if negative else calib)
    source = load_source(tmp_path / "m.pt2")
    board = get_board(board_name)
    features = frozenset(board.isa_features)
    first = compile_source(source, str(tmp_path / "calib.npy"), CompileOptions(features=features))
    dws = [n for n in first.nodes if n.op == "depthwise_conv2d"]
    choice = {n.name: NARROW for n in dws if NARROW in {s.name for s in kernel_candidates(first, n, features)}}
    served = [n.attrs["kparams"]["out_w"] == LINE for n in dws]
    assert [n.name in choice for n in dws] == served and sum(served) >= 2, [n.attrs["kparams"] for n in dws]
    graph = compile_source(source, str(tmp_path / "calib.npy"),
                           CompileOptions(features=features, kernel_choice=choice, lower_peak=False))
    assert [n.kernel == NARROW for n in graph.nodes if n.op == "depthwise_conv2d"] == served
    project = build(source, graph, board, tmp_path / "fw").out_dir
    # the sign's ADD left out of the build where every layer on the kernel clamps at its zero point or above
    ties_clamped = all(n.attrs["kparams"]["act_min"] >= n.attrs["kparams"]["output_offset"]
                       for n in graph.nodes if n.kernel == NARROW)
    assert ("-DTG_DW3N_SIGN_ADD=0" in (project / "Makefile").read_text()) == ties_clamped
    with open_device(board, project, emulate=True) as dev:
        for scale in (1.0, 1.0, 8.0):         # 8: most inputs saturate at -128 / 127
            x = quantize_input(graph, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32) * scale))
            assert_device_equals_reference(dev, graph, x, f"{board_name} chain {seed}")
