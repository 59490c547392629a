"""The sweep tests' shared fixture: a local Ray cluster."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_head():
    """A local Ray cluster (`ray start --head --block`, 2 CPUs, no dashboard), stopped by
    ending the blocking `ray start`, which stops the processes it started (only those)."""
    pytest.importorskip("ray", reason="the ray package is not installed (requirements.txt)")
    ray_cli = Path(sys.executable).with_name("ray")
    if not ray_cli.exists():
        pytest.skip(f"no ray command beside {sys.executable}")
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="tgray-")            # short: Ray's socket paths must fit 107 bytes
    # no token authentication on this 127.0.0.1-only test cluster: a token another local Ray
    # left in ~/.ray would otherwise be taken by one side and not the other
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
               RAY_AUTH_MODE="disabled")
    proc = subprocess.Popen([str(ray_cli), "start", "--head", "--block", "--port", str(port), "--num-cpus", "2",
                             "--node-ip-address", "127.0.0.1",      # not the machine's outside address
                             "--include-dashboard=false", "--object-store-memory", str(100 << 20),
                             "--temp-dir", temp, "--disable-usage-stats"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(240):
            if proc.poll() is not None:
                pytest.fail(f"ray start --head exited with {proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()                                 # --block: stops the cluster it started
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        shutil.rmtree(temp, ignore_errors=True)
