"""The planning searches' results kept per process, by their inputs.

    key = search_key(count, bound, costs.preds, ...)     # every input the search reads
    hit = recall("reorder", key)                         # None: not searched with these inputs
    ... search ...
    remember("reorder", key, result)

passes/reorder.py's search over execution orders and passes/plan_memory.py's exact placement
are deterministic functions of plain numbers (node dependencies, buffer sizes, lifetimes,
scratch, in-place distances) and take seconds on banded graphs. The fit step
(tinygen/fit.py) compiles a model again for each kernel choice it tries, and a choice that
changes neither the order's nor the placement's inputs (the same scratch and sizes, other
weights in flash) used to search again. The key is the SHA-256 of every input the search
reads, pickled; any other number searches anew. Per process, at most MEMO_ENTRIES results per
search (the oldest dropped first); a result is a copy, never shared with a caller.
"""

from __future__ import annotations

import copy
import hashlib
import pickle
from collections import OrderedDict

MEMO_ENTRIES = 256

_MEMO: dict[str, OrderedDict] = {}


def search_key(*inputs) -> str:
    """SHA-256 of the inputs (ints, strings and nested lists, tuples and dicts of them), pickled."""
    return hashlib.sha256(pickle.dumps(inputs, protocol=4)).hexdigest()


def recall(search: str, key: str):
    """A copy of what `search` returned for the inputs hashed to `key`, or None."""
    try:
        memo = _MEMO[search]
        memo.move_to_end(key)
        return copy.deepcopy(memo[key])
    except KeyError:            # never searched with these inputs (or dropped meanwhile)
        return None


def remember(search: str, key: str, result) -> None:
    memo = _MEMO.setdefault(search, OrderedDict())
    memo[key] = copy.deepcopy(result)
    memo.move_to_end(key)
    while len(memo) > MEMO_ENTRIES:
        memo.popitem(last=False)


def forget() -> None:
    """Drop every kept result (tests)."""
    _MEMO.clear()


__all__ = ["MEMO_ENTRIES", "forget", "recall", "remember", "search_key"]
