"""Where points run: a local process pool (the default) or Ray tasks on a Ray cluster.

Both know nothing of tinygen's internals: they run `tinygen.sweep.point.run_point(params,
context)` and hand back (key, row) pairs as points finish.

    with local_pool(workers=2) as ex:         # or ray_cluster(address, workers)
        ex.submit(key, params, context)
        for key, row in ex.wait(): ...

Ray: no address starts a local cluster for the sweep (torn down after it), "auto" joins
the cluster running on this machine, HOST:PORT (or ray://HOST:PORT) joins that one; an
address where no gRPC server answers within CONNECT_TIMEOUT seconds is an error, never a hang
(check_reachable).
A point that runs on a real board asks for the Ray resource "board:NAME" (one unit), so
the node the board is attached to (started with `ray start --resources
'{"board:NAME": 1}'`) never runs two points on it at once.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path

from tinygen.errors import TinygenError, UsageError
from tinygen.sweep.point import run_point

CONNECT_TIMEOUT = 8.0       # seconds a Ray address may take to answer (the command ends within 10 s)
OBJECT_STORE_BYTES = 100 << 20
RAY_START_HINT = ("start one with `ray start --head` (then --ray auto), give a reachable HEAD:PORT, "
                  "or leave out the address to start a local cluster")


def board_resource(board: str) -> str:
    return f"board:{board}"


class LocalPool:
    """A process pool (spawned workers: each imports torch and tinygen once)."""

    holds_boards = True         # the driver keeps a real board to one point at a time

    def __init__(self, workers: int):
        self.workers = workers
        self.pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        self.futures: dict[cf.Future, str] = {}

    @property
    def running(self) -> int:
        return len(self.futures)

    def submit(self, key: str, params: dict, ctx: dict, real_board: str | None = None) -> None:
        self.futures[self.pool.submit(run_point, params, ctx)] = key

    def wait(self) -> list[tuple[str, dict]]:
        done, _ = cf.wait(list(self.futures), return_when=cf.FIRST_COMPLETED)
        return [(self.futures.pop(f), _result(f.result)) for f in done]

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


class RayCluster:
    """Points as Ray tasks (one CPU each; a real board's resource where one is needed)."""

    holds_boards = False        # Ray's board resources do it

    def __init__(self, address: str | None, workers: int | None):
        import ray

        self.ray = ray
        env = {"env_vars": {"PYTHONPATH": os.pathsep.join(
            p for p in (str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH")) if p)}}
        if address is None:
            ray.init(num_cpus=workers or os.cpu_count(), include_dashboard=False, log_to_driver=False,
                     object_store_memory=OBJECT_STORE_BYTES, runtime_env=env, configure_logging=False)
        else:
            if address != "auto":
                check_reachable(address)
            try:
                ray.init(address=address, log_to_driver=False, runtime_env=env, configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise UsageError(f"cannot join the Ray cluster at {address}: {str(e).splitlines()[0]}",
                                 RAY_START_HINT) from None
        self.resources = ray.cluster_resources()
        self.workers = workers or max(1, int(self.resources.get("CPU", 1)))
        self.task = ray.remote(num_cpus=1, max_retries=0)(run_point)
        self.refs: dict = {}

    @property
    def running(self) -> int:
        return len(self.refs)

    def submit(self, key: str, params: dict, ctx: dict, real_board: str | None = None) -> None:
        options = {}
        if real_board is not None:
            name = board_resource(real_board)
            if self.resources.get(name, 0) < 1:
                raise UsageError(f"no node of the Ray cluster offers {name}",
                                 f"on the machine the board is attached to: ray start --address HEAD:PORT "
                                 f"--resources '{{\"{name}\": 1}}'")
            options["resources"] = {name: 1}
        self.refs[self.task.options(**options).remote(params, ctx)] = key

    def wait(self) -> list[tuple[str, dict]]:
        done, _ = self.ray.wait(list(self.refs), num_returns=1)
        return [(self.refs.pop(ref), _result(lambda: self.ray.get(ref))) for ref in done]

    def close(self, cancel: bool = False) -> None:
        if cancel:
            for ref in self.refs:
                self.ray.cancel(ref, force=True)
        self.ray.shutdown()


def _result(get) -> dict:
    """A finished point's row; a worker that died is a failed point, not a failed sweep."""
    try:
        return get()
    except Exception as e:
        return {"status": "failed", "reason": f"the worker running the point failed: {type(e).__name__}: "
                                              f"{str(e).splitlines()[0] if str(e) else ''}", "timing": {}}


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """UsageError unless a gRPC server (what a Ray head's GCS and Ray Client's server are)
    answers at HOST:PORT within `timeout` seconds in all: probed here, since Ray itself
    retries a wrong address for minutes (an HTTP/1 server: 30 s and a screen of log lines).

    The probe is HTTP/2's own handshake (RFC 9113, section 3.4): the client connection
    preface and an empty SETTINGS frame; an HTTP/2 server's first frame is its SETTINGS
    frame. A web server answers HTTP/1 or closes, a silent port says nothing: both are
    refused here. It proves a gRPC server, not Ray's: a non-Ray gRPC server passes and
    Ray's own connection then decides. With RAY_USE_TLS set (the head speaks TLS first)
    only the TCP connection is checked."""
    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise UsageError(f"--ray {address!r} is not HOST:PORT, ray://HOST:PORT or auto", RAY_START_HINT)
    why = _probe_http2(host.strip("[]"), int(port), timeout)
    if why is not None:
        raise UsageError(f"no Ray cluster answers at {hostport} ({why})", RAY_START_HINT)


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
H2_EMPTY_SETTINGS = bytes([0, 0, 0, 0x4, 0, 0, 0, 0, 0])    # length 0, type SETTINGS, no flags, stream 0
H2_SETTINGS, H2_ACK = 0x4, 0x1


def _probe_http2(host: str, port: int, timeout: float) -> str | None:
    """None when an HTTP/2 server answers at host:port before the deadline, else why not."""
    deadline = time.monotonic() + timeout
    try:
        conn = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        return f"{e.strerror or type(e).__name__}, waited at most {timeout:g} s"
    with conn:
        if os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true"):
            return None
        head = b""
        try:
            conn.sendall(H2_PREFACE + H2_EMPTY_SETTINGS)
            while len(head) < 9:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout
                conn.settimeout(left)
                chunk = conn.recv(9 - len(head))
                if not chunk:
                    break
                head += chunk
        except socket.timeout:
            if not head:
                return f"something accepts connections there but says nothing in {timeout:g} s: not a Ray head"
        except OSError:                  # reset: the server hung up before or while we spoke
            pass
    if len(head) == 9 and head[3] == H2_SETTINGS and not head[4] & H2_ACK and not any(head[5:9]):
        return None
    if head.startswith(b"HTTP/"):
        return f"an HTTP/1 server answers there ({head.decode('ascii', 'replace').split()[0]}), not Ray's gRPC"
    if head.lstrip().startswith(b"<"):
        return "a web server answers there (with HTML), not Ray's gRPC"
    if not head:
        return "something accepts connections there and closes them without a word: not a Ray head"
    return "something answers there, but not in HTTP/2 as Ray's gRPC does"


@contextmanager
def executor(ray: str | bool | None, workers: int | None):
    """The pool (ray None/False) or the Ray cluster (ray True: start a local one; else its address)."""
    if ray is None or ray is False:
        ex = LocalPool(workers or max(1, os.cpu_count() or 1))
    else:
        try:
            ex = RayCluster(None if ray is True else str(ray), workers)
        except ImportError:
            raise TinygenError("--ray needs the ray package", "pip install ray==2.60.0") from None
    cancel = True
    try:
        yield ex
        cancel = False
    finally:
        ex.close(cancel=cancel)
