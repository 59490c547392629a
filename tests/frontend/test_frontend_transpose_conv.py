"""nn.ConvTranspose2d / ConvTranspose1d through the PyTorch frontend: the float import equals
PyTorch (stride, padding, output_padding, dilation, rectangular kernels, no bias, a batch
norm folded in, a fused ReLU); groups other than 1 are refused in one line; compiled, the
host C equals the numpy reference byte for byte, every layer TFLite can state equals TFLite
Micro's TRANSPOSE_CONV on the same int8 inputs, and the int8 outputs follow PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_bit_exact, build_host
from tflm_single_op import nodes_equal_tflm
from tinygen.compiler import compile_source, load_source
from tinygen.errors import UnsupportedOpError
from tinygen.frontend.torch import from_exported
from tinygen.frontend.torch_loader import to_ir_layout
from tinygen.passes import CompileOptions
from tinygen.passes.analysis import layer_stats
from tinygen.ref.float_interp import run_float
from tinygen.ref.interpreter import dequantize, quantize_input, run


def _float_matches(net: nn.Module, shape, batches=(1, 4)) -> object:
    torch.manual_seed(0)
    net = net.eval()
    graph = from_exported(torch.export.export(net, (torch.randn(1, *shape),)), "m")
    for n in batches:
        x = torch.randn(n, *shape)
        with torch.no_grad():
            want = net(x).numpy()
        got = run_float(graph, to_ir_layout(x.numpy()))[graph.outputs[0]]
        want = want.transpose(0, 2, 3, 1) if want.ndim == 4 else want.transpose(0, 2, 1)[:, None]
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-4, atol=1e-5)
    return graph


# (in_c, out_c, kernel, stride, padding, output_padding, dilation, bias), input H, W
LAYERS = {
    "k3_s2_p1_op1": ((5, 6, 3, 2, 1, 1, 1, True), (4, 3)),
    "k4_s2_p1": ((8, 4, 4, 2, 1, 0, 1, True), (3, 3)),
    "k2_s2_no_bias": ((3, 7, 2, 2, 0, 0, 1, False), (4, 5)),
    "rect_strides": ((4, 3, (3, 5), (1, 3), (1, 2), (0, 2), 1, True), (5, 3)),
    "dilation_2": ((3, 5, 3, 2, 2, 1, 2, True), (4, 4)),
    "crop_past_taps": ((2, 2, 3, 1, 4, 0, 2, True), (5, 6)),
    "stride_3_kernel_2": ((4, 4, 2, 3, 0, 2, 1, True), (3, 3)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_conv_transpose2d_float_import_equals_pytorch(name):
    (cin, cout, k, s, p, op, d, bias), hw = LAYERS[name]
    net = nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p, output_padding=op, dilation=d, bias=bias)
    graph = _float_matches(net, (cin, *hw))
    (node,) = graph.nodes
    assert node.op == "transpose_conv2d" and graph.tensor(node.param("weight")).shape[0] == cout


def test_conv_transpose1d_float_import_equals_pytorch():
    graph = _float_matches(nn.ConvTranspose1d(4, 3, 5, stride=3, padding=2, output_padding=1), (4, 7))
    assert [n.op for n in graph.nodes] == ["transpose_conv2d"]


class Decoder(nn.Module):
    """A decoder: latent features up twice by transposed convolutions (batch norm, ReLU), then
    a 3x3 convolution and a transposed convolution with dilation."""

    def __init__(self):
        super().__init__()
        self.up1 = nn.Sequential(nn.ConvTranspose2d(6, 8, 3, stride=2, padding=1, output_padding=1, bias=False),
                                 nn.BatchNorm2d(8), nn.ReLU())
        self.up2 = nn.Sequential(nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), nn.ReLU6())
        self.conv = nn.Conv2d(4, 3, 3, padding=1)
        self.last = nn.ConvTranspose2d(3, 2, 3, padding=2, dilation=2)

    def forward(self, x):
        return self.last(self.conv(self.up2(self.up1(x))))


def _decoder(tmp_path):
    torch.manual_seed(2)
    net = Decoder().eval()
    with torch.no_grad():
        bn = net.up1[1]
        bn.running_mean.uniform_(-0.3, 0.3)
        bn.running_var.uniform_(0.5, 1.5)
        bn.weight.uniform_(0.5, 1.5)
    torch.export.save(torch.export.export(net, (torch.randn(1, 6, 3, 4),)), tmp_path / "m.pt2")
    np.save(tmp_path / "calib.npy", np.random.default_rng(0).standard_normal((64, 6, 3, 4)).astype(np.float32))
    source = load_source(tmp_path / "m.pt2")
    return net, source, compile_source(source, str(tmp_path / "calib.npy"), CompileOptions())


def test_decoder_folds_and_fuses(tmp_path):
    """The batch norm folds into the transposed convolution before it, the ReLUs fuse into theirs;
    inspect counts the products that land in the output."""
    net, source, graph = _decoder(tmp_path)
    assert [n.op for n in source.graph.nodes] == ["transpose_conv2d", "batch_norm", "clamp", "transpose_conv2d",
                                                  "clamp", "conv2d", "transpose_conv2d"]
    assert [n.op for n in graph.nodes] == ["transpose_conv2d", "transpose_conv2d", "conv2d", "transpose_conv2d"]
    first = graph.nodes[0]
    assert first.attrs["act_min"] == int(graph.tensor(first.outputs[0]).qparams.zero_point[0])
    macs = [s.macs for s in layer_stats(graph)]
    # up1 (3x4 -> 6x8, k3 s2 p1): the (input, tap) pairs landing in the output, per axis, x channels
    assert macs[0] == sum(1 for iy in range(3) for ky in range(3) if 0 <= 2 * iy - 1 + ky < 6) * \
        sum(1 for ix in range(4) for kx in range(3) if 0 <= 2 * ix - 1 + kx < 8) * 6 * 8
    assert macs[2] == 12 * 16 * 3 * 3 * 4 * 3


def test_decoder_s8_host_equals_reference_and_follows_pytorch(tmp_path):
    net, source, graph = _decoder(tmp_path)
    assert {n.kernel for n in graph.nodes if n.op == "transpose_conv2d"} == {"tg_transpose_conv2d_s8"}
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((8, 6, 3, 4)).astype(np.float32)
    inputs = [quantize_input(graph, source.to_graph_layout(x[None])) for x in xs]
    assert_bit_exact(graph, build_host(source, graph, tmp_path / "host"), inputs)
    with torch.no_grad():
        want = net(torch.from_numpy(xs)).numpy().transpose(0, 2, 3, 1)
    got = np.stack([dequantize(graph, graph.outputs[0], run(graph, q)[graph.outputs[0]])[0] for q in inputs])
    scale = float(graph.tensor(graph.outputs[0]).qparams.scale[0])
    assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.99
    assert np.abs(got - want).mean() < 3 * scale


def test_decoder_s8_nodes_equal_tflm(tmp_path):
    """Every transposed convolution TFLite can state (dilation 1, SAME or VALID giving its padding:
    k4 s2 p1 is SAME; k3 s2 p1 op1 is not, TFLite's SAME pads after) equals TFLM's TRANSPOSE_CONV."""
    _, source, graph = _decoder(tmp_path)
    rng = np.random.default_rng(3)
    feeds = [quantize_input(graph, source.to_graph_layout(rng.standard_normal((1, 6, 3, 4)).astype(np.float32)))
             for _ in range(4)]
    assert nodes_equal_tflm(graph, feeds) == ["transpose_conv2d"]


def test_same_padding_decoder_nodes_equal_tflm(tmp_path):
    """k4 s2 p1 and k2 s2 (SAME and VALID in TFLite) with fused ReLU and ReLU6: every node checked."""
    net = nn.Sequential(nn.ConvTranspose2d(3, 5, 4, stride=2, padding=1), nn.ReLU(),
                        nn.ConvTranspose2d(5, 4, 2, stride=2), nn.ReLU6(), nn.ConvTranspose2d(4, 2, 4, stride=2,
                                                                                              padding=1)).eval()
    torch.export.save(torch.export.export(net, (torch.randn(1, 3, 2, 3),)), tmp_path / "m.pt2")
    np.save(tmp_path / "calib.npy", np.random.default_rng(0).standard_normal((32, 3, 2, 3)).astype(np.float32))
    source = load_source(tmp_path / "m.pt2")
    graph = compile_source(source, str(tmp_path / "calib.npy"), CompileOptions())
    rng = np.random.default_rng(4)
    feeds = [quantize_input(graph, source.to_graph_layout(rng.standard_normal((1, 3, 2, 3)).astype(np.float32)))
             for _ in range(4)]
    assert nodes_equal_tflm(graph, feeds) == ["transpose_conv2d"] * 3


def test_grouped_conv_transpose_refused_in_one_line():
    net = nn.Sequential(nn.ConvTranspose2d(4, 4, 3, stride=2, groups=2)).eval()
    with pytest.raises(UnsupportedOpError) as e:
        from_exported(torch.export.export(net, (torch.randn(1, 4, 3, 3),)), "m")
    msg = e.value.message
    assert "\n" not in msg and "groups=2" in msg and "only groups=1 is supported" in msg and "'0'" in msg, msg
    assert "ConvTranspose2d" in e.value.hint
