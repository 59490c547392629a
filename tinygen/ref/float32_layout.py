"""numpy twins of the float32 data-movement kernels (a float .tflite run as it is): the int8
kernels' twins on float32 elements, as the C kernels are the int8 ones' loops on floats.
Named like the C kernel minus the ``tg_`` prefix."""

from __future__ import annotations

import numpy as np

from tinygen.ref.kernels import pad_s8, transpose_s8
from tinygen.ref.slicing import mirror_pad_s8, strided_slice_s8

F32 = np.float32


def concat_f32(p: dict, inputs) -> np.ndarray:
    """Mirrors tg_concat_f32 (copy_sizes in bytes); flat float32."""
    parts = [np.asarray(x, F32).reshape(p["outer"], n // 4) for x, n in zip(inputs, p["copy_sizes"], strict=True)]
    return np.concatenate(parts, axis=1).reshape(-1)


def pad_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_pad_f32; float32 of p['out_shape']."""
    return pad_s8(p, input, F32)


def transpose_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_transpose_f32; float32 of in_shape[perm]."""
    return transpose_s8(p, input, F32)


def strided_slice_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_strided_slice_f32; float32 of p['out_shape']."""
    return strided_slice_s8(p, input, F32)


def mirror_pad_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_mirror_pad_f32; float32 of p['out_shape']."""
    return mirror_pad_s8(p, input, F32)
