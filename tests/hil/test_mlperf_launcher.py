"""What a user needs to run the unmodified MLPerf Tiny runner against a stand-in: the
pseudo-terminal bridge (tinygen.hil.pty) and the launcher (tinygen.hil.mlperf_runner),
on the host's tg_device behind its socket bridge. The runner itself is stood in for by
a small main.py that does what the runner does to find and open its device."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from _protocol import ProtocolClient, field, out_bytes
from e2e import compile_example, random_inputs
from tinygen.board import get_board
from tinygen.compiler import build
from tinygen.errors import TinygenError, UsageError
from tinygen.hil import mlperf_runner
from tinygen.hil.bridge import HostBridge
from tinygen.hil.pty import PtyBridge
from tinygen.run.qemu import free_port

ROOT = Path(__file__).resolve().parents[2]
VID, PID = 0x0483, 0x374B


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """The mlp model built for the host twice: as it is, and with --model-id kws01."""
    source, graph = compile_example("mlp")
    root = tmp_path_factory.mktemp("launcher")
    build(source, graph, get_board("host"), root / "plain")
    build(source, graph, get_board("host"), root / "kws01", model_id="kws01")
    return graph, root, random_inputs(source, graph, 2, seed=3)


class FdClient(ProtocolClient):
    """The pty opened as a plain file, no terminal settings of its own: the bridge's raw mode."""

    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        super().__init__(lambda data: os.write(self.fd, data), self._read_some)

    def _read_some(self, timeout: float) -> bytes:
        import select

        ready, _, _ = select.select([self.fd], [], [], timeout)
        return os.read(self.fd, 65536) if ready else b""


def test_pty_bridge_relays_bytes_unchanged_host(host):
    """Bytes that a terminal would translate or act on (CR, LF, ^C, XON/XOFF, NUL, 0xff) go
    through both ways as they are; the pty can be opened again and again."""
    graph, root, inputs = host
    with HostBridge(root / "plain" / "tg_device") as url, PtyBridge(url) as path:
        assert path.startswith("/dev/")
        for _ in range(2):
            client = FdClient(path)
            try:
                client.pending(0.3)                         # the boot lines, the first time
                assert client.command("name") == ["m-name-dut-[tinygen]"]
                x = inputs[0].copy().reshape(-1)
                x[:8] = np.frombuffer(b"\r\n%\x03\x11\x13\x00\xff", dtype=np.int8)
                x = x.reshape(inputs[0].shape)
                out, _ = client.command(f"tg run {x.nbytes}", x.tobytes())
                assert bytes.fromhex(field(out, "m-tg-out-")) == out_bytes(graph, x)
            finally:
                os.close(client.fd)


def test_pty_bridge_with_pyserial_as_the_runner_opens_it_host(host):
    serial = pytest.importorskip("serial", reason="pyserial is needed")
    _, root, _ = host
    with HostBridge(root / "kws01" / "tg_device") as url, PtyBridge(url) as path:
        with serial.Serial(path, 115200, timeout=0.1) as port:
            time.sleep(0.2)
            port.reset_input_buffer()
            port.write(b"profile%")
            got = b""
            deadline = time.monotonic() + 10
            while b"m-ready" not in got and time.monotonic() < deadline:
                got += port.read(256)
        assert b"m-model-[kws01]\r\nm-ready\r\n" in got


def test_pty_bridge_errors():
    with pytest.raises(TinygenError, match="relays a socket:// device, not /dev/ttyACM0"):
        PtyBridge("/dev/ttyACM0").start()
    with pytest.raises(TinygenError, match="cannot connect to socket://127.0.0.1:.*refused"):
        PtyBridge(f"socket://127.0.0.1:{free_port()}", connect_timeout=0.2).start()


def test_pty_bridge_notices_the_device_leaving_host(host):
    _, root, _ = host
    device = HostBridge(root / "plain" / "tg_device")
    bridge = PtyBridge(device.__enter__())
    try:
        bridge.start()
        assert bridge.alive
        device.close()
        deadline = time.monotonic() + 10
        while bridge.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not bridge.alive and "closed the connection (the stand-in exited)" in bridge.error
    finally:
        bridge.close()
        device.close()


DEVICES = """\
- name: board-io
  type: interface
  usb:
    0x0483: 0x374E
- name: meter
  type: power
  usb:
    0x0483: 0x5740
- name: old-dut
  type: dut
  baud: 115200
  usb:
    0x1234: 0x0001
- name: tinygen-dut
  type: dut
  baud: 115200
  usb:
    0x0483:
      - 0x374B
      - 0x374F
"""


def test_launcher_dut_usb_id_is_the_last_dut_entry():
    import yaml

    vid, pid, dut = mlperf_runner.dut_usb_id(yaml.safe_load(DEVICES))
    assert (vid, pid, dut["name"]) == (VID, PID, "tinygen-dut")
    clash = yaml.safe_load(DEVICES.replace("0x374B", "0x374E"))
    with pytest.raises(UsageError, match="USB id 0483:374e of the dut entry tinygen-dut is also the interface "
                                         "entry board-io's"):
        mlperf_runner.dut_usb_id(clash)
    with pytest.raises(UsageError, match="no `type: dut` entry"):
        mlperf_runner.dut_usb_id(yaml.safe_load(DEVICES.replace("type: dut", "type: other")))


def test_launcher_lists_the_port_with_the_dut_usb_id(monkeypatch):
    from serial.tools import list_ports

    monkeypatch.setattr(list_ports, "comports", lambda *a, **k: [])
    mlperf_runner.report_port("/dev/pts/42", VID, PID)
    (port,) = list_ports.comports(True)
    assert (port.device, port.vid, port.pid) == ("/dev/pts/42", VID, PID)
    assert "tinygen" in port.description


def test_launcher_usb_scan_finds_nothing_without_pyusb(monkeypatch):
    monkeypatch.setitem(sys.modules, "usb", None)            # import usb fails
    monkeypatch.setitem(sys.modules, "usb.core", None)
    assert "pyusb is not installed" in mlperf_runner.usb_without_backend()
    import usb.core

    assert list(usb.core.find(find_all=True)) == [] and usb.core.find() is None


def test_launcher_usb_scan_finds_nothing_without_a_libusb_backend(monkeypatch):
    import types

    class NoBackendError(ValueError):
        pass

    def find(find_all=False, **kwargs):
        raise NoBackendError("No backend available")

    core = types.ModuleType("usb.core")
    core.NoBackendError, core.find = NoBackendError, find
    package = types.ModuleType("usb")
    package.core = core
    monkeypatch.setitem(sys.modules, "usb", package)
    monkeypatch.setitem(sys.modules, "usb.core", core)
    assert mlperf_runner.usb_without_backend() is None
    assert list(core.find(find_all=True)) == [] and core.find() is None


FAKE_MAIN = """\
# Stands in for the runner's main.py: finds its DUT as the runner does (serial ports by
# USB id, then pyusb's USB-only scan), opens it with serial.Serial and asks profile%.
import os, sys, time
import serial, usb.core, yaml
from serial.tools import list_ports
devices = yaml.safe_load(open(sys.argv[sys.argv.index("-d") + 1]))
dut = [d for d in devices if d["type"] == "dut"][-1]
(vid, pids), = dut["usb"].items()
ports = [p for p in list_ports.comports(True) if p.vid == vid and p.pid in pids]
usb_only = list(usb.core.find(find_all=True))   # whatever this machine has, without failing
print("found", [p.device for p in ports], "usb-only scan done")
with serial.Serial(ports[0].device, 115200, timeout=0.1) as port:
    port.write(b"profile%")
    got, end = b"", time.monotonic() + 10
    while b"m-ready" not in got and time.monotonic() < end:
        got += port.read(256)
print("answer", got.decode().split())
os.makedirs("sessions/now", exist_ok=True)
open("sessions/now/log.txt", "w").write(" ".join(sys.argv[1:]))
"""


def fake_runner(folder: Path) -> Path:
    folder.mkdir()
    (folder / "main.py").write_text(FAKE_MAIN)
    (folder / "device_manager.py").write_text("")
    (folder / "tests_accuracy.yaml").write_text("kws01:\n  model: kws01\n  truth_file: y_labels.csv\n")
    (folder / "devices_kws_ic_vww.yaml").write_text(DEVICES)
    return folder


def launch(runner: Path, port: str, workdir: Path, data: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "tinygen", "mlperf", "run", "--runner", str(runner), "--port",
                           port, "--workdir", str(workdir), "--", "--mode", "a", "--dataset_path", str(data)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_launcher_runs_main_py_with_the_port_listed_host(host, tmp_path):
    _, root, _ = host
    runner = fake_runner(tmp_path / "runner")
    data = tmp_path / "data"
    (data / "kws01").mkdir(parents=True)
    (data / "kws01" / "y_labels.csv").write_text("s0.bin, 12, 3\n")
    with HostBridge(root / "kws01" / "tg_device") as url, PtyBridge(url) as path:
        proc = launch(runner, path, tmp_path / "work", Path("data"), tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"found ['{path}'] usb-only scan done" in out          # the pty, with the dut's USB id
    assert "'m-model-[kws01]'" in out
    assert "listed as the runner's dut tinygen-dut (USB 0483:374b from devices_kws_ic_vww.yaml)" in out
    # the host has no instruction counter: its laps stay m-lap-us
    assert f"{path}: tinygen runs model id kws01 on host stdio; laps: m-lap-us from the host's clock" in out
    argv = (tmp_path / "work" / "sessions" / "now" / "log.txt").read_text().split()
    assert argv[argv.index("-s") + 1] == str(data) and argv[argv.index("-m") + 1] == "a"
    assert argv[argv.index("-t") + 1] == str(runner / "tests_accuracy.yaml")
    assert argv[argv.index("-d") + 1] == str(runner / "devices_kws_ic_vww.yaml")


def test_launcher_refuses_a_model_the_runner_has_no_test_for_host(host, tmp_path):
    _, root, _ = host
    runner = fake_runner(tmp_path / "runner")
    with HostBridge(root / "plain" / "tg_device") as url, PtyBridge(url) as path:
        proc = launch(runner, path, tmp_path / "work", tmp_path / "data", tmp_path)
        assert proc.returncode == 1
        assert proc.stderr.splitlines() == [
            "tinygen mlperf run: error: the device answers m-model-[mlp] and tests_accuracy.yaml has no test for it "
            "(it has kws01)",
            "  hint: rebuild with tinygen build/flash ... --model-id ID for the test you mean, e.g. kws01"]
    with HostBridge(root / "kws01" / "tg_device") as url, PtyBridge(url) as path:
        proc = launch(runner, path, tmp_path / "work", tmp_path / "data", tmp_path)
    assert proc.returncode == 2 and f"no truth file {tmp_path / 'data' / 'kws01' / 'y_labels.csv'}" in proc.stderr
    assert not (tmp_path / "work").exists()
