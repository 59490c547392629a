"""The simpler operators users' PyTorch models bring (tinygen/frontend/torch_simple.py): tanh,
sigmoid on its own, PReLU (one slope, per channel), GELU (exact, tanh), the hard sigmoid, sum,
select / narrow / unbind, slicing with steps, flip and reflect / replicate / circular padding.

The float import equals PyTorch; compiled, each op's int8 output agrees with float PyTorch
within its quantization (the input's rounding through the function's slope, plus the output's
rounding); the host C equals the numpy reference byte for byte on every layer; each node with a
TFLite operator equals TensorFlow Lite Micro's kernel on the same int8 inputs (GELU: LiteRT's),
and the whole model runs bit-exact on the f746zg, f446re and esp32-c3 stand-ins. Every refused
op comes with its hint, all of them in one refusal, and a data-dependent size never ends in a
traceback."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from e2e import ALL_AGREE, assert_device_equals_reference, build_host, diff_layers, first_difference
from tflite_builder import ModelBuilder
from tflm_single_op import nodes_equal_tflm
from torch import nn
from torch_models import compile_module, source_of

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.torch import from_exported
from tinygen.frontend.torch_loader import to_ir_layout
from tinygen.ref.float_interp import run_float
from tinygen.ref.interpreter import dequantize, quantize_input, run


class Fn(nn.Module):
    """A module computing `fn(x)` (a lambda of torch ops), with optional submodules."""

    def __init__(self, fn, **modules):
        super().__init__()
        self.fn = fn
        for name, m in modules.items():
            setattr(self, name, m)

    def forward(self, x):
        return self.fn(self, x)


def _prelu(n: int, seed: int = 0) -> nn.PReLU:
    m = nn.PReLU(n)
    with torch.no_grad():
        m.weight.copy_(torch.linspace(-0.6, 0.9, n) if n > 1 else torch.tensor([0.2]))
    return m


# name -> (module factory, input shape [without batch], the function's largest slope)
OPS = {
    "tanh": (lambda: Fn(lambda m, x: torch.tanh(x)), (3, 5, 6), 1.0),
    "Tanh_2d": (lambda: Fn(lambda m, x: m.t(x), t=nn.Tanh()), (24,), 1.0),
    "sigmoid": (lambda: Fn(lambda m, x: torch.sigmoid(x)), (4, 5, 5), 0.25),
    "gelu": (lambda: Fn(lambda m, x: F.gelu(x)), (3, 4, 7), 1.13),
    "gelu_tanh": (lambda: Fn(lambda m, x: m.g(x), g=nn.GELU(approximate="tanh")), (2, 30), 1.13),
    "hardsigmoid": (lambda: Fn(lambda m, x: F.hardsigmoid(x)), (3, 5, 5), 1 / 6),
    "prelu_channels": (lambda: Fn(lambda m, x: m.p(x), p=_prelu(4)), (4, 5, 6), 1.0),
    "prelu_one": (lambda: Fn(lambda m, x: m.p(x), p=_prelu(1)), (3, 5, 6), 1.0),
    "prelu_1d": (lambda: Fn(lambda m, x: m.p(x), p=_prelu(3)), (3, 10), 1.0),
    "prelu_2d": (lambda: Fn(lambda m, x: m.p(x), p=_prelu(12)), (12,), 1.0),
}
# name -> (module factory, input shape, elements summed into one output)
SUMS = {
    "sum_hw": (lambda: Fn(lambda m, x: x.sum(dim=(2, 3))), (4, 3, 5), 15),
    "sum_channels_keep": (lambda: Fn(lambda m, x: torch.sum(x, 1, keepdim=True)), (6, 4, 4), 6),
    "sum_last": (lambda: Fn(lambda m, x: x.sum(-1)), (3, 5, 7), 7),
    "sum_1d": (lambda: Fn(lambda m, x: x.sum(2, keepdim=True)), (4, 9), 9),
    "sum_2d": (lambda: Fn(lambda m, x: x.sum(1, keepdim=True)), (10,), 10),
}
# name -> (module factory, input shape): outputs made of input values only
MOVES = {
    "select_last": (lambda: Fn(lambda m, x: x[:, -1]), (4, 5, 6)),
    "select_two": (lambda: Fn(lambda m, x: x[:, 1, :, -2]), (3, 5, 6)),
    "select_3d": (lambda: Fn(lambda m, x: x[:, :, -1]), (5, 7)),
    "narrow": (lambda: Fn(lambda m, x: x.narrow(3, -4, 3)), (3, 5, 6)),
    "unbind": (lambda: Fn(lambda m, x: torch.cat(torch.unbind(x, 2)[::2], 1)), (3, 4, 5)),
    "step_2": (lambda: Fn(lambda m, x: x[:, :, ::2, 1::3]), (3, 7, 8)),
    "step_channels": (lambda: Fn(lambda m, x: x[:, 1::2]), (6, 4, 4)),
    "step_3d": (lambda: Fn(lambda m, x: x[:, :, 2:-1:3]), (4, 11)),
    "step_2d": (lambda: Fn(lambda m, x: x[:, ::3]), (17,)),
    "flip": (lambda: Fn(lambda m, x: torch.flip(x, [1, 3])), (3, 4, 5)),
    "reflect": (lambda: Fn(lambda m, x: F.pad(x, (2, 1, 0, 3), mode="reflect")), (2, 5, 6)),
    "replicate": (lambda: Fn(lambda m, x: F.pad(x, (3, 0, 1, 4), mode="replicate")), (2, 4, 5)),
    "circular": (lambda: Fn(lambda m, x: F.pad(x, (1, 2, 2, 1), mode="circular")), (3, 4, 5)),
    "reflect_1d": (lambda: Fn(lambda m, x: m.p(x), p=nn.ReflectionPad1d((3, 1))), (2, 6)),
    "replicate_pad2d": (lambda: Fn(lambda m, x: m.p(x), p=nn.ReplicationPad2d(1)), (3, 4, 4)),
}
ALL = {**{k: v[:2] for k, v in OPS.items()}, **{k: v[:2] for k, v in SUMS.items()}, **MOVES}


def _x(shape, n: int, seed: int = 0) -> np.ndarray:
    return (2.5 * np.random.default_rng(seed).standard_normal((n,) + tuple(shape))).astype(np.float32)


def _torch(net, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net(torch.from_numpy(x)).numpy()


@pytest.mark.parametrize("name", sorted(ALL))
def test_simple_op_float32_matches_torch(name):
    factory, shape = ALL[name]
    net, x = factory().eval(), _x(shape, 4)
    graph = source_of(net, x).graph
    want = _torch(net, x)
    got = run_float(graph, to_ir_layout(x))[graph.outputs[0]]
    assert got.size == want.size
    np.testing.assert_allclose(to_ir_layout(want).reshape(got.shape), got, rtol=1e-5, atol=1e-5)


def _compiled_outputs(name: str, net, shape):
    """(int8 outputs dequantized, float torch outputs, input scale, output scale) over samples
    that are also the calibration set (nothing clipped at the input)."""
    x = _x(shape, 64, seed=1)
    source, graph = compile_module(net, x, name)
    out = graph.outputs[0]
    got = np.stack([dequantize(graph, out, run(graph, quantize_input(graph, source.to_graph_layout(s[None])))[out])
                    .reshape(-1) for s in x])
    want = to_ir_layout(_torch(net, x)).reshape(len(x), -1)
    s_in, s_out = (float(graph.tensor(t).qparams.scale[0]) for t in (graph.inputs[0], graph.outputs[0]))
    return got, want, s_in, s_out, graph


@pytest.mark.parametrize("name", sorted(OPS))
def test_simple_op_s8_agrees_with_torch_within_quantization(name):
    """|int8 - float| <= slope * s_in / 2 (the input's rounding) + s_out (the output's rounding
    and TFLite's fixed point; the alpha's rounding for PReLU)."""
    factory, shape, slope = OPS[name]
    net = factory().eval()
    got, want, s_in, s_out, graph = _compiled_outputs(name, net, shape)
    bound = slope * s_in / 2 + s_out + 1e-6
    if name.startswith("prelu"):
        x_max = float(np.abs(_x(shape, 64, seed=1)).max())
        alpha = graph.tensor(next(n for n in graph.nodes if n.op == "prelu").param("alpha"))
        bound += x_max * float(alpha.qparams.scale[0]) / 2 if alpha.dtype == "int8" else 0.0
    err = np.abs(got - want)
    assert err.max() <= bound, f"{name}: error {err.max():.5f} > {bound:.5f} (s_in {s_in:.4f}, s_out {s_out:.4f})"
    assert np.mean(err) < bound / 2


@pytest.mark.parametrize("name", sorted(SUMS))
def test_simple_sum_s8_agrees_with_torch_within_quantization(name):
    factory, shape, n = SUMS[name]
    got, want, s_in, s_out, _ = _compiled_outputs(name, factory().eval(), shape)
    bound = n * s_in / 2 + s_out + 1e-6
    assert np.abs(got - want).max() <= bound


@pytest.mark.parametrize("name", sorted(MOVES))
def test_simple_move_s8_is_the_quantized_input(name):
    """Slices, selects, flips and padding copy input bytes: the output is the input's rounding
    of the float result, exactly."""
    factory, shape = MOVES[name]
    got, want, s_in, s_out, graph = _compiled_outputs(name, factory().eval(), shape)
    assert s_in == s_out
    q_in = graph.tensor(graph.inputs[0]).qparams
    rounded = (np.clip(np.sign(want / s_in) * np.floor(np.abs(want / s_in) + 0.5) + int(q_in.zero_point[0]), -128, 127)
               - int(q_in.zero_point[0])) * np.float32(s_in)
    np.testing.assert_allclose(got, rounded, rtol=0, atol=1e-6)


def test_sigmoid_alone_s8_equals_tflm():
    """torch.sigmoid as a model's only layer: TFLite's LOGISTIC (fixed output quantization),
    by table, byte for byte TFLite Micro's."""
    net = OPS["sigmoid"][0]().eval()
    x = _x((4, 5, 5), 32)
    source, graph = compile_module(net, x, "sigmoid")
    assert [(n.op, n.kernel) for n in graph.nodes] == [("logistic", "tg_lut_s8")]
    q = graph.tensor(graph.outputs[0]).qparams
    assert (float(q.scale[0]), int(q.zero_point[0])) == (1 / 256, -128)
    feeds = [quantize_input(graph, source.to_graph_layout(s[None])) for s in x[:4]]
    assert nodes_equal_tflm(graph, feeds) == ["logistic"]


class Everything(nn.Module):
    """Every simpler op after a convolution, in one network."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.p = _prelu(6)
        self.p1 = _prelu(1)
        self.g = nn.GELU(approximate="tanh")

    def forward(self, x):
        y = self.conv(x)
        a = torch.tanh(y) + F.gelu(y) * self.g(y)
        b = self.p(F.hardsigmoid(y) - 0.3) + torch.sigmoid(y)
        c = torch.cat([a[:, :, ::2], b[:, :, 1::2].flip(3)], 1)
        d = F.pad(c, (1, 2, 2, 1), mode="reflect") + F.pad(c, (1, 2, 2, 1), mode="replicate") \
            + F.pad(c, (1, 2, 2, 1), mode="circular")
        e = self.p1(d).sum(dim=2, keepdim=True)
        return torch.cat([e.flatten(1), d[:, -1].flatten(1), d.sum(1).flatten(1), d.narrow(3, -3, 2).flatten(1)], 1)


EVERYTHING_OPS = {"tanh", "gelu", "hard_sigmoid", "prelu", "logistic", "strided_slice", "mirror_pad", "sum"}


@pytest.fixture(scope="module")
def everything():
    torch.manual_seed(0)
    net = Everything().eval()
    x = _x((3, 8, 8), 32)
    source, graph = compile_module(net, x, "everything")
    return net, x, source, graph


def test_everything_s8_host_c_equals_reference(everything, tmp_path):
    net, x, source, graph = everything
    assert EVERYTHING_OPS <= {n.op for n in graph.nodes}
    host = build_host(source, graph, tmp_path / "host")
    for k, sample in enumerate(_x((3, 8, 8), 6, seed=3)):
        q = quantize_input(graph, source.to_graph_layout(sample[None]))
        want, got = run(graph, q)[graph.outputs[0]], host.invoke(q)[0]
        assert np.array_equal(got.ravel(), want.ravel()), f"input {k}: {first_difference(want, got)}"
    assert diff_layers(graph, host, q) == ALL_AGREE


def test_everything_s8_nodes_equal_tflm_and_litert(everything):
    """Every node with a TFLite operator equals TFLM's kernel; the GELU nodes LiteRT's."""
    import tflite_refs

    net, x, source, graph = everything
    feeds = [quantize_input(graph, source.to_graph_layout(s[None])) for s in _x((3, 8, 8), 4, seed=2)]
    checked = set(nodes_equal_tflm(graph, feeds))
    assert {"tanh", "prelu", "logistic", "strided_slice", "mirror_pad", "sum"} <= checked
    values = [run(graph, q, keep_all=True) for q in feeds]
    gelus = [n for n in graph.nodes if n.op == "gelu"]
    assert len(gelus) == 2
    for node in gelus:
        b = ModelBuilder()
        (si, zi), (so, zo) = [(float(graph.tensor(t).qparams.scale[0]), int(graph.tensor(t).qparams.zero_point[0]))
                              for t in (node.inputs[0], node.outputs[0])]
        shape = graph.tensor(node.inputs[0]).shape
        xi, yi = b.tensor("x", shape, scale=si, zero_point=zi), b.tensor("y", shape, scale=so, zero_point=zo)
        b.op("GELU", [xi], [yi], "GeluOptions", Approximate=bool(node.attrs["approximate"]))
        want = tflite_refs.litert_run(b.finish([xi], [yi]), [v[node.inputs[0]] for v in values])
        for v, w in zip(values, want):
            assert np.array_equal(v[node.outputs[0]].ravel(), w.ravel()), node.name


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re", "esp32-c3"])
def test_everything_s8_standin_equals_reference(everything, board_name, tmp_path):
    """Built for the board, run on its QEMU stand-in through the serial protocol: every layer
    equals the numpy reference (the DSP sum on the Cortex-M ones)."""
    from standin_lib import ARM_GCC
    import shutil

    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions

    tools = ("riscv64-unknown-elf-gcc", "qemu-system-riscv32") if board_name == "esp32-c3" else ("qemu-system-arm",)
    if any(shutil.which(t) is None for t in tools) or (board_name != "esp32-c3" and ARM_GCC is None):
        pytest.skip(f"the {board_name} stand-in's toolchain or QEMU is not installed")
    net, x, source, _ = everything
    board = get_board(board_name)
    graph = compile_source_for(source, board, CompileOptions)
    if board_name != "esp32-c3":
        assert "tg_mean_s8_dsp" in {n.kernel for n in graph.nodes}
    project = build(source, graph, board, tmp_path / board_name).out_dir
    with open_device(board, project, emulate=True) as dev:
        for k, sample in enumerate(_x((3, 8, 8), 3, seed=4)):
            q = quantize_input(graph, source.to_graph_layout(sample[None]))
            assert_device_equals_reference(dev, graph, q, f"{board_name} input {k}")


def compile_source_for(source, board, options_class):
    from tinygen.compiler import compile_source

    return compile_source(source, options=options_class(features=board.isa_features))


# -- refusals ------------------------------------------------------------------------------------

def _refusal(fn, shape=(3, 4, 5), **modules) -> str:
    program = torch.export.export(Fn(fn, **modules).eval(), (torch.randn(1, *shape),))
    with pytest.raises(UnsupportedOpError) as info:
        from_exported(program, "m")
    return str(info.value)


@pytest.mark.parametrize("fn, op, hint", [
    (lambda m, x: x.cumsum(1), "aten.cumsum", "torch.tril"),
    (lambda m, x: x.sort(1)[0], "aten.sort", "in your application"),
    (lambda m, x: x.topk(2, 1)[0], "aten.topk", "in your application"),
    (lambda m, x: x[:, [0, 2]], "aten.index.Tensor", "torch.cat"),
    (lambda m, x: x // 2, "aten.floor_divide", "floor the output"),
    (lambda m, x: x ** 3, "aten.pow", "x * x"),
    (lambda m, x: torch.einsum("nchw->nhwc", x), "aten.einsum", "Linear"),
    (lambda m, x: x + torch.rand_like(x), "aten.rand_like", "random"),
    (lambda m, x: x.sin(), "aten.sin", "elementwise function"),
    (lambda m, x: x.abs(), "aten.abs", "F.relu(x) + F.relu(x * -1.0)"),
    (lambda m, x: x.sum(), "aten.sum", "every dimension"),
    (lambda m, x: x.sum(0), "aten.sum", "batch dimension"),
    (lambda m, x: x[0], "aten.select", "x[:, i]"),
    (lambda m, x: F.leaky_relu(x, 0.2), "aten.leaky_relu", "nn.PReLU"),
    (lambda m, x: x.roll(1, 2), "aten.roll", "torch.cat"),
])
def test_refused_op_comes_with_its_hint(fn, op, hint):
    text = _refusal(fn)
    assert op in text and hint in text, text


def test_data_dependent_shapes_are_refused_without_traceback():
    """nonzero and a boolean mask give sizes known only at run time: refused with the reason."""
    for fn in (lambda m, x: x.nonzero().float(), lambda m, x: x[x > 0].reshape(1, -1)):
        text = _refusal(fn)
        assert "fixed when it is compiled" in text or "data-dependent" in text, text


def test_every_refused_op_listed_at_once_with_a_line_each():
    text = _refusal(lambda m, x: torch.where(x > 0, x.cumsum(1), x.exp()).sort(2)[0] // 3)
    ops = ["aten.gt", "aten.cumsum", "aten.exp", "aten.where", "aten.sort", "aten.floor_divide"]
    assert text.startswith(f"the model uses {len(ops)} operators")
    assert all(op in text for op in ops), text
    assert text.count("\n      use: ") == len(ops), text


def test_integer_input_names_the_lookup():
    program = torch.export.export(nn.Embedding(10, 3).eval(), (torch.zeros(1, 4, dtype=torch.long),))
    with pytest.raises(ModelError) as info:
        from_exported(program, "m")
    assert "floating-point" in str(info.value) and "nn.Embedding" in info.value.hint
