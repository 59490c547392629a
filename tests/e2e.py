"""Shared helpers for end-to-end tests: compile, build for the host, compare."""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path

import numpy as np
import torch

from tinygen.board import get_board
from tinygen.cli import main
from tinygen.compiler import SourceModel, build, compile_source, load_source
from tinygen.hil.session import input_bytes, split_outputs
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input, run
from tinygen.run.host import HostModel

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "models"
EXAMPLE_MODELS = ("cnn", "mobilenet", "resnet8", "mlp", "dscnn")


@functools.lru_cache(maxsize=None)
def example_source(name: str) -> SourceModel:
    return load_source(EXAMPLES / f"{name}.py")


def compile_example(name: str):
    source = example_source(name)
    return source, compile_source(source)


def build_host(source, graph, out: Path) -> HostModel:
    build(source, graph, get_board("host"), out)
    return HostModel(out)


def random_inputs(source: SourceModel, graph, count: int, seed: int) -> list[np.ndarray]:
    """int8 inputs: calibration-like data (if the model has it) plus noise, quantized."""
    rng = np.random.default_rng(seed)
    base = source.default_calibration
    samples = []
    for _ in range(count):
        if base is not None:
            x = base[rng.integers(len(base))] * rng.uniform(0.5, 1.5) + rng.normal(0, 0.3, base.shape[1:])
        else:
            x = rng.standard_normal(source.input_shape[1:])
        samples.append(quantize_input(graph, source.to_graph_layout(x[None].astype(np.float32))))
    return samples


def first_difference(a: np.ndarray, b: np.ndarray) -> str:
    idx = np.flatnonzero(a.ravel() != b.ravel())
    shown = ", ".join(f"[{i}] {a.ravel()[i]} != {b.ravel()[i]}" for i in idx[:5])
    return f"{idx.size} of {a.size} bytes differ; first: {shown}"


ALL_AGREE = "all layers agree when run one by one"


def assert_device_equals_reference(dev, graph, x: np.ndarray, label: str) -> None:
    """One inference on a device (a tinygen.hil Device: a board, a stand-in or the host
    bridge) equals the numpy reference: the outputs, then every layer's output (a wrong
    byte can vanish downstream, e.g. behind a strided conv)."""
    want = run(graph, x, keep_all=True)
    raw, _ = dev.run(x.astype(x.dtype.newbyteorder("<")).tobytes())
    expected = np.concatenate([_bytes(want[name]) for name in graph.outputs])
    got = np.frombuffer(raw, dtype=np.int8)
    assert np.array_equal(got, expected), f"{label}: {first_difference(expected, got)}"
    for index, node in enumerate(n for n in graph.nodes if n.kernel):
        layer = np.frombuffer(dev.layer_out(index), dtype=np.int8)
        ref = _bytes(want[node.outputs[0]])
        assert np.array_equal(layer, ref), \
            f"{label}: layer {node.name} ({node.kernel}): {first_difference(ref, layer)}"


def assert_device_equals_tflm(dev, graph, interp, x: np.ndarray, label: str) -> list[np.ndarray]:
    """One sample on a device equals the reference layer by layer (assert_device_equals_reference)
    and TFLite Micro's interpreter `interp` on every output (its type and values); the device's
    outputs, for further checks."""
    assert_device_equals_reference(dev, graph, x, label)
    interp.set_input(x, 0)
    interp.invoke()
    outputs = split_outputs(graph, dev.run(input_bytes(x))[0])
    for j, got in enumerate(outputs):
        want = np.array(interp.get_output(j))
        assert got.dtype == want.dtype and np.array_equal(got.reshape(want.shape), want), \
            f"{label}, output {j}: {first_difference(got, want)}"
    return outputs


def _bytes(values: np.ndarray) -> np.ndarray:
    """A tensor's bytes as the device holds them (little-endian), as int8: an int16 layer's
    output compares byte for byte with what the C code left in its buffer."""
    return np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<")).view(np.int8).ravel()


def diff_layers(graph, host: HostModel, x: np.ndarray) -> str:
    """Layer-by-layer: name the first layer whose C output differs from the reference."""
    ref = run(graph, x, keep_all=True)
    c_layers = host.invoke_layers(x)
    kernels = [n for n in graph.nodes if n.kernel]
    for node, c_out in zip(kernels, c_layers):
        r = _bytes(ref[node.outputs[0]])
        if not np.array_equal(r, c_out):
            return f"first differing layer: {node.name} ({node.kernel}): {first_difference(r, c_out)}"
    return ALL_AGREE


def assert_bit_exact(graph, host: HostModel, inputs: list[np.ndarray]) -> None:
    for i, x in enumerate(inputs):
        ref = run(graph, x)
        got = host.invoke(x)
        for name, c_out in zip(graph.outputs, got):
            if not np.array_equal(ref[name], c_out):
                raise AssertionError(f"input {i}, output {name}: {first_difference(ref[name], c_out)}\n"
                                     + diff_layers(graph, host, x))


def conv_graph(net_class, shape, kernel: str, board, tmp: Path, specialize: bool, seed: int = 3, **options):
    """A torch net of convs (uniform weights, seeded) calibrated on noise and compiled for the
    board with every conv2d on `kernel`; (source, graph, 3 quantized inputs)."""
    torch.manual_seed(seed)
    net = net_class()
    for p in net.parameters():
        torch.nn.init.uniform_(p, -1.0, 1.0)
    net.eval()
    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp / "m.pt2")
    rng = np.random.default_rng(seed - 3)
    np.save(tmp / "calib.npy", rng.standard_normal((16,) + shape[1:]).astype(np.float32))
    source = load_source(tmp / "m.pt2")
    first = compile_source(source, str(tmp / "calib.npy"), CompileOptions(features=board.isa_features))
    choice = {n.name: kernel for n in first.nodes if n.op == "conv2d"}
    graph = compile_source(source, str(tmp / "calib.npy"),
                           CompileOptions(features=board.isa_features, kernel_choice=choice, **options))
    graph.meta["specialize"] = specialize
    inputs = [quantize_input(graph, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32) * 1.5))
              for _ in range(3)]
    return source, graph, inputs


def run_cli(*argv) -> tuple[int, str, str]:
    """main(argv) with stdout and stderr captured (usable from module-scoped fixtures)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as e:       # argparse: --help, --version, usage errors
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def assert_build_fails(path: Path, tmp_path: Path, capsys, *expected: str, extra=()) -> str:
    """`tinygen build path --board host` fails with status 1 and one clear message holding every
    `expected` text, no traceback, and writes nothing (no output folder, no staging folder)."""
    out = tmp_path / "out"
    assert main(["build", str(path), "--board", "host", "-o", str(out), *extra]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    return err
