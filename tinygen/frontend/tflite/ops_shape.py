"""TFLite operators that move elements without changing them, on the element types TFLite
Micro runs each on (MOVE_TYPES): EXPAND_DIMS (a reshape), PACK (a concatenation of reshapes),
UNPACK, SPLIT, SPLIT_V, REVERSE_V2, BROADCAST_TO, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND (a pad first where it pads) and RESIZE_NEAREST_NEIGHBOR
(where the rows and columns it picks repeat regularly) as strided copies (IR strided_copy:
tinygen.ref.moves), GATHER, GATHER_ND and EMBEDDING_LOOKUP as gathers. The bytes are copied
whatever the two quantizations, as TFLite Micro does. Constant outputs: ops_fold."""

from __future__ import annotations

import math

import numpy as np
import tflite
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.ops_dilated import DilatedConvs
from tinygen.frontend.tflite.ops_fold import FoldOps
from tinygen.frontend.tflite.reader import TYPE_NAMES
from tinygen.ir import Kind, Node, Tensor

_F32, _I8, _I16, _I32 = TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32
# the element types TFLite Micro's kernel of each operator takes (its Prepare refuses the others)
MOVE_TYPES = {
    "EXPAND_DIMS": (_F32, _I8, _I16), "PACK": (_F32, _I8, _I16, _I32), "UNPACK": (_F32, _I8, _I16, _I32),
    "SPLIT": (_F32, _I8, _I16, _I32), "SPLIT_V": (_F32, _I8, _I16, _I32), "REVERSE_V2": (_F32, _I8, _I16, _I32),
    "BROADCAST_TO": (_F32, _I8, _I16, _I32), "DEPTH_TO_SPACE": (_F32, _I8), "SPACE_TO_DEPTH": (_F32, _I8),
    "BATCH_TO_SPACE_ND": (_F32, _I8), "SPACE_TO_BATCH_ND": (_F32, _I8),
    "RESIZE_NEAREST_NEIGHBOR": (_F32, _I8, _I16), "GATHER": (_F32, _I8), "GATHER_ND": (_F32, _I8),
    "EMBEDDING_LOOKUP": (_F32, _I8), "DYNAMIC_UPDATE_SLICE": (_F32, _I8, _I16, _I32),
}
# operators with several outputs (Importer.operator hands them all to the handler)
MULTI_OUTPUT_OPS = ("UNPACK", "SPLIT", "SPLIT_V")


def _strides(shape) -> list[int]:
    """Elements between neighbours along each dimension of a row-major tensor."""
    return [math.prod(shape[d + 1:]) for d in range(len(shape))]


class ShapeOps(FoldOps, DilatedConvs):
    """op_expand_dims, op_pack, op_unpack, op_split, op_split_v, op_reverse_v2, op_broadcast_to,
    op_depth_to_space, op_space_to_depth, op_batch_to_space_nd, op_space_to_batch_nd,
    op_resize_nearest_neighbor, op_gather, op_gather_nd, op_embedding_lookup."""

    def _moved(self, opname: str, *indices: int) -> None:
        """Refuse an element type TFLite Micro's kernel refuses, naming it."""
        allowed = MOVE_TYPES[opname]
        for k in indices:
            if self.tensor(k).Type() not in allowed:
                names = ", ".join(TYPE_NAMES[t] for t in allowed)
                raise UnsupportedOpError(f"{self.where}{opname} on {TYPE_NAMES.get(self.tensor(k).Type(), '?')} "
                                         f"tensor {self.tname(k)!r}: TFLite Micro runs it on {names} only "
                                         "(refuses it too)")

    def _copy(self, i, x: str, out, source, offset: int, walk, shape=None) -> Node:
        attrs = {"offset": int(offset), "walk": tuple((int(n), int(s)) for n, s in walk)}
        return self.add_node(i, "strided_copy", [x], out, attrs, {}, source, shape)

    def _temp(self, like: str, prefix: str, shape) -> str:
        """A new activation of `like`'s type and quantization (between two nodes of one operator)."""
        t = self.graph.tensors[like]
        name = self.graph.unique_name(prefix)
        self.graph.add_tensor(Tensor(name, tuple(shape), t.dtype, Kind.ACTIVATION, qparams=t.qparams))
        return name

    def _axis(self, axis: int, rank: int) -> int:
        if not -rank <= axis < rank:
            raise ModelError(f"{self.where}axis {axis} out of range for a {rank}-D tensor")
        return axis % rank

    # -- reshapes and concatenation ------------------------------------------------------------
    def op_expand_dims(self, i, op, ins, out, source):
        self._moved("EXPAND_DIMS", ins[0])
        return self._alias(f"expand_dims_{i}", self.activation(ins[0]), out, source)

    def op_pack(self, i, op, ins, out, source):
        self._moved("PACK", *ins)
        axis = self._axis(self.options(op, tflite.PackOptions).Axis(), len(self.shape(out)))
        pieces = []
        for k in ins:
            x = self.activation(k)
            shape = list(self.graph.tensors[x].shape)
            if self.qparams(k) is not None and not self.qparams(k).same_as(self.qparams(out)):
                raise UnsupportedOpError(f"{self.where}input {self.tname(k)!r} is quantized with {self.qparams(k)!r}, "
                                         f"the output with {self.qparams(out)!r}; PACK needs one quantization")
            name = self._temp(x, f"pack_{i}_in", shape[:axis] + [1] + shape[axis:])
            self.graph.nodes.append(Node(name, "reshape", [x], [name], {}, [{}], source))
            pieces.append(name)
        return self.add_node(i, "concat", pieces, out, {"axis": axis}, {}, source)

    # -- unpacking and splitting (several outputs) -------------------------------------------
    def multi_output(self, i, opname: str, op, ins, outs, source) -> list[Node]:
        """UNPACK, SPLIT, SPLIT_V: one strided copy per output, of consecutive pieces along an axis."""
        if opname == "UNPACK":
            x_index, axis = ins[0], self.options(op, tflite.UnpackOptions).Axis()
        elif opname == "SPLIT":
            x_index, axis = ins[1], self._scalar(ins[0], "axis")
        else:
            x_index, axis = ins[0], self._scalar(ins[2], "axis")
        self._moved(opname, x_index)
        x = self.activation(x_index)
        shape = self.graph.tensors[x].shape
        axis = self._axis(axis, len(shape))
        n, inner, outer = shape[axis], math.prod(shape[axis + 1:]), math.prod(shape[:axis])
        if opname == "UNPACK":
            sizes = [1] * n
        elif opname == "SPLIT":
            if n % len(outs):
                raise ModelError(f"{self.where}{n} elements along axis {axis} do not split into {len(outs)}")
            sizes = [n // len(outs)] * len(outs)
        else:
            sizes = [int(s) for s in self._ints(ins[1], "size_splits").reshape(-1)]
            if sizes.count(-1) == 1:
                sizes[sizes.index(-1)] = n - sum(s for s in sizes if s != -1)
        if len(sizes) != len(outs) or sum(sizes) != n or min(sizes) < 1:
            raise ModelError(f"{self.where}pieces {sizes} of axis {axis} ({n} elements) for {len(outs)} outputs")
        nodes, start = [], 0
        for size, out in zip(sizes, outs):
            piece = shape[:axis] + (size,) + shape[axis + 1:]
            node = self._copy(i, x, out, source, start * inner, [(outer, n * inner), (size * inner, 1)],
                              piece if opname != "UNPACK" else self.shape(out))
            nodes.append(node)
            start += size
        return nodes

    def _scalar(self, index: int, role: str) -> int:
        v = self._ints(index, role).reshape(-1)
        if v.size != 1:
            raise ModelError(f"{self.where}{role} has {v.size} values, expected one")
        return int(v[0])

    # -- reversal and broadcast ------------------------------------------------------------------
    def op_reverse_v2(self, i, op, ins, out, source):
        self._moved("REVERSE_V2", ins[0])
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        axes = sorted(self._axis(int(a), len(shape)) for a in self._ints(ins[1], "axis").reshape(-1))
        if any(b != a + 1 for a, b in zip(axes, axes[1:])):
            raise UnsupportedOpError(f"{self.where}REVERSE_V2 of axes {axes}, not neighbours: TFLite Micro refuses it "
                                     "too (\"Non-contiguous axes\")")
        strides = _strides(shape)
        offset = sum((shape[d] - 1) * strides[d] for d in axes)
        walk = [(n, -s if d in axes else s) for d, (n, s) in enumerate(zip(shape, strides))]
        return self._copy(i, x, out, source, offset, walk)

    def op_broadcast_to(self, i, op, ins, out, source):
        self._moved("BROADCAST_TO", ins[0])
        if ins[1] in self.folded or not self.is_const(ins[1]):
            raise UnsupportedOpError(f"{self.where}BROADCAST_TO to a shape computed by the model: TFLite Micro refuses "
                                     "it too (its shape must be a constant)")
        x = self.activation(ins[0])
        target = self.shape(out)
        shape = (1,) * (len(target) - len(self.graph.tensors[x].shape)) + self.graph.tensors[x].shape
        if len(shape) != len(target) or any(n not in (1, t) for n, t in zip(shape, target)):
            raise ModelError(f"{self.where}cannot broadcast {list(self.graph.tensors[x].shape)} to {list(target)}")
        walk = [(t, 0 if n == 1 else s) for n, t, s in zip(shape, target, _strides(shape))]
        return self._copy(i, x, out, source, 0, walk)

    # -- depth / space / batch rearrangements ------------------------------------------------------
    def _block(self, op, cls) -> int:
        bs = self.options(op, cls).BlockSize()
        if bs < 1:
            raise ModelError(f"{self.where}block size {bs}")
        return bs

    def op_depth_to_space(self, i, op, ins, out, source):
        self._moved("DEPTH_TO_SPACE", ins[0])
        x = self.activation(ins[0])
        n, h, w, c = self._nhwc(self.graph.tensors[x].shape)
        bs = self._block(op, tflite.DepthToSpaceOptions)
        if c % (bs * bs):
            raise ModelError(f"{self.where}{c} channels do not divide by block {bs}x{bs}")
        co = c // (bs * bs)
        walk = [(n, h * w * c), (h, w * c), (bs, bs * co), (w, c), (bs, co), (co, 1)]
        return self._copy(i, x, out, source, 0, walk, (n, h * bs, w * bs, co))

    def op_space_to_depth(self, i, op, ins, out, source):
        self._moved("SPACE_TO_DEPTH", ins[0])
        x = self.activation(ins[0])
        n, h, w, c = self._nhwc(self.graph.tensors[x].shape)
        bs = self._block(op, tflite.SpaceToDepthOptions)
        if h % bs or w % bs:
            raise ModelError(f"{self.where}{h}x{w} does not divide by block {bs}x{bs}")
        walk = [(n, h * w * c), (h // bs, bs * w * c), (w // bs, bs * c), (bs, w * c), (bs, c), (c, 1)]
        return self._copy(i, x, out, source, 0, walk, (n, h // bs, w // bs, bs * bs * c))

    def _spatial(self, ins, role: str):
        """(x, its shape as [N, H, W, C] (a 3-D [N, H, C] with W 1), block (bh, bw), the [2, 2]
        paddings or crops) of SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND."""
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        if len(shape) not in (3, 4):
            raise UnsupportedOpError(f"{self.where}a {len(shape)}-D input (TFLite Micro takes 3-D or 4-D)")
        spatial = len(shape) - 2
        block = [int(b) for b in self._ints(ins[1], "block shape").reshape(-1)]
        pads = self._ints(ins[2], role).reshape(-1, 2)
        if len(block) != spatial or pads.shape != (spatial, 2) or min(block) < 1 or np.any(pads < 0):
            raise ModelError(f"{self.where}block shape {block} and {role} {pads.tolist()} for input {list(shape)}")
        if spatial == 1:
            shape, block, pads = shape[:2] + (1,) + shape[2:], block + [1], np.vstack([pads, [[0, 0]]])
        return x, tuple(shape), tuple(block), [(int(a), int(b)) for a, b in pads]

    def op_space_to_batch_nd(self, i, op, ins, out, source):
        self._moved("SPACE_TO_BATCH_ND", ins[0])
        x, (n, h, w, c), (bh, bw), ((pt, pb), (pl, pr)) = self._spatial(ins, "paddings")
        if len(self.graph.tensors[x].shape) == 4 and self.dilated_fold(i, ins, out, (bh, bw), ((pt, pb), (pl, pr)),
                                                                       (n, h, w, c)):
            return None         # the convolution after it is a dilated one (ops_dilated)
        hp, wp = h + pt + pb, w + pl + pr
        if hp % bh or wp % bw:
            raise ModelError(f"{self.where}padded {hp}x{wp} does not divide by block {bh}x{bw}")
        if pt or pb or pl or pr:
            # the output's zero point (real 0), as LiteRT pads: TFLite Micro's kernel never sets the
            # pad value it reads (its output_offset), so its padding holds whatever that memory held
            padded = self._temp(x, f"space_to_batch_{i}_pad", (n, hp, wp, c))
            q = self.qparams(out)
            attrs = {"paddings": ((0, 0), (pt, pb), (pl, pr), (0, 0)),
                     "pad_value": 0.0 if q is None else int(q.zero_point[0])}
            self.graph.nodes.append(Node(padded, "pad", [self._as4(x, (n, h, w, c), i, source)], [padded], attrs,
                                         [{}], source))
            x = padded
        walk = [(bh, wp * c), (bw, c), (n, hp * wp * c), (hp // bh, bh * wp * c), (wp // bw, bw * c), (c, 1)]
        return self._copy(i, x, out, source, 0, walk, self.shape(out))

    def _as4(self, x: str, shape, i, source) -> str:
        """x as the 4-D shape (a 3-D [N, H, C] as [N, H, 1, C])."""
        if self.graph.tensors[x].shape == tuple(shape):
            return x
        name = self._temp(x, f"reshape_{i}", shape)
        self.graph.nodes.append(Node(name, "reshape", [x], [name], {}, [{}], source))
        return name

    def op_batch_to_space_nd(self, i, op, ins, out, source):
        self._moved("BATCH_TO_SPACE_ND", ins[0])
        x, (b, h, w, c), (bh, bw), ((ct, cb), (cl, cr)) = self._spatial(ins, "crops")
        if b % (bh * bw):
            raise ModelError(f"{self.where}batch {b} does not divide by block {bh}x{bw}")
        n = b // (bh * bw)
        hu, wu = h * bh, w * bw
        if ct + cb >= hu or cl + cr >= wu:
            raise ModelError(f"{self.where}crops {[[ct, cb], [cl, cr]]} leave nothing of {hu}x{wu}")
        walk = [(n, h * w * c), (h, w * c), (bh, bw * n * h * w * c), (w, c), (bw, n * h * w * c), (c, 1)]
        if not (ct or cb or cl or cr):
            return self._copy(i, x, out, source, 0, walk, self.shape(out))
        whole = self._temp(x, f"batch_to_space_{i}_whole", (n, hu, wu, c))
        self.graph.nodes.append(Node(whole, "strided_copy", [x], [whole], {"offset": 0, "walk": tuple(walk)}, [{}],
                                     source))
        crop = [(n, hu * wu * c), (hu - ct - cb, wu * c), (wu - cl - cr, c), (c, 1)]
        return self._copy(i, whole, out, source, ct * wu * c + cl * c, crop, self.shape(out))

    # -- writing into a tensor ----------------------------------------------------------------------
    def op_dynamic_update_slice(self, i, op, ins, out, source):
        self._moved("DYNAMIC_UPDATE_SLICE", ins[0], ins[1])
        operand, update = self.activation(ins[0]), self.activation(ins[1])
        shape, piece = self.graph.tensors[operand].shape, self.graph.tensors[update].shape
        if len(piece) != len(shape) or any(u > n for u, n in zip(piece, shape)):
            raise ModelError(f"{self.where}update {list(piece)} does not fit in the operand {list(shape)}")
        if self.tensor(ins[2]).Type() != _I32:
            raise UnsupportedOpError(f"{self.where}start indices of type {TYPE_NAMES.get(self.tensor(ins[2]).Type())}: "
                                     "tinygen takes INT32")
        if self.is_const(ins[2]):
            start = tuple(int(v) for v in self.buffer(ins[2]).reshape(-1))
            return self.add_node(i, "dynamic_update_slice", [operand, update], out, {"start": start}, {}, source)
        return self.add_node(i, "dynamic_update_slice", [operand, update, self.activation(ins[2])], out,
                             {"start": None}, {}, source)

    # -- nearest-neighbour resize ----------------------------------------------------------------
    def op_resize_nearest_neighbor(self, i, op, ins, out, source):
        self._moved("RESIZE_NEAREST_NEIGHBOR", ins[0])
        opts = self.options(op, tflite.ResizeNearestNeighborOptions)
        x = self.activation(ins[0])
        n, h, w, c = self._nhwc(self.graph.tensors[x].shape)
        size = [int(s) for s in self._ints(ins[1], "size").reshape(-1)]
        if len(size) != 2 or tuple(size) != self.shape(out)[1:3]:
            raise ModelError(f"{self.where}size {size} does not match the output {list(self.shape(out))}")
        rows = self._regular(nearest_map(h, size[0], opts.AlignCorners(), opts.HalfPixelCenters()), "rows")
        cols = self._regular(nearest_map(w, size[1], opts.AlignCorners(), opts.HalfPixelCenters()), "columns")
        (r0, rn, rs, rf), (c0, cn, cs, cf) = rows, cols
        walk = [(n, h * w * c), (rn, rs * w * c), (rf, 0), (cn, cs * c), (cf, 0), (c, 1)]
        return self._copy(i, x, out, source, r0 * w * c + c0 * c, walk, self.shape(out))

    def _regular(self, picks: np.ndarray, what: str) -> tuple[int, int, int, int]:
        """(first, runs, step, repeat) where the picked input indices are first + (k // repeat) *
        step for output index k (whole-factor up- and downsampling)."""
        repeat = int(np.argmax(picks != picks[0])) or len(picks)
        runs = len(picks) // repeat
        step = int(picks[repeat] - picks[0]) if runs > 1 else 0
        want = picks[0] + (np.arange(len(picks)) // repeat) * step
        if len(picks) % repeat or not np.array_equal(picks, want):
            raise UnsupportedOpError(f"{self.where}the input {what} it picks ({picks[:8].tolist()}...) do not repeat "
                                     "regularly; tinygen resizes by whole factors",
                                     "resize by a whole factor (2x, 3x, ... up or down)")
        return int(picks[0]), runs, step, repeat


def nearest_map(size_in: int, size_out: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """The input index each output index reads: TFLite's GetNearestNeighbor, in float32 as it
    computes (the scale a float32 quotient, rounding half away from zero with align_corners)."""
    if align_corners and size_out > 1:
        scale = np.float32(size_in - 1) / np.float32(size_out - 1)
    else:
        scale = np.float32(size_in) / np.float32(size_out)
    at = (np.arange(size_out, dtype=np.float32) + np.float32(0.5 if half_pixel else 0.0)) * scale
    picked = np.floor(at.astype(np.float64) + 0.5) if align_corners else np.floor(at)   # at >= 0
    picked = np.minimum(picked.astype(np.int64), size_in - 1)
    return np.maximum(picked, 0) if half_pixel else picked
