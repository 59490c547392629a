"""Small PT2E-quantized models for the tests: a DS-CNN (conv, depthwise, pointwise, average
pool, linear), a CNN with a residual add and an MLP, seeded, calibrated on noise, quantized
with torchao's prepare_pt2e / convert_pt2e and ExecuTorch's XNNPACK quantizer (per channel or
per tensor), saved as a .pt2 or written as a .py model file that builds the same program.

    program = converted("dscnn", "per_channel")           # convert_pt2e's GraphModule
    path = save_pt2(tmp, "dscnn", "per_channel")          # torch.export.save of it
    path = write_py(tmp, "dscnn", "per_channel")          # a model file returning it

host_diff() and reference_diff() compare tinygen's outputs with PyTorch's run of the converted
program (tests/toolchains/test_pt2e.py and benchmarks/pt2e_agreement.py).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import numpy as np
import torch
from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (XNNPACKQuantizer,
                                                                     get_symmetric_quantization_config)
from torch import nn
from torchao.quantization.pt2e import move_exported_model_to_eval
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e, prepare_qat_pt2e

from e2e import build_host
from tinygen.frontend import nchw_to_ir
from tinygen.ref.interpreter import quantize_input, run

CONFIGS = ("per_channel", "per_tensor")
CALIB_SAMPLES = 16
SAMPLES = 50                                 # random inputs each comparison runs


class DsCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, (5, 3), stride=(2, 1), padding=(2, 1))
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 12, 1)
        self.bn = nn.BatchNorm2d(12)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(12, 6)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        x = torch.relu(self.dw(x))
        x = torch.relu(self.bn(self.pw(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class ResidualCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.c1 = nn.Conv2d(8, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        y = self.c2(torch.relu(self.c1(x)))
        y = torch.relu(y + x)
        return self.fc(torch.flatten(nn.functional.max_pool2d(y, 2), 1))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(32, 24), nn.ReLU(), nn.Linear(24, 16), nn.ReLU6(), nn.Linear(16, 10))

    def forward(self, x):
        return self.net(x)


NETS = {"dscnn": DsCnn, "residual": ResidualCnn, "mlp": Mlp}
SHAPES = {"dscnn": (1, 1, 20, 10), "residual": (1, 3, 8, 8), "mlp": (1, 32)}


def quantizer(config: str):
    return XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=config == "per_channel"))


@functools.lru_cache(maxsize=None)
def converted(name: str, config: str, seed: int = 0):
    """convert_pt2e's program of net `name`: seeded weights (batch-norm statistics that are not
    the identity), calibrated on CALIB_SAMPLES noise inputs."""
    torch.manual_seed(seed)
    net = NETS[name]()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    net.eval()
    shape = SHAPES[name]
    prepared = prepare_pt2e(torch.export.export(net, (torch.randn(shape),)).module(), quantizer(config))
    for _ in range(CALIB_SAMPLES):
        prepared(torch.randn(shape))
    return convert_pt2e(prepared)


def qat_converted(name: str, steps: int = 10, seed: int = 0):
    """convert_pt2e's program of net `name` trained with fake quantization (prepare_qat_pt2e, the
    XNNPACK per-channel QAT config; batch norm folded by convert_pt2e) for a few SGD steps on
    noise, then moved to eval mode."""
    torch.manual_seed(seed)
    shape = SHAPES[name]
    config = get_symmetric_quantization_config(is_per_channel=True, is_qat=True)
    prepared = prepare_qat_pt2e(torch.export.export(NETS[name]().train(), (torch.randn(shape),)).module(),
                                XNNPACKQuantizer().set_global(config))
    opt = torch.optim.SGD(prepared.parameters(), lr=0.01)
    for _ in range(steps):
        loss = prepared(torch.randn(shape)).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    move_exported_model_to_eval(prepared)
    return convert_pt2e(prepared)


def save_pt2(folder: Path, name: str, config: str) -> Path:
    path = folder / f"{name}_{config}.pt2"
    program = converted(name, config)
    torch.export.save(torch.export.export(program, (torch.zeros(SHAPES[name]),)), str(path))
    return path


def write_py(folder: Path, name: str, config: str) -> Path:
    """A model file whose model() returns convert_pt2e's program (this module, imported from the
    tests folder)."""
    path = folder / f"{name}_{config}.py"
    path.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import torch\n"
        "import pt2e_lib\n\n\n"
        f"def model():\n    return pt2e_lib.converted({name!r}, {config!r})\n\n\n"
        f"def example_input():\n    return torch.zeros({SHAPES[name]})\n")
    return path


def with_int32_biases(program):
    """A copy of convert_pt2e's program with each linear / conv2d's float bias quantized to
    int32 on input scale x weight scale (float32 product, rounded to nearest) and dequantized
    per channel: the form of a quantizer that quantizes biases itself."""
    program = copy.deepcopy(program)
    g = program.graph
    for k, node in enumerate([n for n in g.nodes if str(n.target) in ("aten.linear.default", "aten.conv2d.default")]):
        x, w, b = node.args[:3]
        sx = torch.tensor(x.args[1], dtype=torch.float32)
        sw = _attr(program, w.args[1].target) if isinstance(w.args[1], torch.fx.Node) else torch.tensor(w.args[1])
        bias = _attr(program, b.target).detach()
        scale = (sx * sw.float()).expand(bias.shape).contiguous()
        q = torch.round(bias.double() / scale.double()).to(torch.int32)
        program.register_buffer(f"_tg_bias_{k}", q)
        program.register_buffer(f"_tg_bias_scale_{k}", scale)
        program.register_buffer(f"_tg_bias_zp_{k}", torch.zeros(q.shape, dtype=torch.int32))
        with g.inserting_before(node):
            args = [g.get_attr(f"_tg_bias_{k}"), g.get_attr(f"_tg_bias_scale_{k}"), g.get_attr(f"_tg_bias_zp_{k}")]
            dq = g.call_function(torch.ops.quantized_decomposed.dequantize_per_channel.default,
                                 (*args, 0, -2 ** 31, 2 ** 31 - 1, torch.int32))
        node.args = (x, w, dq) + tuple(node.args[3:])
    g.eliminate_dead_code()
    program.recompile()
    return program


def _attr(module, target: str):
    for part in target.split("."):
        module = getattr(module, part)
    return module


def _qdq(program, op: str):
    return [n for n in program.graph.nodes if n.op == "call_function" and str(n.target).split(".")[1:2] == [op]]


def torch_codes(program, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's run of the converted program on float inputs xs [N, ...]: (the input's int8
    codes, as its first quantize_per_tensor makes them, in the IR's layout; the output's codes
    on the grid of its last dequantize)."""
    first = _qdq(program, "quantize_per_tensor")[0]
    last = _qdq(program, "dequantize_per_tensor")[-1]
    (in_s, in_z), (out_s, out_z) = first.args[1:3], last.args[1:3]
    with torch.no_grad():
        t = torch.from_numpy(xs)
        codes = torch.ops.quantized_decomposed.quantize_per_tensor(t, in_s, in_z, -128, 127, torch.int8)
        ys = np.concatenate([program(t[i:i + 1]).numpy() for i in range(len(xs))])
    out = np.rint(ys / np.float32(out_s)).astype(np.int64) + out_z
    return nchw_to_ir(codes.numpy()).astype(np.int8), out


def inputs(name: str, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((SAMPLES,) + SHAPES[name][1:]).astype(np.float32)


def host_diff(source, graph, name: str, config: str, work: Path) -> np.ndarray:
    """Build `graph` (net `name`'s .pt2 in `config`) for the host in `work`; on SAMPLES inputs check
    that tinygen's input codes equal quantize_per_tensor's and the C equals the reference; |C -
    PyTorch's converted program| per output value, [SAMPLES, outputs]."""
    xs = inputs(name)
    codes, want = torch_codes(converted(name, config), xs)
    ours = np.concatenate([quantize_input(graph, source.to_graph_layout(xs[i:i + 1])) for i in range(SAMPLES)])
    assert np.array_equal(ours, codes), "the input quantization differs from quantize_per_tensor's"
    host = build_host(source, graph, work / "host")
    got = []
    for x in codes:
        ref = run(graph, x[None])[graph.outputs[0]]
        c = host.invoke(x[None])[0]
        assert np.array_equal(ref, c), f"{name}: the C differs from the reference"
        got.append(c.reshape(-1))
    return np.abs(np.stack(got).astype(np.int64) - want.reshape(SAMPLES, -1))


def reference_diff(program, graph, name: str) -> np.ndarray:
    """|tinygen's reference - PyTorch's `program`| per output value on SAMPLES inputs of net `name`."""
    codes, want = torch_codes(program, inputs(name))
    got = np.stack([run(graph, x[None])[graph.outputs[0]].reshape(-1) for x in codes])
    return np.abs(got.astype(np.int64) - want.reshape(SAMPLES, -1))
