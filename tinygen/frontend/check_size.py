"""Refusing a model whose declared tensors no board could hold, before anything is allocated.

A model file declares its tensors' shapes; a few bytes can declare an input of 3000 x 3000 or a
convolution whose padding makes its output two million pixels wide, and everything after the
import (calibration samples, the float interpreter, the reference) would allocate them. The
limits come from the boards tinygen knows (boards/*.toml): an activation (an input, an
intermediate or an output, at least one byte per value, as int8) must fit the largest RAM region
of any board, a constant (weights, biases) the largest flash region; a calibration set (float32)
at most CALIB_SAMPLES samples of an input that fills that RAM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from tinygen.board import all_boards
from tinygen.errors import ModelError
from tinygen.ir import DTYPES, Graph, Kind

CALIB_SAMPLES = 64          # --calib random's RANDOM_SAMPLES
_HINT = "tinygen compiles models for microcontrollers: check the shapes the model file declares"


@dataclass(frozen=True)
class Limit:
    kind: str               # "ram" or "flash"
    size: int               # bytes
    where: str              # "esp32-s3-eye's psram", for messages

    def __str__(self) -> str:
        return f"{self.size:,} B ({self.where}, the largest {self.kind.upper() if self.kind == 'ram' else self.kind} " \
               "region of any board)"


@lru_cache(maxsize=None)
def limit(kind: str) -> Limit:
    """The largest memory region of `kind` ("ram" or "flash") of any board, linked or not (a
    PSRAM, an external flash)."""
    regions = [(int(r["size"]), f"{b.name}'s {r['name']}") for b in all_boards() for r in b.memory
               if r.get("kind") == kind]
    size, where = max(regions, default=(0, "no board"))
    return Limit(kind, size, where)


def shape_bytes(shape, bits: int = 8) -> int:
    """Bytes of a tensor of `shape` at `bits` per value, in Python integers (no overflow)."""
    return (math.prod(int(d) for d in shape) * bits + 7) // 8


def check_tensor(name: str, shape, kind: str = "ram", bits: int = 8, where: str = "") -> None:
    """Refuse a tensor of `shape` (`bits` per value) larger than the largest `kind` region."""
    size, most = shape_bytes(shape, bits), limit(kind)
    if size > most.size:
        what = "activation" if kind == "ram" else "constant"
        raise ModelError(f"{where}{what} {name!r} of shape {[int(d) for d in shape]} needs {size:,} B, more than "
                         f"{most}", _HINT)


def check_graph(graph: Graph, where: str = "") -> None:
    """Every tensor of an imported graph within the limits (activations at least one byte per
    value, as int8; constants as they are stored), and at least one output."""
    if not graph.outputs:
        raise ModelError(f"{where}the model has no outputs", "export the model with the tensors it computes as outputs")
    for t in graph.tensors.values():
        bits = DTYPES[t.dtype][0]
        if t.kind == Kind.CONST:
            check_tensor(t.name, t.shape, "flash", bits, where)
        else:
            check_tensor(t.name, t.shape, "ram", min(bits, 8), where)


def check_calibration(samples: int, sample_shape, which: str = "") -> None:
    """Refuse a calibration set (float32) larger than CALIB_SAMPLES samples of an input as large
    as the largest RAM region, before it is made or converted."""
    size, most = shape_bytes((samples, *sample_shape), 32), CALIB_SAMPLES * 4 * limit("ram").size
    if size > most:
        raise ModelError(f"the calibration set{which} of {samples} samples of {[int(d) for d in sample_shape]} needs "
                         f"{size:,} B as float32, more than {most:,} B ({CALIB_SAMPLES} float32 samples of an input "
                         f"as large as {limit('ram').where}, the largest RAM region of any board)",
                         "calibrate on fewer samples (100-500 representative inputs is typical)")
