"""Property tests over layer shapes, through the whole pipeline.

Hypothesis draws a small PyTorch model around one layer (conv, depthwise,
pooling, linear) with odd sizes, stride 2, 'same'/'valid'/explicit padding,
channel counts that are not multiples of 4, 1x1 and kx1 kernels; tinygen
exports, quantizes and compiles it for the host; the C output must equal the
numpy reference byte for byte.
"""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from e2e import assert_bit_exact
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.ref.interpreter import quantize_input
from tinygen.run.host import HostModel

SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@st.composite
def conv_layers(draw):
    in_c = draw(st.sampled_from([1, 3, 5, 8]))
    depthwise = draw(st.booleans())
    kh = draw(st.sampled_from([1, 2, 3, 5]))
    kw = draw(st.sampled_from([1, 3]))
    stride = draw(st.sampled_from([1, 2]))
    dilation = draw(st.sampled_from([1, 1, 2]))
    padding = draw(st.sampled_from(["valid", "same", "explicit"]))
    if padding == "same" and stride != 1:
        padding = "explicit"                         # PyTorch allows 'same' only with stride 1
    pad = (kh // 2, kw // 2) if padding == "explicit" else padding
    out_c = in_c * draw(st.sampled_from([1, 2])) if depthwise else draw(st.sampled_from([1, 3, 6, 7]))
    h = draw(st.integers(max(5, (kh - 1) * dilation + 1), 11))
    w = draw(st.integers(max(3, (kw - 1) * dilation + 1), 9))
    conv = nn.Conv2d(in_c, out_c, (kh, kw), stride=stride, padding=pad, dilation=dilation,
                     groups=in_c if depthwise else 1, bias=draw(st.booleans()))
    act = draw(st.sampled_from([nn.Identity(), nn.ReLU(), nn.ReLU6()]))
    return nn.Sequential(conv, act), (1, in_c, h, w)


@st.composite
def pool_layers(draw):
    c = draw(st.sampled_from([1, 3, 5]))
    k = draw(st.sampled_from([2, 3]))
    stride = draw(st.sampled_from([1, 2]))
    pad = draw(st.integers(0, k // 2))
    if draw(st.booleans()):
        pool = nn.MaxPool2d(k, stride, pad)
    else:
        pool = nn.AvgPool2d(k, stride, pad, count_include_pad=draw(st.booleans()))
    h, w = draw(st.integers(k, 9)), draw(st.integers(k, 9))
    return nn.Sequential(nn.Conv2d(2, c, 1), pool), (1, 2, h, w)


@st.composite
def linear_layers(draw):
    sizes = draw(st.lists(st.integers(1, 37), min_size=2, max_size=4))
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1]), (1, sizes[0])


def _check(net: nn.Module, shape, tmp_path_factory, seed: int = 0) -> None:
    torch.manual_seed(seed)
    for p in net.parameters():
        torch.nn.init.uniform_(p, -1.0, 1.0)
    net.eval()
    tmp = tmp_path_factory.mktemp("layer")
    x = torch.randn(shape)
    torch.export.save(torch.export.export(net, (x,)), tmp / "m.pt2")
    rng = np.random.default_rng(seed)
    np.save(tmp / "calib.npy", rng.standard_normal((32,) + shape[1:]).astype(np.float32))
    source = load_source(tmp / "m.pt2")
    graph = compile_source(source, str(tmp / "calib.npy"))
    build(source, graph, get_board("host"), tmp / "out")
    host = HostModel(tmp / "out")
    inputs = [quantize_input(graph, source.to_graph_layout(rng.standard_normal((1,) + shape[1:]) * 1.5))
              for _ in range(5)]
    assert_bit_exact(graph, host, inputs)


@SETTINGS
@given(layer=conv_layers())
def test_conv_shapes_s8_host(layer, tmp_path_factory):
    _check(*layer, tmp_path_factory)


@SETTINGS
@given(layer=pool_layers())
def test_pool_shapes_s8_host(layer, tmp_path_factory):
    _check(*layer, tmp_path_factory)


@SETTINGS
@given(layer=linear_layers())
def test_linear_shapes_s8_host(layer, tmp_path_factory):
    _check(*layer, tmp_path_factory)


@pytest.mark.parametrize("dim", [1])
def test_concat_and_sigmoid_s8_host(dim, tmp_path_factory):
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 5, 3, padding=1)
            self.b = nn.Conv2d(3, 3, 1)
            self.head = nn.Conv2d(8, 4, 1)

        def forward(self, x):
            y = torch.cat([torch.relu(self.a(x)), torch.sigmoid(self.b(x))], dim=dim)
            return torch.sigmoid(self.head(nn.functional.hardtanh(y, -0.5, 0.7)))

    _check(Branchy(), (1, 3, 7, 6), tmp_path_factory)
