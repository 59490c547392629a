"""The protocol client (tinygen.hil) against the real runtime: the host
`tg_device` built by `tinygen build --board host`, reached through the TCP
bridge, i.e. the same socket:// link as a QEMU stand-in. Fast: no emulator.
"""

from __future__ import annotations

import errno
import select
import socket
import threading

import numpy as np
import pytest

from e2e import build_host, compile_example, random_inputs
from tinygen.errors import TinygenError
from tinygen.hil.bridge import HostBridge
from tinygen.hil.client import Device, DeviceError, parse_info
from tinygen.hil.link import Link, LinkError, LinkTimeout
from tinygen.hil import session
from tinygen.hil.session import as_millis, estimate_line, profile_layers, result_millis, run_samples, split_outputs
from tinygen.ref.interpreter import run


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    source, graph = compile_example("dscnn")
    out = tmp_path_factory.mktemp("hil_host") / "dscnn"
    host = build_host(source, graph, out)
    inputs = np.stack(random_inputs(source, graph, 24, seed=7))
    return source, graph, out, host.manifest, inputs


@pytest.fixture
def bridge(model):
    with HostBridge(model[2] / "tg_device") as url:
        yield url


@pytest.fixture
def dev(bridge):
    with Link.open(bridge) as link:
        d = Device(link, timeout=10)
        d.connect()
        yield d


def test_hil_info_describes_the_built_model(dev, model):
    _, graph, _, manifest, _ = model
    info = dev.info()
    assert info["model"] == manifest["model"]
    assert info["hash"] == manifest["model_hash"]
    assert info["counter"] == "ns"
    assert info["inputs"] == [int(np.prod(graph.tensor(n).shape)) for n in graph.inputs]
    assert info["outputs"] == [int(np.prod(graph.tensor(n).shape)) for n in graph.outputs]
    assert info["layers"] == len(manifest["layers"])
    assert info["arena"] == manifest["arena_size"]
    assert dev.name() == "tinygen"
    assert dev.profile()["model"] == manifest["model"]


def test_hil_run_bit_exact_s8_host(dev, model):
    _, graph, _, _, inputs = model
    result = run_samples(dev, graph, inputs)
    assert result.samples == len(inputs) >= 20
    assert result.mismatches == []
    assert all(c > 0 for c in result.counts)


def test_hil_run_long_says_its_estimated_time_once_host(dev, model, monkeypatch):
    """A run expected to take over a minute says how long first, once, from its first samples'
    time (a clock that moves 10 s per reading: 20 s a sample, 24 samples); a short one says nothing."""
    _, graph, _, _, inputs = model
    said = []
    assert run_samples(dev, graph, inputs, notify=said.append).exact == len(inputs)
    assert said == []                                       # a second or so: no estimate
    ticks = iter(range(0, 10_000, 10))
    monkeypatch.setattr(session, "monotonic", lambda: float(next(ticks)))
    result = run_samples(dev, graph, inputs, notify=said.append)
    assert result.exact == len(inputs)
    assert said == ["estimated time: about 8 min for 24 samples (20000 ms each, from the first 1); "
                    "--limit N runs the first N"]


def test_hil_estimate_line_for_100000_samples():
    assert estimate_line(100_000, 5, 0.15) == ("estimated time: about 50 min for 100,000 samples (30 ms each, from "
                                               "the first 5); --limit N runs the first N")
    assert estimate_line(1_000_000, 5, 0.15) == ("estimated time: about 8 h 20 min for 1,000,000 samples (30 ms each, "
                                                 "from the first 5); --limit N runs the first N")
    assert estimate_line(2000, 5, 0.15) is None             # 60 s: within a minute


def test_hil_upload_invoke_out_agree_with_run(dev, model):
    _, graph, _, _, inputs = model
    x = inputs[3].tobytes()
    out_run, _ = dev.run(x)
    dev.upload(x)
    out_invoke, count = dev.invoke()
    assert out_invoke == out_run and count > 0
    assert dev.out() == out_run
    ref = run(graph, inputs[3])[graph.outputs[0]]
    assert np.array_equal(split_outputs(graph, out_run)[0], ref)


def test_hil_eembc_load_infer_results(dev, model):
    """db load / db HEX chunks / infer N W / results: the dequantized outputs,
    3 decimals, as the device's float32 arithmetic prints them."""
    _, graph, _, _, inputs = model
    dev.load_hex(inputs[5].tobytes())
    res = dev.infer(3, 1)
    assert res.runs == 3 and res.unit == "us" and res.total >= 0
    assert np.array_equal(as_millis(res.results), result_millis(graph, inputs[5]))
    assert dev.results() == res.results
    # laps in us are not the counter's units (ns here, cycles on a board): no budget from them
    assert dev.last_count is None
    _, count = dev.invoke()
    assert dev.last_count == count > 0


def test_hil_layers_and_layer_outputs_match_reference(dev, model):
    _, graph, _, manifest, inputs = model
    layers, total = profile_layers(dev, graph, inputs[0])
    assert [layer.name for layer in layers] == [layer["name"] for layer in manifest["layers"]]
    assert sum(layer.count for layer in layers) == total
    ref = run(graph, inputs[0], keep_all=True)
    kernels = [n for n in graph.nodes if n.kernel]
    for i in (0, len(kernels) // 2, len(kernels) - 1):
        got = np.frombuffer(dev.layer_out(i), dtype=np.int8)
        assert np.array_equal(got, ref[kernels[i].outputs[0]].ravel()), f"layer {i} ({kernels[i].name})"


def test_hil_wrong_size_upload_then_inference_passes(dev, model):
    _, graph, _, _, inputs = model
    with pytest.raises(DeviceError, match=r"model takes 490") as err:
        dev.run(inputs[0].tobytes()[:100])
    assert err.value.command == "tg run 100"
    out, _ = dev.run(inputs[1].tobytes())
    assert np.array_equal(split_outputs(graph, out)[0], run(graph, inputs[1])[graph.outputs[0]])


def test_hil_resync_after_garbage_and_truncated_upload(dev, model):
    _, graph, _, _, inputs = model
    dev.link.write(bytes(range(256)) * 3)                 # random bytes, % among them
    assert dev.connect() == "tinygen"
    dev.link.write(b"tg load 490%" + inputs[0].tobytes()[:37])  # an upload that stops
    assert dev.connect() == "tinygen"
    with pytest.raises(DeviceError, match="Unknown command"):
        dev.command("bogus")
    out, _ = dev.run(inputs[2].tobytes())
    assert np.array_equal(split_outputs(graph, out)[0], run(graph, inputs[2])[graph.outputs[0]])


def test_hil_exit_status_reaches_the_process(model):
    bridge = HostBridge(model[2] / "tg_device")
    with bridge as url, Link.open(url) as link:
        dev = Device(link)
        dev.connect()
        dev.exit(7)
        assert bridge.proc.wait(5) == 7
        with pytest.raises(LinkError, match="went away"):
            dev.name()


def test_hil_exit_code_out_of_range(dev):
    with pytest.raises(DeviceError, match="exit code must be 0..255"):
        dev.exit(300)
    assert dev.name() == "tinygen"


def test_hil_bridge_without_binary(tmp_path):
    with pytest.raises(TinygenError, match="no host device binary") as err:
        with HostBridge(tmp_path / "tg_device"):
            pass
    assert "--board host" in err.value.hint


def test_hil_parse_info():
    info = parse_info("version=0.1.0,model=m,port=stm32f746 216MHz,counter=cycles,clock_hz=216000000,"
                      "inputs=490,outputs=12/4,arena=16000")
    assert info == {"version": "0.1.0", "model": "m", "port": "stm32f746 216MHz", "counter": "cycles",
                    "clock_hz": 216000000, "inputs": [490], "outputs": [12, 4], "arena": 16000}


def test_hil_timeout_names_what_was_awaited():
    """A peer that accepts and never answers: the timeout says which answer was awaited."""
    server = socket.create_server(("127.0.0.1", 0))
    held = []
    t = threading.Thread(target=lambda: held.append(server.accept()), daemon=True)
    t.start()
    try:
        with Link.open(f"socket://127.0.0.1:{server.getsockname()[1]}") as link:
            # 0.3 s plus what sending `tg info%` costs at the generous default pace
            with pytest.raises(LinkTimeout, match=r"timed out after 0\.30\d* s on .* waiting for the answer to "
                                                  r"`tg info`") as err:
                Device(link, timeout=0.3).info()
            assert "raise --timeout" in err.value.hint and "0.3 s beyond the known work" in err.value.hint
            with pytest.raises(LinkTimeout, match="no tinygen device answered"):
                link.resync(attempts=1, timeout=0.2)
    finally:
        server.close()
        for conn, _ in held:
            conn.close()


def test_hil_open_keeps_boot_lines_that_came_before_open_returned(monkeypatch):
    """A stand-in boots the moment its connection is accepted: its boot lines can arrive while
    the link is still opening (under load, always a matter of chance). pyserial's open()
    discards what arrived; the link must not. Here the peer's lines are made to arrive
    before pyserial's open() goes on past its connect."""
    protocol_socket = pytest.importorskip("serial.urlhandler.protocol_socket",
                                          reason="pyserial is needed for socket:// links")
    server = socket.create_server(("127.0.0.1", 0))
    sent = threading.Event()
    held = []

    def boot():
        conn, _ = server.accept()
        held.append(conn)
        conn.sendall(b"m-init-done\r\nm-ready\r\n")
        sent.set()

    connect = protocol_socket.socket.create_connection

    def connect_then_let_the_peer_talk(*args, **kwargs):
        sock = connect(*args, **kwargs)
        assert sent.wait(10), "the test's peer did not send"
        select.select([sock], [], [], 10)       # the lines are in this socket's buffer
        return sock

    monkeypatch.setattr(protocol_socket.socket, "create_connection", connect_then_let_the_peer_talk)
    threading.Thread(target=boot, daemon=True).start()
    try:
        with Link.open(f"socket://127.0.0.1:{server.getsockname()[1]}") as link:
            assert link.readline(5.0) == "m-init-done"
            assert link.readline(5.0) == "m-ready"
    finally:
        server.close()
        for conn in held:
            conn.close()


def test_hil_open_errors_say_what_to_do(tmp_path, monkeypatch):
    with pytest.raises(LinkError, match="no device on") as err:
        Link.open(str(tmp_path / "ttyACM9"))
    assert "--port" in err.value.hint
    with pytest.raises(LinkError, match="cannot connect to socket://127.0.0.1:1") as err:
        Link.open("socket://127.0.0.1:1", connect_timeout=0.2)

    import serial

    def denied(url, **kw):
        raise serial.SerialException(errno.EACCES, f"could not open port {url}: [Errno 13] Permission denied")

    monkeypatch.setattr(serial, "serial_for_url", denied)
    with pytest.raises(LinkError, match="permission denied on /dev/ttyACM0") as err:
        Link.open("/dev/ttyACM0")
    assert "dialout" in err.value.hint
