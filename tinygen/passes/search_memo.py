"""The planning searches' results kept per process, by their inputs.

    key = search_key(count, bound, costs.preds, ...)     # every input the search reads
    result = memoized("reorder", key, lambda: _search_orders(costs, count, bound))

passes/reorder.py's search over execution orders and passes/plan_memory.py's exact placement
are deterministic functions of plain numbers (node dependencies, buffer sizes, lifetimes,
scratch, in-place distances) and take seconds on banded graphs. The fit step
(tinygen/fit/) compiles a model again for each kernel choice it tries, and a choice that
changes neither the order's nor the placement's inputs (the same scratch and sizes, other
weights in flash) used to search again. The key is the SHA-256 of every input the search
reads, pickled; any other number searches anew. Per process, at most MEMO_ENTRIES results per
search (the oldest dropped first); a result is a copy, never shared with a caller.

Results are also kept on disk, in the user cache's searches/<search>/ (tinygen.kernels.
measure_cache.cache_dir), so that another process (the next `tinygen build` of the same model,
a sweep's workers, a test suite's) finds them: the key then also holds the SHA-256 of the
searching module's source (code_version), so a changed search never reads an old answer. At most
DISK_ENTRIES files per search (the least recently used removed first, checked every
PRUNE_EVERY writes). A file that cannot be read or written is a miss: the search runs.

A search that runs does so with the cyclic garbage collector paused (gc_paused): it allocates
millions of short-lived tuples, none in a reference cycle, and every collection those
allocations trigger walks all the objects the process holds (a loaded PyTorch model's too).
On banded MobileNetV2 the collector took half of the order search's time.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import hashlib
import os
import pickle
import uuid
from collections import OrderedDict
from pathlib import Path

from tinygen.resources import cache_dir

MEMO_ENTRIES = 256
DISK_DIR = "searches"
DISK_ENTRIES = 20_000
PRUNE_EVERY = 512

_MEMO: dict[str, OrderedDict] = {}
_WRITES: dict[str, int] = {}


@functools.lru_cache(maxsize=None)
def code_version(path: str) -> str:
    """SHA-256 of a module's source (its __file__): part of the key of the searches it runs."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@contextlib.contextmanager
def gc_paused():
    """The cyclic garbage collector off for the block, then as it was (reference counting
    still frees everything the block drops)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def search_key(*inputs) -> str:
    """SHA-256 of the inputs (ints, strings and nested lists, tuples and dicts of them), pickled."""
    return hashlib.sha256(pickle.dumps(inputs, protocol=4)).hexdigest()


def memoized(search: str, key: str, run):
    """What run() returns (None included), kept under `search` and `key`: recalled where kept
    before, else run with the collector paused and remembered."""
    found = recall(search, key)
    if found is not None:
        return found[0]
    with gc_paused():
        result = run()
    remember(search, key, (result,))
    return result


def _disk(search: str) -> Path:
    return cache_dir() / DISK_DIR / search


def recall(search: str, key: str):
    """A copy of what `search` returned for the inputs hashed to `key` (in this process, else
    on disk), or None."""
    try:
        memo = _MEMO[search]
        memo.move_to_end(key)
        return copy.deepcopy(memo[key])
    except KeyError:            # never searched with these inputs here (or dropped meanwhile)
        pass
    path = _disk(search) / f"{key}.pickle"
    try:
        result = pickle.loads(path.read_bytes())
        os.utime(path)          # recently used: the last to be pruned
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None             # not searched with these inputs anywhere, or unreadable
    _keep(search, key, result)
    return copy.deepcopy(result)


def remember(search: str, key: str, result) -> None:
    _keep(search, key, result)
    folder = _disk(search)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{key}.{uuid.uuid4().hex[:8]}.tmp"
        tmp.write_bytes(pickle.dumps(result, protocol=4))
        os.replace(tmp, folder / f"{key}.pickle")
    except OSError:
        return                  # a read-only or full cache: this process still has it
    _WRITES[search] = _WRITES.get(search, 0) + 1
    if _WRITES[search] % PRUNE_EVERY == 0:
        _prune(folder)


def _keep(search: str, key: str, result) -> None:
    memo = _MEMO.setdefault(search, OrderedDict())
    memo[key] = copy.deepcopy(result)
    memo.move_to_end(key)
    while len(memo) > MEMO_ENTRIES:
        memo.popitem(last=False)


def _prune(folder: Path, limit: int = DISK_ENTRIES) -> None:
    """Remove the least recently used results beyond `limit` (another process's that vanish are skipped)."""
    entries = []
    for path in folder.glob("*.pickle"):
        try:
            entries.append((path.stat().st_mtime_ns, path))
        except FileNotFoundError:
            continue
    for _, path in sorted(entries)[:max(0, len(entries) - limit)]:
        path.unlink(missing_ok=True)


def forget() -> None:
    """Drop every result kept in this process (tests; the disk's stay)."""
    _MEMO.clear()


__all__ = ["DISK_DIR", "MEMO_ENTRIES", "code_version", "forget", "gc_paused", "memoized", "recall", "remember",
           "search_key"]
