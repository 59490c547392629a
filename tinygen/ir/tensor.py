"""Tensors of the graph IR.

Shapes are NHWC for 4-D activations (batch first, channels last: the layout
microcontroller kernels want) and [rows, features] for 2-D ones. Constant
tensors (weights, biases, requantization parameters) carry their data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

# dtype name -> (bits of storage per element, numpy dtype used to hold values)
DTYPES: dict[str, tuple[int, type]] = {
    "float32": (32, np.float32),
    "int64": (64, np.int64),           # the 16x8 MAC kernels' biases
    "int32": (32, np.int32),
    "int16": (16, np.int16),
    "int8": (8, np.int8),
    "uint8": (8, np.uint8),
    "uint32": (32, np.uint32),
    # plain (unquantized) integers of TFLite Micro's signal library ops (an audio front end)
    "uint16": (16, np.uint16),
    "uint64": (64, np.uint64),
    # a comparison's result, a SELECT_V2's condition: one byte per element, 0 or 1 (TFLite's bool)
    "bool": (8, np.bool_),
    # +1/-1 activations packed 32 channels to a word (firmware/kernels/lowbit/LOWBIT.md): held
    # as the packed words' bytes, ceil(C / 32) * 4 per pixel
    "b1": (1, np.int8),
}


def packed_b1_bytes(channels: int) -> int:
    """Bytes of one pixel's packed binary channels: whole 32-bit words."""
    return (channels + 31) // 32 * 4


class Kind(str, Enum):
    INPUT = "input"        # graph input, lives in the arena
    OUTPUT = "output"      # graph output, lives in the arena
    ACTIVATION = "activation"  # intermediate, lives in the arena
    CONST = "const"        # weights and parameters, live in flash


@dataclass
class QParams:
    """Affine quantization: real = scale * (q - zero_point).

    `scale` and `zero_point` have one entry (per-tensor) or one per slice along
    `axis` (per-channel). Scales are float32, as in the TFLite schema, so that
    derived multipliers match TFLite bit for bit.
    """

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int | None = None

    def __post_init__(self):
        self.scale = np.atleast_1d(np.asarray(self.scale, dtype=np.float32))
        self.zero_point = np.atleast_1d(np.asarray(self.zero_point, dtype=np.int64))
        if self.scale.shape != self.zero_point.shape:
            raise ValueError("scale and zero_point must have the same length")

    @property
    def per_channel(self) -> bool:
        return self.axis is not None

    def same_as(self, other: "QParams | None") -> bool:
        return (
            other is not None
            and self.axis == other.axis
            and np.array_equal(self.scale, other.scale)
            and np.array_equal(self.zero_point, other.zero_point)
        )

    def __repr__(self) -> str:
        if self.per_channel:
            return f"per-channel(axis={self.axis}, n={self.scale.size})"
        return f"scale={float(self.scale[0]):.6g} zp={int(self.zero_point[0])}"


@dataclass
class Codebook:
    """Weight sharing (Deep Compression's trained quantization; TFLite Micro's LUT
    compression): every element of a constant is an index into a small table of values.

    `values` holds the table, one row per group: shape [1, 2**bits] for one table per
    tensor, or [n, 2**bits] for one per slice along `axis` (the output channels). Rows may
    hold fewer distinct values than 2**bits; unused entries are 0. `indices` (uint8) has
    the tensor's shape. The tensor's `data` always equals `decode()`, so everything that
    reads `data` (the reference, the int8 kernels) is unaffected; what stores the
    constant packed (bits per index plus the table) reads `indices` and `values`.
    `source` says who made it: "cluster" (tinygen's --weights lut), "tflm" (a
    compressed .tflite's DECODE), "nn" (tinygen.nn's trained centroids).
    """

    bits: int
    values: np.ndarray
    indices: np.ndarray
    axis: int | None = None
    source: str = "cluster"

    def __post_init__(self):
        self.values = np.asarray(self.values)
        self.indices = np.asarray(self.indices, dtype=np.uint8)
        if self.values.ndim != 2 or self.values.shape[1] != 1 << self.bits:
            raise ValueError(f"codebook values must be [groups, {1 << self.bits}], not {list(self.values.shape)}")
        groups = 1 if self.axis is None else self.indices.shape[self.axis]
        if self.values.shape[0] != groups:
            raise ValueError(f"codebook has {self.values.shape[0]} tables for {groups} groups")
        if self.indices.size and int(self.indices.max()) >= 1 << self.bits:
            raise ValueError(f"codebook index {int(self.indices.max())} does not fit {self.bits} bits")

    def decode(self) -> np.ndarray:
        """The values the indices stand for, in the tensor's shape."""
        if self.axis is None:
            return self.values[0][self.indices]
        idx = np.moveaxis(self.indices, self.axis, 0)
        out = np.take_along_axis(self.values, idx.reshape(idx.shape[0], -1), axis=1).reshape(idx.shape)
        return np.moveaxis(out, 0, self.axis)

    @property
    def table_bytes(self) -> int:
        return int(self.values.size * self.values.dtype.itemsize)

    def packed_bytes(self) -> int:
        """Storage of the packed indices plus the tables."""
        return (self.indices.size * self.bits + 7) // 8 + self.table_bytes


# The packed constant the shared-weight kernels read (firmware/kernels/lut/LUT.md, written by
# tinygen.quant.pack_lut): 3 header words (bits, tables, words per row), the tables, the rows.
LUT_HEADER_WORDS = 3


def lut_words(packed: np.ndarray, rows: int) -> int:
    """Words of the LUT constant at the start of `packed`, of `rows` rows, from its header (a
    kernel may keep other words after it: tinygen.kernels.depthwise_narrow_lut)."""
    bits, groups, words = (int(v) for v in np.asarray(packed[:LUT_HEADER_WORDS], np.uint32))
    return LUT_HEADER_WORDS + ((groups << bits) + 3) // 4 + rows * words


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    kind: Kind = Kind.ACTIVATION
    bits: int | None = None          # value bit width; defaults to the dtype's
    qparams: QParams | None = None
    data: np.ndarray | None = field(default=None, repr=False)
    # float range observed during calibration (before quantization)
    calib_range: tuple[float, float] | None = None
    # weight sharing: the constant's elements as indices into a table (Codebook); None = plain
    codebook: Codebook | None = field(default=None, repr=False)

    def __post_init__(self):
        self.shape = tuple(int(d) for d in self.shape)
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown dtype {self.dtype!r}")
        if self.bits is None:
            self.bits = DTYPES[self.dtype][0]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        """Storage bytes: constants packed at their bit width; activations one element of
        their dtype each (a k-bit int8 activation takes a byte), b1 whole words per pixel."""
        if self.dtype == "b1":
            return self.size // self.shape[-1] * packed_b1_bytes(self.shape[-1])
        bits = self.bits if self.is_const else DTYPES[self.dtype][0]
        return (self.size * bits + 7) // 8

    @property
    def np_dtype(self) -> np.dtype:
        """The numpy type one element is held in (a packed b1 tensor: its bytes, int8)."""
        return np.dtype(DTYPES[self.dtype][1])

    @property
    def is_const(self) -> bool:
        return self.kind is Kind.CONST

    @property
    def in_arena(self) -> bool:
        return self.kind is not Kind.CONST

    def describe(self) -> str:
        q = f" {self.qparams!r}" if self.qparams is not None else ""
        bits = "" if self.bits == DTYPES[self.dtype][0] else f"/{self.bits}b"
        return f"{self.dtype}{bits}{list(self.shape)}{q}"
