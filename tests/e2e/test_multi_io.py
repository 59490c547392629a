"""A model with two sensor inputs and two heads (compiler level): the PyTorch frontend
names the inputs input_0, input_1 and the outputs output_0, output_1; calibration takes
one array per input; the numpy reference takes the inputs in order; the generated C's
model.h API (tg_model_input(i), tg_model_output(i)) runs them byte for byte like the
reference. Model files, data files, the `tg` protocol and `tinygen hil` with several inputs:
test_multi_io_files.py, test_protocol_multi_io.py, test_multi_io_cli.py (README "Several
inputs and outputs")."""

from __future__ import annotations

import numpy as np
import torch
from e2e import build_host, first_difference
from multi_io_lib import two_sensors

from tinygen.compiler import SourceModel, graph_hash
from tinygen.frontend import nchw_to_ir
from tinygen.frontend.torch import from_exported
from tinygen.passes import compile_graph
from tinygen.ref.interpreter import dequantize, quantize_input, run


def test_two_inputs_two_outputs_host_c_equals_reference(tmp_path):
    net = two_sensors().eval()
    rng = np.random.default_rng(0)
    image, imu = rng.standard_normal((32, 3, 8, 8)).astype(np.float32), rng.standard_normal((32, 3, 20)).astype(np.float32)
    graph = from_exported(torch.export.export(net, (torch.from_numpy(image[:1]), torch.from_numpy(imu[:1]))), "two")
    assert graph.inputs == ["input_0", "input_1"] and graph.outputs == ["output_0", "output_1"]
    compiled = compile_graph(graph.copy(), {"input_0": nchw_to_ir(image), "input_1": nchw_to_ir(imu)})
    source = SourceModel("two", tmp_path / "two.py", graph, graph_hash(graph), image[:1].shape, "NCHW")
    host = build_host(source, compiled, tmp_path / "host")
    for k in range(5):
        q = [quantize_input(compiled, nchw_to_ir(a[k:k + 1]), i) for i, a in enumerate((image, imu))]
        want = run(compiled, q)
        got = host.invoke(*q)
        for name, g in zip(compiled.outputs, got):
            assert np.array_equal(g.ravel(), want[name].ravel()), f"{name}, sample {k}: {first_difference(want[name], g)}"
    # the int8 heads follow the float model
    with torch.no_grad():
        scores, _ = net(torch.from_numpy(image[:5]), torch.from_numpy(imu[:5]))
    q = [[quantize_input(compiled, nchw_to_ir(a[k:k + 1]), i) for i, a in enumerate((image, imu))] for k in range(5)]
    ours = np.stack([dequantize(compiled, "output_0", run(compiled, x)["output_0"]).ravel() for x in q])
    assert np.abs(ours - scores.numpy()).max() < 0.1 * np.abs(scores.numpy()).max()
