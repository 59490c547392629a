"""TFLite Micro's compressed models: a .tflite written by TFLM's compressor
(`tflite_micro.tensorflow.lite.micro.compression`, its `compress`) keeps a compressed constant
as a uint8 tensor of encoded bytes and decodes it at run time with the CUSTOM operator
TFLM_DECODE, inserted before each consumer: its inputs are pairs (encoded tensor, ancillary
data tensor), its outputs the decoded tensors, one per pair, with the original's shape, type
and quantization.

The ancillary data tensor (uint8) begins with the 16-byte DECODE Common Metadata: byte 0 the
decode type (0 LUT, 1 Huffman, 2 pruning, 128-255 an application's own), byte 1 its version
(1). For LUT, byte 4 is the LUT version (1), byte 5 the parameters (bits 7-4 the channel axis
of the decoded tensor, 15 for one table; bits 2-0 the index width, 1-7), byte 6 the entries of
one value table (its stride); from byte 16 the value tables follow, one per channel along the
axis (or one), in the decoded tensor's type. The encoded tensor holds the indices, in the
decoded tensor's element order, packed most significant bit first. TFLM's DECODE kernel (the
tflite-micro package's interpreter runs it) reads no axis from the metadata: it takes one table
per quantization channel of the decoded tensor (per tensor where it has one scale), so that a
file whose metadata groups the tables otherwise (TFLM's compressor writes either) is refused:
TFLM would decode other values than its compressor encoded.

Here each decoded tensor becomes the constant it encodes: its data the table values the
indices name, with a Codebook (source "tflm") holding those indices and tables, so that what
stores constants packed keeps the compressed size; the DECODE operators leave the graph. What a
Codebook cannot hold (another decode type, a table that is not int8, tables grouped otherwise
than TFLM decodes them) is refused, naming the tensor."""

from __future__ import annotations

import math

import numpy as np

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.reader import TYPE_NAMES, TYPES, Reader
from tinygen.ir import Codebook

DECODE_CUSTOM = "TFLM_DECODE"
DCM_BYTES = 16                  # the DECODE Common Metadata header
DCM_VERSION = 1
LUT = 0                         # decode type
LUT_VERSION = 1
PER_TENSOR_AXIS = 0xF           # byte 5's axis field: one value table
DECODE_TYPES = {0: "LUT", 1: "Huffman", 2: "pruning"}
WHAT_IS_READ = ("tinygen reads TFLM's LUT decode type; the tflite-micro package's compressor writes LUT only "
                "(its Huffman and pruning compressors are stubs that refuse)")


def unpack_indices(encoded: np.ndarray, count: int, bits: int) -> np.ndarray:
    """`count` indices of `bits` bits from TFLM's LUT stream (most significant bit first)."""
    stream = np.unpackbits(np.asarray(encoded, np.uint8))[:count * bits].reshape(count, bits)
    return (stream @ (1 << np.arange(bits - 1, -1, -1))).astype(np.uint8)


def grouping(axis: int | None) -> str:
    return "one per tensor" if axis is None else f"one per channel along axis {axis}"


def lut_codebook(ancillary: np.ndarray, encoded: np.ndarray, shape: tuple[int, ...], channel_axis: int | None,
                 what: str) -> Codebook:
    """The Codebook of one int8 tensor compressed with TFLM's LUT; `channel_axis`: the axis of the
    decoded tensor's quantization channels (None: quantized per tensor), along which TFLM's DECODE
    takes its tables (it reads no axis from the metadata); `what` begins each error."""
    if ancillary[1] != DCM_VERSION:
        raise UnsupportedOpError(f"{what}DECODE metadata version {ancillary[1]}; tinygen reads version {DCM_VERSION}")
    if ancillary[4] != LUT_VERSION:
        raise UnsupportedOpError(f"{what}LUT version {ancillary[4]}; tinygen reads version {LUT_VERSION}")
    bits, axis, stride = int(ancillary[5] & 0x7), int(ancillary[5] >> 4), int(ancillary[6])
    if bits == 0 or stride == 0:
        raise ModelError(f"{what}LUT metadata gives {bits}-bit indices into tables of {stride} values")
    if axis == PER_TENSOR_AXIS:
        axis = None
    elif axis not in (0, len(shape) - 1):
        raise UnsupportedOpError(f"{what}LUT tables per channel along axis {axis} of shape {list(shape)}; "
                                 "TFLM's DECODE takes axis 0 or the last")
    if axis != channel_axis:
        raise UnsupportedOpError(f"{what}LUT tables {grouping(axis)}, but TFLM's DECODE takes {grouping(channel_axis)} "
                                 "(the tensor's quantization channels): it would decode other values than the "
                                 "compressor encoded", "compress the tensor "
                                 + ("per_tensor" if channel_axis is None else f"per_channel along axis {channel_axis}")
                                 + ", as it is quantized")
    groups = 1 if axis is None else shape[axis]
    tables = ancillary[DCM_BYTES:]
    if tables.size != groups * stride:
        raise ModelError(f"{what}value tables hold {tables.size} bytes, {groups} tables of {stride} expected")
    count = math.prod(shape)
    if encoded.size * 8 < count * bits:
        raise ModelError(f"{what}encoded tensor has {encoded.size} bytes, {count} indices of {bits} bits "
                         f"need {(count * bits + 7) // 8}")
    indices = unpack_indices(encoded, count, bits).reshape(shape)
    if indices.size and int(indices.max()) >= stride:
        raise ModelError(f"{what}index {int(indices.max())} past its value table of {stride} entries")
    width = min(stride, 1 << bits)      # entries past 2**bits no index reaches
    values = np.zeros((groups, 1 << bits), np.int8)
    values[:, :width] = tables.view(np.int8).reshape(groups, stride)[:, :width]
    return Codebook(bits, values, indices, axis=axis, source="tflm")


class DecodeOps(Reader):
    """read_decodes: the DECODE operators' outputs as constants (Reader.folded) with their
    codebooks (Reader.codebooks); the operators themselves in Reader.decoders, left out."""

    def read_decodes(self) -> None:
        for i in range(self.sg.OperatorsLength()):
            op = self.sg.Operators(i)
            if self.opname(op) != "CUSTOM" or self.custom_code(op) != DECODE_CUSTOM:
                continue
            ins = [int(x) for x in op.InputsAsNumpy()] if op.InputsLength() else []
            outs = [int(x) for x in op.OutputsAsNumpy()] if op.OutputsLength() else []
            self.where = f"operator {i} (CUSTOM ({DECODE_CUSTOM})): "
            if not outs or len(ins) != 2 * len(outs):
                raise ModelError(f"{self.where}{len(ins)} inputs for {len(outs)} outputs; DECODE takes an encoded "
                                 "tensor and its ancillary data per output")
            for k, out in enumerate(outs):
                codebook = self.decode(ins[2 * k], ins[2 * k + 1], out)
                self.codebooks[out] = codebook
                self.folded[out] = codebook.decode()
            self.decoders.add(i)
        if self.codebooks:
            self.graph.meta["tflm_compressed"] = len(self.codebooks)

    def decode(self, encoded: int, ancillary: int, out: int) -> Codebook:
        what = f"{self.where}tensor {self.tname(out)!r}: "
        data = {k: self.buffer(k) for k in (encoded, ancillary)}
        for k, role in ((encoded, "encoded"), (ancillary, "ancillary data")):
            if data[k] is None or data[k].dtype != np.uint8:
                raise ModelError(f"{what}its {role} tensor {self.tname(k)!r} is not a uint8 constant")
        meta = data[ancillary].reshape(-1)
        if meta.size < DCM_BYTES:
            raise ModelError(f"{what}ancillary data of {meta.size} bytes, shorter than DECODE's "
                             f"{DCM_BYTES}-byte header")
        kind = int(meta[0])
        if kind != LUT:
            name = DECODE_TYPES.get(kind, "an application's own" if kind >= 128 else "reserved")
            raise UnsupportedOpError(f"{what}compressed with DECODE type {kind} ({name})", WHAT_IS_READ)
        dtype = TYPES.get(self.tensor(out).Type(), (None,))[0]
        if dtype != "int8":
            raise UnsupportedOpError(f"{what}its LUT value table is "
                                     f"{TYPE_NAMES.get(self.tensor(out).Type(), self.tensor(out).Type())}; tinygen's "
                                     "codebooks hold int8 values", "compress the int8 weights only (leave biases "
                                     "and other tensors out of the compression spec)")
        q = self.tensor(out).Quantization()
        channel_axis = int(q.QuantizedDimension()) if q is not None and q.ScaleLength() > 1 else None
        return lut_codebook(meta, data[encoded].reshape(-1), self.shape(out), channel_axis, what)
