"""The device's outputs equal the numpy reference byte for byte: every sample
through the binary path (`tg run`), a few through the EEMBC path (`db` +
`infer` + `results`), and one input layer by layer (`tg layer-out`)."""

from __future__ import annotations

import numpy as np

from tinygen.hil.session import as_millis, first_difference, input_bytes, result_millis, run_samples
from tinygen.ref.interpreter import run


def test_bitexact_tg_run_all_samples(device, graph, inputs):
    result = run_samples(device, graph, inputs)
    assert result.samples >= 20
    detail = "\n".join(f"sample {m.sample}, {m.output}: {m.detail}" for m in result.mismatches[:5])
    assert result.exact == result.samples, f"{result.samples - result.exact} samples differ:\n{detail}"


def test_bitexact_eembc_results(device, graph, inputs):
    """`results` prints dequantized outputs with 3 decimals in float32: the
    reference's outputs printed the same way give the same numbers."""
    for x in inputs[:3]:
        device.load_hex(input_bytes(x))
        res = device.infer(1, 0)
        assert np.array_equal(as_millis(res.results), result_millis(graph, x)), res.results


def test_bitexact_every_layer(device, graph, inputs):
    """Each layer's output on the device (`tg layer-out I`) equals the reference's
    tensor: on a mismatch this names the first layer that differs."""
    x = inputs[0]
    device.upload(input_bytes(x))
    ref = run(graph, x, keep_all=True)
    kernels = [n for n in graph.nodes if n.kernel]
    for i, node in enumerate(kernels):
        got = np.frombuffer(device.layer_out(i), dtype=np.int8)
        want = ref[node.outputs[0]].ravel()
        assert got.size == want.size, f"layer {i} {node.name}: {got.size} bytes from the device, {want.size} expected"
        assert np.array_equal(got, want), (f"first differing layer: {i} {node.name} ({node.kernel}): "
                                           f"{first_difference(want, got)}")
