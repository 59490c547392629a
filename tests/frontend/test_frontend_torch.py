"""The PyTorch frontend and the float interpreter, checked against PyTorch itself.

Every model is exported, translated to the IR and run through `run_float`; the
outputs must match PyTorch's (NCHW outputs transposed to NHWC).
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.torch import from_exported
from tinygen.frontend.torch_loader import load, to_ir_layout
from tinygen.ir import Kind, dump, validate
from tinygen.ref.float_interp import run_float

# torch's own note about even kernels with padding="same"; the case is tested on purpose
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "models"
EXAMPLE_NAMES = ["cnn", "mobilenet", "resnet8", "mlp", "dscnn"]


def _randomize(net: nn.Module, seed: int = 0) -> nn.Module:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.3)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.3)
                if m.affine:
                    m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                    m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
    return net.eval()


def _import(path: Path):
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _export(net: nn.Module, x: torch.Tensor):
    return torch.export.export(net.eval(), (x[:1],))


def _nhwc(a: np.ndarray) -> np.ndarray:
    return a.transpose(0, 2, 3, 1) if a.ndim == 4 else a


def _assert_matches(net: nn.Module, graph, x: torch.Tensor) -> None:
    with torch.no_grad():
        ref = net(x)
    refs = list(ref) if isinstance(ref, (tuple, list)) else [ref]
    out = run_float(graph, to_ir_layout(x.numpy()))
    assert len(refs) == len(graph.outputs)
    for r, name in zip(refs, graph.outputs):
        np.testing.assert_allclose(out[name], _nhwc(r.numpy()), rtol=1e-4, atol=1e-5,
                                   err_msg=f"output {name}")


def _compile_and_check(net: nn.Module, shape: tuple[int, ...], batches=(1, 3, 5)):
    torch.manual_seed(0)
    net = _randomize(net)
    graph = from_exported(_export(net, torch.randn(1, *shape)), "m")
    validate(graph)
    assert dump(graph)
    for n in batches:
        _assert_matches(net, graph, torch.randn(n, *shape))
    return graph


# -- the example models ------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_model_float32_matches_torch(name):
    loaded = load(EXAMPLES / f"{name}.py")
    graph = from_exported(loaded.program, loaded.name)
    validate(graph)
    assert "graph " + name in dump(graph)
    assert graph.inputs == ["input"] and graph.tensors["input"].kind is Kind.INPUT
    assert all(graph.tensors[o].kind is Kind.OUTPUT for o in graph.outputs)
    net = _import(EXAMPLES / f"{name}.py").model()
    calib = loaded.calibration
    assert calib is not None and calib.dtype == np.float32 and 50 <= len(calib) <= 200
    assert np.isfinite(calib).all()
    _assert_matches(net, graph, torch.from_numpy(calib[:16]))
    gen = torch.Generator().manual_seed(3)
    for n in (1, 4):
        _assert_matches(net, graph, torch.randn(n, *calib.shape[1:], generator=gen))
    # node names: short, unique, C identifiers
    names = [n.name for n in graph.nodes]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names)


def test_example_models_are_deterministic():
    a = from_exported(load(EXAMPLES / "dscnn.py").program, "a")
    b = from_exported(load(EXAMPLES / "dscnn.py").program, "b")
    for t in a.tensors.values():
        if t.is_const:
            np.testing.assert_array_equal(t.data, b.tensors[t.name].data)


def test_cnn_flatten_is_transpose_then_reshape():
    graph = from_exported(load(EXAMPLES / "cnn.py").program, "cnn")
    ops = [n.op for n in graph.nodes]
    i = ops.index("transpose")
    tr, rs, fc = graph.nodes[i:i + 3]
    assert (rs.op, fc.op) == ("reshape", "fully_connected")
    assert tr.attrs["perm"] == (0, 3, 1, 2)
    assert graph.tensors[tr.outputs[0]].shape == (1, 16, 7, 7)      # NCHW-ordered dims
    assert graph.tensors[rs.outputs[0]].shape == (1, 784)
    assert graph.nodes[0].source == "features.0 (Conv2d)"
    assert graph.tensors[graph.nodes[0].param("weight")].shape == (8, 3, 3, 1)   # OHWI


def test_dscnn_layers_and_pool():
    graph = from_exported(load(EXAMPLES / "dscnn.py").program, "dscnn")
    ops = [n.op for n in graph.nodes]
    assert ops.count("depthwise_conv2d") == 4 and ops.count("conv2d") == 5
    assert "transpose" not in ops                       # 1x1 map: reshape only
    pool = graph.nodes[ops.index("avg_pool2d")]
    assert pool.attrs["kernel"] == (25, 5)
    first = graph.nodes[0]
    assert first.attrs["stride"] == (2, 2) and first.attrs["padding"] == (5, 5, 1, 1)
    assert graph.tensors[first.outputs[0]].shape == (1, 25, 5, 64)


def test_resnet8_has_residual_adds_with_downsample_shortcut():
    graph = from_exported(load(EXAMPLES / "resnet8.py").program, "resnet8")
    adds = [n for n in graph.nodes if n.op == "add"]
    assert len(adds) == 3
    one_by_one = [n for n in graph.nodes if n.op == "conv2d"
                  and graph.tensors[n.param("weight")].shape[1:3] == (1, 1)]
    assert len(one_by_one) == 2 and all(n.attrs["stride"] == (2, 2) for n in one_by_one)


def test_float_interp_dscnn_is_fast():
    loaded = load(EXAMPLES / "dscnn.py")
    graph = from_exported(loaded.program, "dscnn")
    x = np.random.default_rng(0).normal(0, 10, (200, 49, 10, 1)).astype(np.float32)
    run_float(graph, x[:2])
    t = time.process_time()       # this process's CPU time: a loaded machine does not change it
    acts = run_float(graph, x, keep_all=True)
    assert time.process_time() - t < 3.0, "200 samples through the float interpreter must be vectorized"
    assert set(acts) == {t.name for t in graph.activation_tensors()}
    assert all(a.shape[0] == 200 for a in acts.values())


# -- one small model per supported op / pattern --------------------------------------


class Lambda(nn.Module):
    def __init__(self, fn, *mods):
        super().__init__()
        self.mods = nn.ModuleList(mods)
        self.fn = fn

    def forward(self, x):
        return self.fn(x, *self.mods)


class CatChannels(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(3, 5, 1)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x), x], dim=1)


class InplaceResidual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.conv(x)
        y.add_(x)
        return self.relu(y)


class TwoOutputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3)
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        y = F.relu(self.conv(x))
        return y, self.fc(y.mean((2, 3)))


class Unflatten(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 24)
        self.conv = nn.Conv2d(6, 3, 1)

    def forward(self, x):
        return self.conv(self.fc(x).view(-1, 6, 2, 2))


OP_MODELS = {
    "cat_channels": (CatChannels, (3, 6, 6)),
    "sigmoid": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.Sigmoid()), (3, 6, 6)),
    "hardtanh": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.Hardtanh(-0.5, 0.75)), (3, 6, 6)),
    "relu6": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU6()), (3, 6, 6)),
    "relu_functional": (lambda: Lambda(lambda x, c: F.relu(c(x)), nn.Conv2d(3, 4, 3)), (3, 6, 6)),
    "dropout_identity": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.Dropout(0.5),
                                               nn.Identity(), nn.Dropout2d(0.1)), (3, 6, 6)),
    "batchnorm1d": (lambda: nn.Sequential(nn.Linear(10, 7), nn.BatchNorm1d(7)), (10,)),
    "batchnorm_no_affine": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1),
                                                  nn.BatchNorm2d(4, affine=False)), (3, 5, 5)),
    "depthwise_multiplier_2": (lambda: nn.Conv2d(3, 6, 3, padding=1, groups=3), (3, 7, 7)),
    "depthwise_stride_2_no_bias": (lambda: nn.Conv2d(4, 4, 3, 2, 1, groups=4, bias=False),
                                   (4, 9, 9)),
    "dilation_2": (lambda: nn.Conv2d(3, 4, 3, dilation=2, padding=2), (3, 9, 9)),
    "depthwise_dilation_2": (lambda: nn.Conv2d(4, 4, 3, dilation=(2, 1), groups=4), (4, 9, 9)),
    "padding_same_odd": (lambda: nn.Conv2d(3, 4, 3, padding="same"), (3, 7, 6)),
    "padding_same_even": (lambda: nn.Conv2d(3, 4, (4, 2), padding="same", bias=False),
                          (3, 7, 6)),
    "padding_valid": (lambda: nn.Conv2d(3, 4, 3, padding="valid"), (3, 7, 6)),
    "kernel_kx1": (lambda: nn.Sequential(nn.Conv2d(1, 4, (5, 1)), nn.Conv2d(4, 4, (1, 3),
                                                                               stride=(2, 1))),
                   (1, 11, 6)),
    "stride_asymmetric_padding": (lambda: nn.Conv2d(3, 5, (3, 5), stride=(2, 3),
                                                    padding=(1, 2)), (3, 10, 11)),
    "avgpool_pad_include": (lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=True),
                            (3, 7, 8)),
    "avgpool_pad_exclude": (lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
                            (3, 7, 8)),
    "avgpool_rect": (lambda: nn.AvgPool2d((2, 3), stride=(1, 2)), (2, 6, 7)),
    "maxpool_padding": (lambda: nn.MaxPool2d(3, 2, padding=1), (3, 7, 8)),
    "maxpool_ceil_same_shape": (lambda: nn.MaxPool2d(2, ceil_mode=True), (3, 8, 8)),
    "adaptive_avgpool": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1),
                                               nn.Flatten()), (3, 7, 6)),
    "adaptive_avgpool_2x2": (lambda: nn.AdaptiveAvgPool2d(2), (3, 6, 4)),
    "mean_keepdim": (lambda: Lambda(lambda x: x.mean((-1, -2), keepdim=True)), (3, 5, 4)),
    "flatten_into_linear": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(),
                                                  nn.Linear(4 * 4 * 3, 5)), (3, 6, 5)),
    "view_into_linear": (lambda: Lambda(lambda x, c, f: f(c(x).view(x.shape[0], -1)),
                                        nn.Conv2d(2, 3, 1), nn.Linear(3 * 4 * 5, 2)), (2, 4, 5)),
    "reshape_2d_to_4d": (Unflatten, (8,)),
    "softmax_4d": (lambda: Lambda(lambda x, c: torch.softmax(c(x), dim=1),
                                  nn.Conv2d(3, 4, 1)), (3, 4, 5)),
    "softmax_4d_last_dim": (lambda: Lambda(lambda x: F.softmax(x, dim=-1)), (3, 4, 5)),
    "softmax_2d": (lambda: nn.Sequential(nn.Linear(6, 4), nn.Softmax(dim=-1)), (6,)),
    "residual_add": (lambda: Lambda(lambda x, c: c(x) + x, nn.Conv2d(3, 3, 3, padding=1)),
                     (3, 5, 5)),
    "residual_add_inplace": (InplaceResidual, (4, 5, 5)),
    "two_outputs": (TwoOutputs, (3, 6, 6)),
    "linear_no_bias_clone": (lambda: Lambda(lambda x, f: f(x).clone().contiguous(),
                                            nn.Linear(5, 3, bias=False)), (5,)),
    "output_is_input": (lambda: Lambda(lambda x: (x, torch.sigmoid(x))), (4,)),
}


@pytest.mark.parametrize("name", sorted(OP_MODELS))
def test_op_float32_matches_torch(name):
    factory, shape = OP_MODELS[name]
    _compile_and_check(factory(), shape)


def test_depthwise_multiplier_layout():
    graph = _compile_and_check(nn.Conv2d(3, 6, 3, groups=3), (3, 5, 5), batches=(2,))
    (node,) = graph.nodes
    assert node.op == "depthwise_conv2d" and node.attrs["depth_multiplier"] == 2
    assert graph.tensors[node.param("weight")].shape == (1, 3, 3, 6)


def test_axes_are_translated_to_nhwc():
    graph = _compile_and_check(CatChannels(), (3, 6, 6), batches=(1,))
    (cat,) = [n for n in graph.nodes if n.op == "concat"]
    assert cat.attrs["axis"] == 3
    graph = _compile_and_check(Lambda(lambda x: F.softmax(x, dim=2)), (3, 4, 5), batches=(1,))
    assert graph.nodes[0].attrs["axis"] == 1


def test_padding_same_puts_extra_row_at_bottom():
    graph = _compile_and_check(nn.Conv2d(1, 1, (4, 2), padding="same"), (1, 6, 6),
                               batches=(1,))
    assert graph.nodes[0].attrs["padding"] == (1, 2, 0, 1)


def test_clamp_attrs_are_floats():
    graph = _compile_and_check(nn.Sequential(nn.ReLU(), nn.ReLU6(), nn.Hardtanh(-2, 3)),
                               (4,), batches=(1,))
    attrs = [(n.attrs["lo"], n.attrs["hi"]) for n in graph.nodes]
    assert attrs == [(0.0, float("inf")), (0.0, 6.0), (-2.0, 3.0)]
    assert all(isinstance(v, float) for pair in attrs for v in pair)


def test_reshape_skips_transpose_when_spatial_is_1x1():
    graph = _compile_and_check(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()),
                               (5, 3, 3), batches=(1,))
    assert [n.op for n in graph.nodes] == ["avg_pool2d", "reshape"]
    pool = graph.nodes[0]
    assert pool.attrs == {"kernel": (3, 3), "stride": (1, 1), "padding": (0, 0, 0, 0),
                          "count_include_pad": False}


# -- the interpreter's own features --------------------------------------------------


def test_float_interp_fused_activation():
    graph = _compile_and_check(nn.Conv2d(2, 3, 3), (2, 5, 5), batches=(1,))
    x = np.random.default_rng(0).normal(0, 1, (2, 5, 5, 2)).astype(np.float32)
    plain = run_float(graph, x)["output"]
    graph.nodes[0].attrs["activation"] = (-0.1, 0.2)
    fused = run_float(graph, x)["output"]
    np.testing.assert_array_equal(fused, np.clip(plain, -0.1, 0.2))


def test_float_interp_rejects_wrong_input_shape():
    graph = _compile_and_check(nn.Linear(4, 2), (4,), batches=(1,))
    with pytest.raises(ModelError, match="expected"):
        run_float(graph, np.zeros((3, 5), np.float32))


# -- errors ------------------------------------------------------------------------------


class EinsumOfActivations(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x):
        return torch.einsum("bi,bj->bij", self.proj(x), x)


UNSUPPORTED = {
    "mish": (lambda: nn.Sequential(nn.Linear(4, 4), nn.Mish()), (4,), "aten.mish", "'1' (Mish)"),
    "grouped_conv": (lambda: nn.Sequential(nn.Conv2d(4, 4, 3, groups=2)), (4, 5, 5),
                     "aten.conv2d", "'0' (Conv2d)"),
    "einsum": (EinsumOfActivations, (4,), "aten.einsum", "forward()"),
    "activation_quotient": (lambda: Lambda(lambda x, f: f(x) / x, nn.Linear(4, 4)), (4,), "aten.div",
                            "forward()"),
    "avgpool_ceil_mode": (lambda: nn.Sequential(nn.AvgPool2d(2, ceil_mode=True)), (2, 5, 5),
                          "aten.avg_pool2d", "'0' (AvgPool2d)"),
    "maxpool_dilation": (lambda: nn.Sequential(nn.MaxPool2d(2, dilation=2)), (2, 6, 6),
                         "aten.max_pool2d", "'0' (MaxPool2d)"),
    "avgpool_divisor_override": (lambda: nn.Sequential(nn.AvgPool2d(2, divisor_override=3)),
                                 (2, 4, 4), "aten.avg_pool2d", "'0' (AvgPool2d)"),
    "mean_over_apart_dims": (lambda: Lambda(lambda x: x.mean((1, 3))), (2, 4, 4), "aten.mean",
                             "forward()"),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_op_is_reported(name):
    factory, shape, op, where = UNSUPPORTED[name]
    net = factory().eval()
    with pytest.raises(UnsupportedOpError) as info:
        from_exported(_export(net, torch.randn(1, *shape)), "m")
    text = str(info.value)
    assert op in text and where in text and "supported" in text
    assert "Conv2d" in text and "Linear" in text          # the list of supported layers


def test_grouped_conv_reason():
    net = nn.Sequential(nn.Conv2d(4, 8, 3, groups=2)).eval()
    with pytest.raises(UnsupportedOpError, match="groups=2"):
        from_exported(_export(net, torch.randn(1, 4, 5, 5)), "m")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weight_is_a_model_error(bad):
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).eval()
    with torch.no_grad():
        net[0].weight[1, 0, 0, 0] = bad
    with pytest.raises(ModelError, match=r"'0\.weight'"):
        from_exported(_export(net, torch.randn(1, 3, 5, 5)), "m")
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).eval()
    net[1].running_var[2] = bad
    with pytest.raises(ModelError, match=r"'1\.running_var'"):
        from_exported(_export(net, torch.randn(1, 3, 5, 5)), "m")


# -- the loader ----------------------------------------------------------------------------

GOOD_FILE = """
import torch
from torch import nn

def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))

def example_input():
    return torch.randn(4, 1, 6, 6)
"""


def _write(tmp_path: Path, text: str, name: str = "m.py") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_loader_takes_batch_1_and_eval_mode(tmp_path):
    text = GOOD_FILE + "\ndef calibration_data():\n    return torch.rand(10, 1, 6, 6)\n"
    loaded = load(_write(tmp_path, text.replace("nn.ReLU()", "nn.ReLU(), nn.Dropout(0.9)")))
    assert loaded.example_input.shape == (1, 1, 6, 6)
    assert loaded.calibration.shape == (10, 1, 6, 6)
    assert loaded.calibration_ir().shape == (10, 6, 6, 1)
    graph = from_exported(loaded.program, loaded.name)
    assert "clamp" in [n.op for n in graph.nodes]   # dropout dropped, not applied


def test_loader_missing_file(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load(tmp_path / "nope.py")


def test_loader_no_model_function(tmp_path):
    p = _write(tmp_path, GOOD_FILE.replace("def model():", "def build():"))
    with pytest.raises(ModelError, match=r"no model\(\) function"):
        load(p)


def test_loader_model_raises(tmp_path):
    p = _write(tmp_path, GOOD_FILE.replace("torch.manual_seed(0)", "raise ValueError('boom')"))
    with pytest.raises(ModelError, match="boom"):
        load(p)


def test_loader_import_error(tmp_path):
    p = _write(tmp_path, "import not_a_module_anywhere\n" + GOOD_FILE)
    with pytest.raises(ModelError, match="not_a_module_anywhere"):
        load(p)


def test_loader_example_input_wrong_shape(tmp_path):
    p = _write(tmp_path, GOOD_FILE.replace("torch.randn(4, 1, 6, 6)", "torch.randn(4, 3, 6, 6)"))
    with pytest.raises(ModelError, match=r"shape \[1, 3, 6, 6\]"):
        load(p)


def test_loader_calibration_wrong_shape(tmp_path):
    text = GOOD_FILE + "\ndef calibration_data():\n    return torch.rand(10, 1, 5, 6)\n"
    with pytest.raises(ModelError, match="calibration_data"):
        load(_write(tmp_path, text))


def test_loader_rejects_unknown_suffix(tmp_path):
    with pytest.raises(ModelError, match=".pt2"):
        load(_write(tmp_path, "x", "m.onnx"))


def test_pt2_round_trip(tmp_path):
    loaded = load(EXAMPLES / "mobilenet.py")
    path = tmp_path / "mobilenet.pt2"
    torch.export.save(loaded.program, str(path))
    again = load(path)
    assert again.name == "mobilenet" and again.example_input.shape == (1, 3, 32, 32)
    g1 = from_exported(loaded.program, "a")
    g2 = from_exported(again.program, "a")
    assert dump(g1) == dump(g2)
    x = to_ir_layout(loaded.calibration[:4])
    np.testing.assert_array_equal(run_float(g1, x)["output"], run_float(g2, x)["output"])


def test_pt2_corrupt_file(tmp_path):
    with pytest.raises(ModelError, match="cannot load"):
        load(_write(tmp_path, "garbage", "m.pt2"))
