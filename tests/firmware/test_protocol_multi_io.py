"""The on-device protocol for a model with two inputs and two outputs, on the host's
tg_device over pipes (firmware/runtime/PROTOCOL.md, "The input buffer"): inputs loaded by
index (`tg load N I`), outputs read by index (`tg out I`), each byte for byte equal to the
reference; bad indices, sizes and truncated uploads answered with e- lines while the
firmware keeps serving. The tinygen.hil client's upload_input / output over the TCP bridge."""

from __future__ import annotations

import numpy as np
import pytest

from _protocol import booted, field, out_bytes
from e2e import build_host
from multi_io_lib import quantized, float_inputs, write_model
from tinygen.compiler import compile_source, load_source
from tinygen.hil.bridge import HostBridge
from tinygen.hil.client import Device, DeviceError
from tinygen.hil.link import Link
from tinygen.hil.session import input_bytes
from tinygen.ref.interpreter import run


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("proto_two")
    source = load_source(write_model(folder))
    graph = compile_source(source)
    build_host(source, graph, folder / "build")
    return graph, folder / "build", quantized(source, graph, float_inputs(4, seed=11))


@pytest.fixture
def device(built):
    with booted(built[1] / "tg_device") as client:
        yield client


def load(client, index: int, data: bytes) -> list[str]:
    return client.command(f"tg load {len(data)} {index}", data)


def outputs(client, graph, x) -> None:
    """`tg out I` for each output equals the reference's output I; `tg out` all of them."""
    ref = run(graph, x)
    for k, name in enumerate(graph.outputs):
        (line,) = client.command(f"tg out {k}")
        assert line == f"m-tg-output-[{k},{ref[name].astype(np.int8).tobytes().hex()}]", name
    (line,) = client.command("tg out")
    assert bytes.fromhex(field(line, "m-tg-out-")) == out_bytes(graph, x)


def test_info_lists_both_inputs_and_outputs_host(device, built):
    graph = built[0]
    (line,) = device.command("tg info")
    info = dict(kv.split("=", 1) for kv in field(line, "m-tg-info-").split(","))
    assert info["inputs"] == "192/60" and info["outputs"] == "4/1" and info["max_upload"] == "252"
    assert [graph.tensor(n).nbytes for n in graph.inputs] == [192, 60]


def test_inputs_by_index_outputs_by_index_host(device, built):
    graph, _, samples = built
    a, b = samples[0], samples[1]
    assert load(device, 0, a[0].tobytes()) == ["m-load-done"]
    assert device.command("tg invoke") == ["e-[input 1 not loaded: send tg load 60 1 and its bytes]"]
    assert load(device, 1, a[1].tobytes()) == ["m-load-done"]
    out, count = device.command("tg invoke")
    assert bytes.fromhex(field(out, "m-tg-out-")) == out_bytes(graph, a)
    outputs(device, graph, a)
    # a new imu window alone: the image stays
    assert load(device, 1, b[1].tobytes()) == ["m-load-done"]
    device.command("tg invoke")
    outputs(device, graph, (a[0], b[1]))
    # the whole buffer at once, as for a one-input model
    out, _ = device.command(f"tg run {len(input_bytes(b))}", input_bytes(b))
    assert bytes.fromhex(field(out, "m-tg-out-")) == out_bytes(graph, b)
    outputs(device, graph, b)


def test_bad_indices_and_sizes_are_refused_and_the_bytes_dropped_host(device, built):
    graph, _, samples = built
    x = samples[2]
    imu = x[1].tobytes()
    cases = [
        ("tg load 60 2", imu, "e-[input 2 out of range: the model has 2 inputs (discarded 60 bytes)]"),
        ("tg load 60 x", imu, "e-[bad input index: x (discarded 60 bytes)]"),
        ("tg load 60 -1", imu, "e-[bad input index: -1 (discarded 60 bytes)]"),
        ("tg load 61 1", imu + b"%", "e-[upload of 61 bytes, input 1 takes 60 (discarded 61 bytes)]"),
        ("tg load 192 1", x[0].tobytes(), "e-[upload of 192 bytes, input 1 takes 60 (discarded 192 bytes)]"),
        ("tg load x 1", b"", "e-[bad number: x]"),
        ("tg out 2", b"", "e-[output 2 out of range: the model has 2 outputs]"),
        ("tg out 99999999999", b"", "e-[bad number: 99999999999]"),
    ]
    assert device.command("tg out 0") == ["e-[no outputs: run an inference first]"]
    for cmd, payload, error in cases:
        # the payload holds `%` bytes: were any taken for commands, extra e- lines would come
        assert device.command(cmd, payload) == [error], cmd
        assert device.pending(0.05) == b"", cmd
    # nothing was loaded: the buffer is still empty, and the firmware serves on
    assert device.command("tg invoke") == ["e-[input has 0 bytes, model takes 252]"]
    assert load(device, 0, x[0].tobytes()) == ["m-load-done"]
    assert load(device, 1, x[1].tobytes()) == ["m-load-done"]
    device.command("tg invoke")
    outputs(device, graph, x)


def test_truncated_input_upload_leaves_that_input_missing_host(device, built):
    graph, _, samples = built
    x, y = samples[0], samples[3]
    device.command(f"tg run {len(input_bytes(x))}", input_bytes(x))
    device.send(b"tg load 60 1%" + y[1].tobytes()[:10])          # the bytes stop after 10
    assert device.read_reply(timeout=10) == ["e-[upload truncated: got 10 of 60 bytes]"]
    assert device.command("tg invoke") == ["e-[input 1 not loaded: send tg load 60 1 and its bytes]"]
    assert load(device, 1, y[1].tobytes()) == ["m-load-done"]
    device.command("tg invoke")
    outputs(device, graph, (x[0], y[1]))
    # db load empties the buffer: the inputs loaded one by one are gone too
    assert device.command("db load 4") == ["m-[Expecting 4 bytes]"]
    assert device.command("tg invoke") == ["e-[input has 0 bytes, model takes 252]"]


def test_client_upload_input_and_output_by_index_host(built):
    graph, project, samples = built
    x, y = samples[1], samples[2]
    with HostBridge(project / "tg_device") as url, Link.open(url) as link:
        dev = Device(link, timeout=10)
        dev.connect()
        raw, _ = dev.run(input_bytes(x))
        assert raw == out_bytes(graph, x)
        dev.upload_input(0, y[0].tobytes())
        dev.invoke()
        ref = run(graph, (y[0], x[1]))
        assert [dev.output(k) for k in range(2)] == [ref[n].astype(np.int8).tobytes() for n in graph.outputs]
        with pytest.raises(DeviceError, match=r"input 5 out of range: the model has 2 inputs"):
            dev.upload_input(5, y[1].tobytes())
        with pytest.raises(DeviceError, match=r"output 3 out of range"):
            dev.output(3)
        assert dev.name() == "tinygen"
