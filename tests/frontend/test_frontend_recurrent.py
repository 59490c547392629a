"""nn.LSTM and nn.GRU from PyTorch (tinygen/frontend/torch_recurrent.py): the float import equals
PyTorch's layers (batch-first or not, one or two layers, every step or the last, h0 / c0 zero,
constant or model inputs); compiled to int8, the outputs agree with PyTorch's within the
quantization, and the host C equals the numpy reference byte for byte; `y[:, -1]` keeps only the
last step (no sequence stored); what tinygen cannot run is refused with the reason."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from e2e import build_host, diff_layers, first_difference
from torch import nn
from torch_models import compile_module, source_of

from tinygen.errors import UnsupportedOpError
from tinygen.frontend import ir_layout, torch_to_ir
from tinygen.ref.float_interp import run_float
from tinygen.ref.interpreter import dequantize, quantize_input, run

STEPS, FEATURES, HIDDEN = 6, 5, 12


class Net(nn.Module):
    """A recurrent layer (and a linear head on its last step): `last` takes y[:, -1], else the
    whole sequence is the output; `state`: h0 (and c0) "zero", "const" (buffers) or "input"."""

    def __init__(self, kind: str, layers: int = 1, last: bool = True, state: str = "zero", batch_first: bool = True):
        super().__init__()
        cls = nn.LSTM if kind == "lstm" else nn.GRU
        self.kind, self.last, self.state, self.batch_first = kind, last, state, batch_first
        self.rnn = cls(FEATURES, HIDDEN, num_layers=layers, batch_first=batch_first)
        self.head = nn.Linear(HIDDEN, 3)
        self.register_buffer("h0", torch.randn(layers, 1, HIDDEN) * 0.5)
        self.register_buffer("c0", torch.randn(layers, 1, HIDDEN))

    def forward(self, x, h0=None, c0=None):
        if self.state == "const":
            h0, c0 = self.h0, self.c0
        if self.state == "zero":
            y = self.rnn(x)[0]
        else:
            y = self.rnn(x, (h0, c0) if self.kind == "lstm" else h0)[0]
        if not self.last:
            return y
        return self.head(y[:, -1] if self.batch_first else y[-1])


CASES = {
    "lstm": dict(kind="lstm"),
    "gru": dict(kind="gru"),
    "lstm_2_layers_sequence": dict(kind="lstm", layers=2, last=False),
    "gru_2_layers": dict(kind="gru", layers=2),
    "lstm_const_state": dict(kind="lstm", state="const"),
    "gru_const_state": dict(kind="gru", state="const"),
}


def _net(name: str) -> Net:
    torch.manual_seed(sum(map(ord, name)))
    return Net(**CASES[name]).eval()


def _ir(graph, name: str, a) -> np.ndarray:
    """A torch batch of graph input or output `name` in the layout the graph holds it in."""
    return torch_to_ir(np.asarray(a, np.float32), ir_layout(graph, name))


def _x(n: int, seed: int, steps: int = STEPS) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, steps, FEATURES)).astype(np.float32)


@pytest.mark.parametrize("name", CASES)
def test_recurrent_float32_matches_torch(name):
    net, x = _net(name), _x(4, 0)
    graph = source_of(net, x).graph
    for k in range(len(x)):             # one at a time: a constant h0 has batch 1
        want = net(torch.from_numpy(x[k:k + 1])).detach().numpy()
        got = run_float(graph, _ir(graph, graph.inputs[0], x[k:k + 1]))[graph.outputs[0]]
        np.testing.assert_allclose(got, _ir(graph, graph.outputs[0], want).reshape(got.shape), rtol=1e-4, atol=1e-5)


def test_state_as_model_inputs_float32_matches_torch():
    for kind in ("lstm", "gru"):
        torch.manual_seed(1)
        net = Net(kind, state="input").eval()
        x = torch.from_numpy(_x(1, 1))
        h0, c0 = torch.randn(1, 1, HIDDEN) * 0.5, torch.randn(1, 1, HIDDEN)
        args = (x, h0, c0) if kind == "lstm" else (x, h0)
        from tinygen.frontend.torch import from_exported
        graph = from_exported(torch.export.export(net, args))
        want = net(*args).detach().numpy()
        feeds = {name: _ir(graph, name, a.numpy()) for name, a in zip(graph.inputs, args)}
        got = run_float(graph, feeds)[graph.outputs[0]]
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-4, atol=1e-5)


def test_time_major_one_frame_float32_matches_torch():
    torch.manual_seed(2)
    net = Net("gru", batch_first=False).eval()
    x = _x(3, 2, steps=1).transpose(1, 0, 2)        # [T=1, B=3 calibration samples ...] per sample [1, 1, F]
    graph = source_of(net, np.ascontiguousarray(x.transpose(1, 0, 2))).graph
    for k in range(3):
        xk = torch.from_numpy(np.ascontiguousarray(x[:, k:k + 1]))
        want = net(xk).detach().numpy()
        got = run_float(graph, _ir(graph, graph.inputs[0], xk.numpy()))[graph.outputs[0]]
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-4, atol=1e-5)


def test_last_step_is_folded_into_the_layer():
    graph = source_of(_net("lstm"), _x(2, 0)).graph
    layers = [n for n in graph.nodes if n.op == "lstm"]
    assert [n.attrs["sequence"] for n in layers] == [False]
    assert graph.tensor(layers[0].outputs[0]).shape == (1, HIDDEN)
    two = source_of(_net("gru_2_layers"), _x(2, 0)).graph
    assert [n.attrs["sequence"] for n in two.nodes if n.op == "gru"] == [True, False]


@pytest.mark.parametrize("name", CASES)
def test_recurrent_s8_agrees_with_torch_within_quantization(name):
    """Each recurrent layer's int8 output (its hidden states) against the float import's, which
    equals PyTorch (above), on calibration samples (inside the calibrated ranges, which an int8
    grid clips)."""
    net = _net(name)
    calib = _x(64, 3)
    source, graph = compile_module(net, calib, name)
    layers = [n.outputs[0] for n in graph.nodes if n.op in ("lstm", "gru")]
    errors = []
    for x in calib[::4]:
        xq = source.to_graph_layout(x[None])
        want = run_float(source.graph, xq, keep_all=True)
        got = run(graph, quantize_input(graph, xq), keep_all=True)
        for t in layers:
            scale = float(graph.tensor(t).qparams.scale[0])
            errors.append(np.abs(dequantize(graph, t, got[t]).ravel() - want[t].ravel()).max() / scale)
    # int16 gates and an int8 hidden state, rounded at every step
    assert max(errors) <= 3, f"worst error {max(errors):.2f} output steps"
    assert np.mean(errors) <= 1.5


@pytest.mark.parametrize("name", ["lstm", "gru", "lstm_2_layers_sequence", "gru_const_state"])
def test_recurrent_s8_host_c_equals_reference(name, tmp_path):
    source, graph = compile_module(_net(name), _x(32, 5), name)
    host = build_host(source, graph, tmp_path / "host")
    for k, x in enumerate(_x(6, 6)):
        q = quantize_input(graph, source.to_graph_layout(x[None]))
        want, got = run(graph, q)[graph.outputs[0]], host.invoke(q)[0]
        assert np.array_equal(got.ravel(), want.ravel()), f"input {k}: {first_difference(want, got)}\n" + \
            diff_layers(graph, host, q)


@pytest.mark.parametrize("module, match", [
    (nn.LSTM(4, 8, batch_first=True, bidirectional=True), "bidirectional"),
    (nn.LSTM(4, 8, batch_first=True, proj_size=3), "proj_size"),
])
def test_unsupported_recurrent_layers_are_refused(module, match):
    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.m = module

        def forward(self, x):
            return self.m(x)[0]

    with pytest.raises(UnsupportedOpError, match=match):
        source_of(Wrap().eval(), _x(1, 0)[:, :, :4].copy())
