"""A per-machine cache of measured kernel instructions and estimated cycles, for `--kernels auto`.

    cache = MeasurementCache.default()          # $TINYGEN_CACHE_DIR or ~/.cache/tinygen
    key = layer_key(graph, node, spec, board)   # metric="cycles": the estimated cycles' key
    cache.get(key)                              # None: never measured
    cache.put(key, 123_440, {"kernel": spec.name, ...})
    cache.put_unmeasured(key, context)          # asked for, but the build applied another kernel
    cache.unmeasured(key, context)              # True: measuring it again would not apply it either

A layer's executed instructions depend only on the layer, so the key is
everything that decides them: the stand-in machine, the compiler, its version
and flags, the kernel and the sources it is built from (for CMSIS-NN kernels,
the CMSIS-NN tree), the layer's parameter struct, tensor shapes and dtypes and
constants (specialized layers take build-time decisions on them), and the
tinygen version. A layer's estimated cycles (metric "cycles", the boards with a timing
model: tinygen.fit.standin) are keyed by the metric, the timing model's sources
(tinygen/cycles/*.py: cycles_model_hash) and the board's [timing] table besides, and
stored under "cycles": a changed model or board file prices them again, and the
instruction counts of the same layer stay apart. Change any of them and the entry is not found: it is
measured again. The cache is one JSON file, rewritten atomically and merged
with what other processes wrote meanwhile.

A candidate that a measuring build asked for and did not get (the measuring builds run
without lower_peak, tinygen.fit.autotune, so none does today) has no count; it is recorded as
not measured under the key plus that build's context (board, model, options and
the kernels asked for), so that the same build does not measure it again, while
another model or board holding the same layer still does.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from tinygen import __version__
from tinygen import cycles as cycles_package
from tinygen import kernels as kernels_package
from tinygen.board import Board
from tinygen.build.toolchain import standin_toolchain
from tinygen.ir import Graph, Node
from tinygen.kernels.table import KernelSpec
from tinygen.resources import cache_dir, firmware_path, kernel_paths

CACHE_FILE = "kernel-instructions.json"
FORMAT = 3         # 2: exact counts on the CMSDK stand-ins (the vernier reading); 3: on the M55 stand-in too
CMSIS_NN_SOURCES = (".c", ".h")
CMSIS_NN_FOLDERS = ("Include", "Source")      # the library itself, not its tests
ESP_NN_FOLDERS = ("include", "src")


@lru_cache(maxsize=None)
def compiler_version(cc: str) -> str:
    """The first line of `cc --version` ("" when it does not run)."""
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.splitlines()[0] if out else ""


def _hash_files(paths) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode())
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
    return h.hexdigest()


def sources_hash(spec: KernelSpec) -> str:
    """The kernel's C source, its headers and every kernel header (one may include
    another), the Python that generates kernel calls and parameters (tinygen/kernels),
    and the code laying out its packed constants (KernelSpec.pack), if any."""
    headers = kernel_paths("*.h")
    python = sorted(Path(kernels_package.__file__).parent.glob("*.py"))
    sources = [firmware_path(rel) for rel in (spec.source, *spec.calls, *spec.headers) if rel]
    h = _hash_files([*sources, *headers, *python])
    pack = getattr(spec, "pack", None)
    if pack is not None:
        try:
            code = inspect.getsource(pack)
        except (OSError, TypeError):
            code = repr(getattr(pack, "__code__", pack))
        h = hashlib.sha256((h + code).encode()).hexdigest()
    return h


@lru_cache(maxsize=8)
def _tree_hash(root: str, stamp: tuple, folders: tuple[str, ...] = CMSIS_NN_FOLDERS) -> str:
    files = sorted(p for folder in folders for p in (Path(root) / folder).rglob("*")
                   if p.suffix in CMSIS_NN_SOURCES and p.is_file())
    return _hash_files(files)


def cmsis_nn_hash(root: str | None, folders: tuple[str, ...] = CMSIS_NN_FOLDERS) -> str:
    """A CMSIS-NN tree's sources (its version, in effect); "" without one."""
    if not root or not Path(root).is_dir():
        return ""
    stamp = tuple((Path(root) / folder).stat().st_mtime_ns for folder in folders
                  if (Path(root) / folder).is_dir())
    return _tree_hash(str(Path(root).resolve()), stamp, folders)


def esp_nn_hash(root: str | None) -> str:
    """An ESP-NN tree's sources, likewise."""
    return cmsis_nn_hash(root, ESP_NN_FOLDERS)


@lru_cache(maxsize=1)
def cycles_model_hash() -> str:
    """The timing models' sources (tinygen/cycles/*.py): what prices the estimated cycles."""
    return _hash_files(sorted(Path(cycles_package.__file__).parent.glob("*.py")))


def layer_key(graph: Graph, node: Node, spec: KernelSpec, board: Board, cmsis_nn: str | None = None,
              esp_nn: str | None = None, metric: str = "instructions") -> dict:
    """Everything a layer's measured `metric` depends on (node names left out:
    the same layer in another model hits the same entry). The instructions' key holds no
    metric (the entries measured before cycles existed stay valid)."""
    toolchain = standin_toolchain(board)
    tensors = [graph.tensor(name) for name in (*node.inputs, *node.outputs)]
    return {
        "format": FORMAT,
        "tinygen": __version__,
        "machine": board.emulator["machine"] if board.emulator else None,
        "cc": toolchain.cc if toolchain else None,
        "cc_version": compiler_version(toolchain.cc) if toolchain else None,
        "cflags": list(toolchain.cflags) if toolchain else None,
        "kernel": spec.name,
        "sources": sources_hash(spec),
        "cmsis_nn": cmsis_nn_hash(cmsis_nn) if spec.backend == "cmsis-nn" else "",
        **({"esp_nn": esp_nn_hash(esp_nn)} if spec.backend == "esp-nn" else {}),
        "op": node.op,
        "kparams": node.attrs.get("kparams"),
        "tensors": [[list(t.shape), t.dtype, t.bits] for t in tensors],
        "scratch": node.scratch_bytes,
        # constants decide build-time verdicts (e.g. which requantization path a
        # specialized layer takes) and packed layouts, hence the instructions too
        "consts": consts_hash(graph, node),
        "specialize": bool(graph.meta.get("specialize", True)),
        **({"metric": "cycles", "cycles_model": cycles_model_hash(), "timing": board.raw.get("timing")}
           if metric == "cycles" else {}),
    }


def consts_hash(graph: Graph, node: Node) -> str:
    """The node's constant tensors (weights, bias, requantization constants), by role."""
    h = hashlib.sha256()
    for pset in node.params:
        for role in sorted(pset):
            data = graph.tensor(pset[role]).data
            h.update(role.encode())
            if data is not None:
                h.update(str(data.dtype).encode())
                h.update(np.ascontiguousarray(data).tobytes())
    return h.hexdigest()


def _field(key: dict) -> str:
    """The entry's field holding the count: the key's metric."""
    return key.get("metric", "instructions")


def key_digest(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


class MeasurementCache:
    """Measured instructions per layer key, in one JSON file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.entries = self._read()
        self.hits = 0
        self.misses = 0

    @classmethod
    def default(cls) -> "MeasurementCache":
        return cls(cache_dir() / CACHE_FILE)

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}                      # none yet, or unreadable: measure again
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), dict):
            return {}
        return data["entries"]

    def get(self, key: dict, context: dict | None = None) -> int | None:
        """The measured count (the key's metric); None if never measured (a miss) or, with `context`,
        recorded as not measured in that context (a hit: nothing to measure)."""
        entry = self.entries.get(key_digest(key))
        count = entry.get(_field(key)) if isinstance(entry, dict) else None
        if isinstance(count, int) and count >= 0:
            self.hits += 1
            return count
        if context is not None and self.unmeasured(key, context):
            self.hits += 1
            return None
        self.misses += 1
        return None

    def put(self, key: dict, count: int, about: dict | None = None) -> None:
        self.entries[key_digest(key)] = {_field(key): int(count), **(about or {})}

    def put_unmeasured(self, key: dict, context: dict, about: dict | None = None) -> None:
        """The kernel of `key` was asked for in a measuring build (`context`) that applied another."""
        self.entries[key_digest({**key, "unmeasured_in": context})] = {"not_measured": True, **(about or {})}

    def unmeasured(self, key: dict, context: dict) -> bool:
        entry = self.entries.get(key_digest({**key, "unmeasured_in": context}))
        return isinstance(entry, dict) and entry.get("not_measured") is True

    def save(self) -> None:
        """Write the file, keeping entries other processes added since it was read.
        A cache that cannot be written is left alone (the next build measures again)."""
        merged = {**self._read(), **self.entries}
        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".kernel-instructions.", dir=self.path.parent)
            with os.fdopen(fd, "w") as f:
                json.dump({"format": FORMAT, "entries": merged}, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            return
        self.entries = merged


__all__ = ["CACHE_FILE", "MeasurementCache", "cache_dir", "cmsis_nn_hash", "compiler_version", "consts_hash",
           "cycles_model_hash", "key_digest", "layer_key", "sources_hash"]
