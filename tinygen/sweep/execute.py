"""Where points run: a local process pool (the default) or Ray tasks on a Ray cluster.

Both know nothing of tinygen's internals: they run `tinygen.sweep.point.run_point(params,
context)` and hand back (key, row) pairs as points finish.

    with local_pool(workers=2) as ex:         # or ray_cluster(address, workers)
        ex.submit(key, params, context)
        for key, row in ex.wait(): ...

Ray: no address starts a local cluster for the sweep (torn down after it), "auto" joins
the cluster running on this machine, HOST:PORT (or ray://HOST:PORT) joins that one; an
address that does not answer within CONNECT_TIMEOUT seconds is an error, never a hang.
A point that runs on a real board asks for the Ray resource "board:NAME" (one unit), so
the node the board is attached to (started with `ray start --resources
'{"board:NAME": 1}'`) never runs two points on it at once.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import socket
from contextlib import contextmanager
from pathlib import Path

from tinygen.errors import TinygenError, UsageError
from tinygen.sweep.point import run_point

CONNECT_TIMEOUT = 10.0      # seconds a Ray address may take to accept a connection
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
    """UsageError unless something accepts TCP connections at HOST:PORT within `timeout`."""
    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise UsageError(f"--ray {address!r} is not HOST:PORT, ray://HOST:PORT or auto", RAY_START_HINT)
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as e:
        raise UsageError(f"no Ray cluster answers at {hostport} ({e.strerror or type(e).__name__}, "
                         f"waited at most {timeout:g} s)", RAY_START_HINT) from None


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
