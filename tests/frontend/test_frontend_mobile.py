"""The PyTorch frontend's mobile layers (tinygen/frontend/torch_mobile.py): the float
import equals PyTorch; compiled, the host C equals the numpy reference byte for byte;
each node with a TFLite operator equals TensorFlow Lite Micro's kernel on the same int8
inputs and quantization (a single-op .tflite per node, tests/tflm_single_op.py); layout
chains fold to one transpose; unsupported ops are all listed in one refusal."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from e2e import ALL_AGREE, build_host, diff_layers, first_difference
from tflm_single_op import nodes_equal_tflm
from torch import nn
from torch_models import compile_module, source_of

from tinygen.errors import UnsupportedOpError
from tinygen.frontend.torch import from_exported
from tinygen.frontend.torch_loader import to_ir_layout
from tinygen.ref.float_interp import run_float
from tinygen.ref.interpreter import quantize_input, run


class SE(nn.Module):
    """Squeeze-and-excitation as torchvision writes it: pool, 1x1, ReLU, 1x1, hard sigmoid, scale."""

    def __init__(self, c: int, squeeze: int):
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(c, squeeze, 1), nn.Conv2d(squeeze, c, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return F.hardsigmoid(self.fc2(F.relu(self.fc1(s)))) * x


class Mobile(nn.Module):
    """Every 4-D mobile op in one small network."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.act = nn.Hardswish(inplace=True)
        self.se = SE(8, 4)
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.pw = nn.Conv2d(4, 4, 1)
        self.head = nn.Conv2d(8, 6, 1)
        self.drop = nn.Dropout(0.1, inplace=True)
        self.scale = nn.Parameter(torch.linspace(0.5, 1.5, 6).reshape(1, 6, 1, 1))

    def forward(self, x):
        x = self.se(self.act(self.conv(x)))
        x = F.silu(self.dw(x))
        a, b = x.chunk(2, dim=1)                                       # channel split
        x = torch.cat([a, F.relu6(self.pw(b))], dim=1)
        n, c, h, w = x.shape                                           # channel shuffle
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)
        x = F.pad(x, (1, 0, 0, 1))
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.drop(self.head(x))
        x = F.interpolate(x, size=(x.shape[2] * 3 // 2 + 1, x.shape[3] * 2), mode="bilinear")
        x = torch.clamp(x * self.scale + 0.25, min=-1.0, max=3.0)      # per-channel constants, ReLU-n
        x = torch.cat([x[:, :, :4], x[:, :, 4:] / 2.0 - 0.5], dim=2)   # slices, concat along H
        return F.hardsigmoid(x.permute(0, 2, 3, 1)).flatten(1)


class Audio(nn.Module):
    """Conv1d with its pools and batch norm, as 1 x k 2-D ops."""

    def __init__(self):
        super().__init__()
        self.c1, self.bn1 = nn.Conv1d(4, 8, 5, padding=2), nn.BatchNorm1d(8)
        self.c2 = nn.Conv1d(8, 8, 3, stride=2, groups=8)
        self.c3 = nn.Conv1d(8, 12, 3, padding="same", dilation=2)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        x = F.max_pool1d(F.relu(self.bn1(self.c1(x))), 2)
        x = F.avg_pool1d(F.hardswish(self.c2(x)), 2, ceil_mode=False)
        x = F.interpolate(self.c3(x), scale_factor=2, mode="nearest")
        return self.fc(F.adaptive_avg_pool1d(x, 1).flatten(1))


NETS = {"mobile": (Mobile, (3, 12, 12)), "audio": (Audio, (4, 64))}


def _net(name: str) -> nn.Module:
    torch.manual_seed(0)
    net = NETS[name][0]().eval()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 1.5)
    return net


def _calib(name: str, n: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n,) + NETS[name][1]).astype(np.float32)


@pytest.mark.parametrize("name", NETS)
def test_mobile_float32_matches_torch(name):
    net, x = _net(name), _calib(name, 4)
    graph = source_of(net, x).graph
    want = net(torch.from_numpy(x)).detach().numpy()
    got = run_float(graph, to_ir_layout(x))[graph.outputs[0]]
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-4, atol=1e-5)


def test_channel_shuffle_folds_to_one_transpose():
    graph = source_of(_net("mobile"), _calib("mobile", 2)).graph
    from tinygen.passes import float_pipeline, run_passes
    graph = run_passes(graph, float_pipeline())
    transposes = [n for n in graph.nodes if n.op == "transpose"]
    # the shuffle (five layout nodes in torch's order: one transpose [H*W, 2, C/2] -> [H*W, C/2, 2]),
    # then the permute and the flatten, each moving data (a hard sigmoid between them)
    assert [n.attrs["perm"] for n in transposes] == [(0, 1, 3, 2), (0, 2, 1), (0, 2, 1)]
    assert graph.tensor(transposes[0].inputs[0]).shape == (1, 6 * 6, 2, 4)


@pytest.mark.parametrize("name", NETS)
def test_mobile_s8_host_c_equals_reference(name, tmp_path):
    source, graph = compile_module(_net(name), _calib(name), name)
    host = build_host(source, graph, tmp_path / "host")
    for k, x in enumerate(_calib(name, 8, seed=1)):
        q = quantize_input(graph, source.to_graph_layout(x[None]))
        want, got = run(graph, q)[graph.outputs[0]], host.invoke(q)[0]
        assert np.array_equal(got.ravel(), want.ravel()), f"input {k}: {first_difference(want, got)}"
    assert diff_layers(graph, host, q) == ALL_AGREE


@pytest.mark.parametrize("name", NETS)
def test_mobile_s8_nodes_equal_tflm(name):
    source, graph = compile_module(_net(name), _calib(name), name)
    feeds = [quantize_input(graph, source.to_graph_layout(x[None])) for x in _calib(name, 6, seed=2)]
    checked = set(nodes_equal_tflm(graph, feeds))
    expect = {"mobile": {"hard_swish", "mul", "add", "logistic", "concat", "pad", "transpose", "resize_nearest",
                         "resize_bilinear", "slice"},
              "audio": {"hard_swish", "resize_nearest"}}[name]
    assert expect <= checked, f"not checked against TFLM: {expect - checked}"


class Refused(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.norm = nn.LayerNorm([4, 6, 6])
        self.act = nn.Mish()

    def forward(self, x):
        y = self.act(self.norm(self.conv(x)))
        y = F.interpolate(y, scale_factor=2, mode="bicubic")
        return torch.max(y, dim=3).values.flatten(1)


def test_every_unsupported_op_in_one_refusal():
    with pytest.raises(UnsupportedOpError) as info:
        from_exported(torch.export.export(Refused().eval(), (torch.randn(1, 3, 8, 8),)), "m")
    text = str(info.value)
    for op, where, advice in [("aten.layer_norm", "'norm' (LayerNorm)", "only over the last dim"),
                              ("aten.mish", "'act' (Mish)", "nn.SiLU"),
                              ("aten.upsample_bicubic2d", "forward()", "mode='nearest'"),
                              ("aten.max", "forward()", "maximum of the int8 output")]:
        assert op in text and where in text and advice in text, f"{op}: {text}"
    assert text.startswith("the model uses 4 operators")


@pytest.mark.parametrize("layer", [nn.Dropout(0.2, inplace=True), nn.AlphaDropout(0.2), nn.Dropout2d(0.3),
                                   nn.FeatureAlphaDropout(0.1), nn.Dropout1d(0.2)])
def test_dropout_in_every_form_is_removed(layer):
    net = nn.Sequential(nn.Conv2d(2, 4, 1), layer, nn.ReLU()).eval() if not isinstance(layer, nn.Dropout1d) \
        else nn.Sequential(nn.Conv1d(2, 4, 1), layer, nn.ReLU()).eval()
    shape = (1, 2, 5) if isinstance(layer, nn.Dropout1d) else (1, 2, 3, 3)
    graph = from_exported(torch.export.export(net, (torch.randn(*shape),)), "m")
    assert [n.op for n in graph.nodes] == ["conv2d", "clamp"]


@pytest.mark.parametrize("inplace, plain, ops", [
    (nn.Hardsigmoid(inplace=True), nn.Hardsigmoid(), ["conv2d", "hard_sigmoid"]),
    (nn.Hardswish(inplace=True), nn.Hardswish(), ["conv2d", "hard_swish"]),
    (nn.SiLU(inplace=True), nn.SiLU(), ["conv2d", "logistic", "mul"]),
    (nn.ReLU6(inplace=True), nn.ReLU6(), ["conv2d", "clamp"]),
    (nn.Hardtanh(-0.5, 2.0, inplace=True), nn.Hardtanh(-0.5, 2.0), ["conv2d", "clamp"]),
])
def test_inplace_activations_import_like_their_plain_forms(inplace, plain, ops):
    """torch.export keeps the in-place aten op (hardsigmoid_, silu_, ...): each imports to the
    plain form's nodes and computes the same floats."""
    x = torch.randn(4, 2, 3, 3, generator=torch.Generator().manual_seed(0))
    got = []
    for layer in (inplace, plain):
        torch.manual_seed(0)
        net = nn.Sequential(nn.Conv2d(2, 4, 1), layer).eval()
        program = torch.export.export(net, (x[:1],))
        targets = [str(n.target) for n in program.graph.nodes if n.op == "call_function"]
        graph = from_exported(program, "m")
        assert [n.op for n in graph.nodes] == ops, targets
        value = run_float(graph, to_ir_layout(x.numpy()))[graph.outputs[0]]
        np.testing.assert_allclose(value, to_ir_layout(net(x).detach().numpy()), rtol=1e-5, atol=1e-6)
        got.append(targets[-1])
    assert got[0].endswith("_.default") and not got[1].endswith("_.default"), got    # the in-place op was met
