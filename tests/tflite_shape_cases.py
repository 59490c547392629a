"""The .tflite cases of the data-movement operators (registered in tflite_op_cases.CASES, which
imports this module): unpacking, splitting, packing, reversing, broadcasting, the depth / space
and batch / space rearrangements, nearest resizes, gathers and the shape arithmetic folded at
import (tinygen/frontend/tflite/ops_shape.py, ops_gather.py, ops_fold.py), in int8, int16 and
float32 as TFLite Micro runs each. Each strided copy is tg_strided_copy, each gather tg_gather,
whatever the element type."""

from __future__ import annotations

import numpy as np

from tflite_op_cases import LITERT_DIFFERS, act, case, int32s
from tflite_op_cases_wide import f32, s16

COPY, GATHER, CONCAT = "tg_strided_copy", "tg_gather", "tg_concat_s8"


def like(b, x: int, name: str, shape, dtype: str | None = None) -> int:
    """A tensor of x's type and quantization."""
    t = b.tensors[x]
    dtype = dtype or {v: k for k, v in _DTYPES.items()}[t.ttype]
    if t.scale is None:
        return b.tensor(name, shape, dtype)
    return b.tensor(name, shape, dtype, scale=t.scale, zero_point=t.zero_point)


def _types():
    from tflite.TensorType import TensorType
    return {"int8": TensorType.INT8, "int16": TensorType.INT16, "float32": TensorType.FLOAT32,
            "int32": TensorType.INT32}


_DTYPES = _types()


def split(b, x: int, axis: int, shapes) -> list[int]:
    outs = [like(b, x, f"{b.tensors[x].name}_part{k}", s) for k, s in enumerate(shapes)]
    b.op("SPLIT", [int32s(b, f"{b.tensors[x].name}_axis", [axis]), x], outs, "SplitOptions", NumSplits=len(outs))
    return outs


def split_v(b, x: int, axis: int, sizes, shapes) -> list[int]:
    outs = [like(b, x, f"{b.tensors[x].name}_piece{k}", s) for k, s in enumerate(shapes)]
    b.op("SPLIT_V", [x, int32s(b, f"{b.tensors[x].name}_sizes", sizes), int32s(b, f"{b.tensors[x].name}_ax", [axis])],
         outs, "SplitVOptions", NumSplits=len(outs))
    return outs


def concat(b, xs, name: str, shape, axis: int) -> int:
    y = like(b, xs[0], name, shape)
    b.op("CONCATENATION", xs, [y], "ConcatenationOptions", Axis=axis)
    return y


def resize(b, x: int, name: str, shape, align: bool = False, half: bool = False) -> int:
    y = like(b, x, name, shape)
    b.op("RESIZE_NEAREST_NEIGHBOR", [x, int32s(b, f"{name}_size", shape[1:3])], [y], "ResizeNearestNeighborOptions",
         AlignCorners=align, HalfPixelCenters=half)
    return y


def reverse(b, x: int, name: str, axes) -> int:
    y = like(b, x, name, b.tensors[x].shape)
    b.op("REVERSE_V2", [x, int32s(b, f"{name}_axes", axes)], [y], "ReverseV2Options")
    return y


@case("move_split_pack_s8", COPY, COPY, CONCAT, COPY, COPY, CONCAT)
def _(b, rng):
    x = act(b, rng, "x", [1, 6, 4, 8])
    lo, hi = split(b, x, 3, [[1, 6, 4, 4]] * 2)
    packed = like(b, x, "packed", [1, 2, 6, 4, 4])
    b.op("PACK", [hi, lo], [packed], "PackOptions", ValuesCount=2, Axis=1)
    flat = like(b, x, "flat", [1, 12, 4, 4])
    b.op("RESHAPE", [packed, int32s(b, "flat_shape", [1, 12, 4, 4])], [flat], "ReshapeOptions")
    c, d = split_v(b, flat, 1, [5, -1], [[1, 5, 4, 4], [1, 7, 4, 4]])
    return [x], [concat(b, [d, c], "y", [1, 12, 4, 4], 1)]


@case("move_unpack_reverse_s8", COPY, COPY, COPY, CONCAT, COPY)
def _(b, rng):
    x = act(b, rng, "x", [1, 3, 5, 4])
    rows = [like(b, x, f"row{k}", [1, 5, 4]) for k in range(3)]
    b.op("UNPACK", [x], rows, "UnpackOptions", Num=3, Axis=1)
    packed = like(b, x, "packed", [1, 5, 3, 4])
    b.op("PACK", rows, [packed], "PackOptions", ValuesCount=3, Axis=2)
    return [x], [reverse(b, packed, "y", [-2, 1])]


@case("move_depth_space_s8", COPY, COPY)
def _(b, rng):
    x = act(b, rng, "x", [1, 4, 6, 8])
    deep = like(b, x, "deep", [1, 2, 3, 32])
    b.op("SPACE_TO_DEPTH", [x], [deep], "SpaceToDepthOptions", BlockSize=2)
    y = act(b, rng, "y", [1, 8, 12, 2])
    b.op("DEPTH_TO_SPACE", [deep], [y], "DepthToSpaceOptions", BlockSize=4)
    return [x], [y]


@case("move_batch_space_s8", COPY, COPY, COPY)
def _(b, rng):
    """Unpadded: TFLite Micro's SPACE_TO_BATCH_ND pads with an unset value (tests/frontend/test_tflite_moves.py)."""
    x = act(b, rng, "x", [1, 6, 8, 3])
    batched = like(b, x, "batched", [4, 3, 4, 3])
    b.op("SPACE_TO_BATCH_ND", [x, int32s(b, "block", [2, 2]), int32s(b, "pads", [[0, 0], [0, 0]])], [batched],
         "SpaceToBatchNDOptions")
    y = like(b, x, "y", [1, 5, 7, 3])
    b.op("BATCH_TO_SPACE_ND", [batched, int32s(b, "block2", [2, 2]), int32s(b, "crops", [[0, 1], [1, 0]])], [y],
         "BatchToSpaceNDOptions")
    return [x], [y]


@case("move_broadcast_resize_s8", COPY, COPY, COPY, COPY)
def _(b, rng):
    x = act(b, rng, "x", [1, 1, 5, 4])
    wide = like(b, x, "wide", [1, 3, 5, 4])
    b.op("BROADCAST_TO", [x, int32s(b, "to", [1, 3, 5, 4])], [wide], "BroadcastToOptions")
    up = resize(b, wide, "up", [1, 6, 10, 4])
    corners = resize(b, up, "corners", [1, 12, 20, 4], align=True)
    return [x], [resize(b, corners, "y", [1, 4, 5, 4], half=True)]


@case("move_gather_s8", GATHER, GATHER)
def _(b, rng):
    x = act(b, rng, "x", [1, 5, 6])
    picked = like(b, x, "picked", [1, 5, 4])
    b.op("GATHER", [x, int32s(b, "cols", [5, 0, 0, 3])], [picked], "GatherOptions", Axis=2)
    y = like(b, x, "y", [3, 4])
    b.op("GATHER_ND", [picked, int32s(b, "at", [[0, 4], [0, 1], [0, 1]])], [y], "GatherNdOptions")
    return [x], [y]


@case("move_folded_shapes_s8", "tg_add_s8", "tg_add_s8", COPY)
def _(b, rng):
    """SHAPE -> STRIDED_SLICE -> PACK (a dynamic batch's shape arithmetic), BROADCAST_ARGS, FILL
    and ZEROS_LIKE all folded at import: one ADD of a filled constant, one broadcast."""
    x = act(b, rng, "x", [1, 4, 6])
    shape = b.tensor("shape", [3], "int32")
    b.op("SHAPE", [x], [shape], "ShapeOptions")
    dims = b.tensor("dims", [2], "int32")
    b.op("STRIDED_SLICE", [shape, int32s(b, "begin", [1]), int32s(b, "end", [3]), int32s(b, "stride", [1])], [dims],
         "StridedSliceOptions")
    one = b.tensor("one", [], "int32")
    b.op("STRIDED_SLICE", [shape, int32s(b, "b0", [0]), int32s(b, "e0", [1]), int32s(b, "s0", [1])], [one],
         "StridedSliceOptions", ShrinkAxisMask=1)
    lead = b.tensor("lead", [3], "int32")
    b.op("PACK", [b.tensor("two", [], "int32", data=np.int32(2)), one, one], [lead],
         "PackOptions", ValuesCount=3, Axis=0)
    both = b.tensor("both", [3], "int32")
    b.op("BROADCAST_ARGS", [lead, dims], [both])
    q = b.tensors[x]
    value = b.tensor("value", [], "int8", scale=q.scale, zero_point=q.zero_point, data=np.int8(rng.integers(-50, 50)))
    filled = like(b, x, "filled", [1, 4, 6])
    b.op("FILL", [int32s(b, "fill_dims", [1, 4, 6]), value], [filled])
    zeros = like(b, x, "zeros", [1, 4, 6])
    b.op("ZEROS_LIKE", [x], [zeros])
    partial = act(b, rng, "partial", [1, 4, 6])
    b.op("ADD", [x, filled], [partial], "AddOptions")
    s = act(b, rng, "sum", [1, 4, 6])
    b.op("ADD", [zeros, partial], [s], "AddOptions")
    wide = like(b, s, "wide", [2, 4, 6])
    b.op("BROADCAST_TO", [s, int32s(b, "to", [2, 4, 6])], [wide], "BroadcastToOptions")
    y = like(b, s, "y", [2, 4, 6])
    b.op("RESHAPE", [wide, both], [y], "ReshapeOptions")
    return [x], [y]


@case("s16_moves", COPY, COPY, COPY, COPY, COPY)
def _(b, rng):
    x = s16(b, rng, "x", [1, 4, 6, 4])
    up = resize(b, x, "up", [1, 8, 12, 4])
    back = reverse(b, up, "back", [2])
    first, _ = split_v(b, back, 3, [3, 1], [[1, 8, 12, 3], [1, 8, 12, 1]])
    wide = like(b, first, "wide", [1, 8, 12, 1, 3])
    b.op("EXPAND_DIMS", [first, int32s(b, "where", [3])], [wide], "ExpandDimsOptions")
    y = like(b, wide, "y", [2, 8, 12, 1, 3])
    b.op("BROADCAST_TO", [wide, int32s(b, "to", [2, 8, 12, 1, 3])], [y], "BroadcastToOptions")
    return [x], [y]


@case("f32_moves", COPY, COPY, COPY, COPY, COPY, GATHER)
def _(b, rng):
    x = f32(b, "x", [1, 4, 6, 8])
    deep = f32(b, "deep", [1, 2, 3, 32])
    b.op("SPACE_TO_DEPTH", [x], [deep], "SpaceToDepthOptions", BlockSize=2)
    flat = f32(b, "flat", [1, 4, 6, 8])
    b.op("DEPTH_TO_SPACE", [deep], [flat], "DepthToSpaceOptions", BlockSize=2)
    batched = f32(b, "batched", [4, 2, 3, 8])
    b.op("SPACE_TO_BATCH_ND", [flat, int32s(b, "block", [2, 2]), int32s(b, "pads", [[0, 0], [0, 0]])], [batched],
         "SpaceToBatchNDOptions")
    back = f32(b, "back", [1, 4, 6, 8])
    b.op("BATCH_TO_SPACE_ND", [batched, int32s(b, "block2", [2, 2]), int32s(b, "crops", [[0, 0], [0, 0]])], [back],
         "BatchToSpaceNDOptions")
    rev = reverse(b, back, "rev", [3, 2])
    y = f32(b, "y", [1, 4, 3, 8])
    b.op("GATHER", [rev, int32s(b, "cols", [2, 5, 2])], [y], "GatherOptions", Axis=2)
    return [x], [y]


# LiteRT's BUILTIN_REF resolver has no BROADCAST_TO
LITERT_DIFFERS.update({name: "litert_no_broadcast_to" for name in ("move_broadcast_resize_s8", "move_folded_shapes_s8",
                                                                    "s16_moves")})


def dilated(b, rng, x: int, name: str, out_c: int, block: int, pads, crops, depthwise: bool = False) -> int:
    """TensorFlow's export of a dilated 3x3 convolution: SPACE_TO_BATCH_ND, a VALID convolution,
    BATCH_TO_SPACE_ND."""
    from tflite_pad_fold_cases import weights
    n, h, w, c = b.tensors[x].shape
    hp, wp = h + sum(pads[0]), w + sum(pads[1])
    batched = like(b, x, f"{name}_batched", [n * block * block, hp // block, wp // block, c])
    b.op("SPACE_TO_BATCH_ND", [x, int32s(b, f"{name}_block", [block, block]), int32s(b, f"{name}_pads", pads)],
         [batched], "SpaceToBatchNDOptions")
    oh, ow = hp // block - 2, wp // block - 2
    conv = act(b, rng, f"{name}_conv", [n * block * block, oh, ow, out_c])
    bias = b.tensor(f"{name}_bias", [out_c], "int32", data=rng.integers(-3000, 3000, out_c))
    if depthwise:
        b.op("DEPTHWISE_CONV_2D", [batched, weights(b, rng, f"{name}_w", [1, 3, 3, out_c], 3), bias], [conv],
             "DepthwiseConv2DOptions", Padding=1, StrideH=1, StrideW=1, DepthMultiplier=out_c // c,
             DilationHFactor=1, DilationWFactor=1)
    else:
        b.op("CONV_2D", [batched, weights(b, rng, f"{name}_w", [out_c, 3, 3, c], 0), bias], [conv], "Conv2DOptions",
             Padding=1, StrideH=1, StrideW=1, DilationHFactor=1, DilationWFactor=1)
    y = like(b, conv, name, [n, oh * block - sum(crops[0]), ow * block - sum(crops[1]), out_c])
    b.op("BATCH_TO_SPACE_ND", [conv, int32s(b, f"{name}_block2", [block, block]), int32s(b, f"{name}_crops", crops)],
         [y], "BatchToSpaceNDOptions")
    return y


@case("move_dilated_conv_valid_s8", "tg_conv2d_s8", "tg_depthwise_conv2d_s8")
def _(b, rng):
    """Unpadded (TensorFlow's VALID dilated convolution): a convolution and a depthwise one of
    dilation 2, no data movement left."""
    x = act(b, rng, "x", [1, 10, 12, 3])
    y = dilated(b, rng, x, "dil2", 8, 2, [[0, 0], [0, 0]], [[0, 0], [0, 0]])
    return [x], [dilated(b, rng, y, "y", 8, 2, [[0, 0], [0, 0]], [[0, 0], [0, 0]], depthwise=True)]


@case("move_update_slice_s8", "tg_strided_slice_s8", "tg_dynamic_update_slice")
def _(b, rng):
    """DYNAMIC_UPDATE_SLICE of a piece of the input back into it, its constant start clamped
    (row 4 of 6 for 3 rows -> 3, column 5 of 8 for 4 -> 4)."""
    x = act(b, rng, "x", [1, 6, 8])
    piece = like(b, x, "piece", [1, 3, 4])
    b.op("STRIDED_SLICE", [x, int32s(b, "begin", [0, 0, 0]), int32s(b, "end", [1, 6, 8]), int32s(b, "step", [1, 2, 2])],
         [piece], "StridedSliceOptions")
    y = like(b, x, "y", [1, 6, 8])
    b.op("DYNAMIC_UPDATE_SLICE", [x, piece, int32s(b, "start", [0, 4, 5])], [y])
    return [x], [y]


@case("f32_update_slice", "tg_strided_copy", "tg_dynamic_update_slice")
def _(b, rng):
    x = f32(b, "x", [2, 5, 3])
    back = reverse(b, x, "back", [0, 1])
    y = f32(b, "y", [2, 5, 3])
    b.op("DYNAMIC_UPDATE_SLICE", [x, back, int32s(b, "start", [0, 0, 0])], [y])
    return [x], [y]
