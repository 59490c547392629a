"""`tinygen sweep --ray HOST:PORT` at an address where no Ray head answers: one line within
the documented 10 s whatever listens there (docs/sweep.md), nothing left in the output
folder; and the probe (tinygen.sweep.execute.check_reachable) accepts an HTTP/2 server as
Ray's gRPC servers are, a real Ray head included (slow).

Stand-ins, all on 127.0.0.1 with a port from the OS: a closed port, a TCP server that
accepts and says nothing, one that accepts and closes, an HTTP/1 web server
(http.server), and a minimal HTTP/2 server that answers the client's preface with its
SETTINGS frame as an HTTP/2 (gRPC) server must (RFC 9113, section 3.4).
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from tinygen.errors import TinygenError, UsageError
from tinygen.hil.deadline import run_process
from tinygen.sweep import run_sweep
from tinygen.sweep.execute import H2_PREFACE, check_reachable
from tinygen.sweep.store import Store

ROOT = Path(__file__).resolve().parents[2]
PROMISED_S = 10.0                   # docs/sweep.md: "a one-line error after at most 10 s"


def write_spec(folder: Path) -> Path:
    raw = {"model": str(ROOT / "examples" / "lowbit" / "float_digits.py"),
           "data": f"{ROOT / 'examples' / 'sweep' / 'digits_data.py'}:test_set",
           "space": {"bits": {"3": [8, 4]}, "board": ["f746zg"]}}
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


class Listener:
    """A TCP server on 127.0.0.1 whose `serve(conn)` runs per connection on a thread."""

    def __init__(self, serve):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.serve, self.conns = serve, []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def _silent(conn):
    conn.recv(1024)                              # reads the preface, answers nothing, keeps it open


def _closes(conn):
    conn.close()


def _http2(conn):
    """An HTTP/2 server's first moves: read the client preface, send its own SETTINGS."""
    got = b""
    while len(got) < len(H2_PREFACE):
        chunk = conn.recv(1024)
        if not chunk:
            return
        got += chunk
    if got.startswith(H2_PREFACE):
        conn.sendall(bytes([0, 0, 6, 0x4, 0, 0, 0, 0, 0]) + (3).to_bytes(2, "big") + (100).to_bytes(4, "big"))
        try:
            conn.recv(1024)
        except ConnectionResetError:       # the probe hangs up once it has read the SETTINGS frame
            pass


@pytest.fixture
def http1_port():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def listener():
    made = []

    def make(serve):
        made.append(Listener(serve))
        return made[-1].port
    yield make
    for m in made:
        m.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sweep_at(tmp_path: Path, port: int) -> subprocess.CompletedProcess:
    """`tinygen sweep --ray 127.0.0.1:PORT`, which must end within the promised seconds of its own
    time (tinygen.hil.deadline: wall time less its waits for a CPU, so that a loaded machine
    does not run it out; past them it is killed and the test fails)."""
    return run_process([sys.executable, "-m", "tinygen", "sweep", str(write_spec(tmp_path)), "--ray",
                        f"127.0.0.1:{port}", "--out", str(tmp_path / "out")], PROMISED_S, "tinygen sweep", cwd=ROOT)


def _assert_one_line(proc, port: int, why: str, tmp_path: Path) -> None:
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, proc.stderr
    assert lines[0].startswith(f"tinygen sweep: error: no Ray cluster answers at 127.0.0.1:{port} ("), proc.stderr
    assert why in lines[0], proc.stderr
    assert len(lines) == 2 and lines[1].startswith("  hint: start one with `ray start --head`"), proc.stderr
    assert not (tmp_path / "out").exists()                   # nothing written: no results.sqlite, no folder


def test_sweep_ray_http1_server_refused_in_one_line(tmp_path, http1_port):
    proc = _sweep_at(tmp_path, http1_port)
    # http.server answers HTTP/2's preface as HTTP/0.9: an HTML page with no status line
    _assert_one_line(proc, http1_port, "a web server answers there (with HTML)", tmp_path)


def test_sweep_ray_silent_server_refused_in_one_line(tmp_path, listener):
    port = listener(_silent)
    proc = _sweep_at(tmp_path, port)
    _assert_one_line(proc, port, "accepts connections there but says nothing", tmp_path)


def test_sweep_ray_server_that_hangs_up_refused_in_one_line(tmp_path, listener):
    port = listener(_closes)
    proc = _sweep_at(tmp_path, port)
    _assert_one_line(proc, port, "closes them without a word", tmp_path)


def test_sweep_ray_closed_port_refused_in_one_line(tmp_path):
    port = _closed_port()
    proc = _sweep_at(tmp_path, port)
    _assert_one_line(proc, port, "Connection refused", tmp_path)


def test_sweep_ray_probe_accepts_an_http2_server(listener):
    port = listener(_http2)
    # no error: the server answered each probe within its 5 s (the probe's own deadline is the
    # check; a wall-clock total would change with the load on the machine)
    check_reachable(f"127.0.0.1:{port}", timeout=5.0)
    check_reachable(f"ray://127.0.0.1:{port}", timeout=5.0)
    with pytest.raises(UsageError, match="says nothing in 0.5 s"):       # the same server, silent
        check_reachable(f"127.0.0.1:{listener(_silent)}", timeout=0.5)


def test_sweep_that_never_ran_a_point_leaves_no_store(tmp_path, monkeypatch):
    """The executor fails before any point (Ray missing, ray.init refused, ...): no results
    store is created; a store that was there before is left as it was."""
    import tinygen.sweep.execute as execute

    def no_executor(ray, workers):
        raise TinygenError("--ray needs the ray package", "pip install ray")
    monkeypatch.setattr(execute, "executor", no_executor)
    spec = write_spec(tmp_path)
    with pytest.raises(TinygenError):
        run_sweep(spec, tmp_path / "fresh", workers=1, progress=False)
    assert not (tmp_path / "fresh").exists()

    with Store(tmp_path / "kept" / "results.sqlite") as store:       # a user's earlier sweep
        store.put("k1", {"board": "f746zg"}, {"status": "ok", "accuracy": 0.5})
    before = (tmp_path / "kept" / "results.sqlite").read_bytes()
    with pytest.raises(TinygenError):
        run_sweep(spec, tmp_path / "kept", workers=1, progress=False)
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["results.sqlite"]
    assert (tmp_path / "kept" / "results.sqlite").read_bytes() == before


def test_sweep_store_is_created_by_its_first_row(tmp_path):
    path = tmp_path / "out" / "results.sqlite"
    with Store(path) as store:
        assert store.get("k") is None and not store.has("k") and store.rows(["k"]) == []
        assert not (tmp_path / "out").exists()
        store.put("k", {"board": "f446re"}, {"status": "failed", "reason": "does not fit"})
        assert path.is_file() and store.get("k")["reason"] == "does not fit"


@pytest.mark.slow
def test_sweep_ray_probe_accepts_a_real_ray_head(ray_head):
    check_reachable(ray_head)           # a real head's GCS port: no error within the probe's CONNECT_TIMEOUT

