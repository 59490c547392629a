"""How an NCHW model's values live in the IR (NHWC), for the front ends of NCHW frameworks
(PyTorch: tinygen/frontend/torch.py, ONNX: tinygen/frontend/onnx/); no framework import.

* a 4-D value [1, C, H, W] is [1, H, W, C] in the IR, a 3-D one [1, C, L] (Conv1d's
  layout) [1, 1, L, C]; other ranks keep their shape;
* a reshape, flatten or transpose of a 3-D or 4-D value follows the framework's element
  order: an IR `transpose` to NCHW first, then `reshape` (and back); passes/fold_layout.py
  merges the chains that remain.
"""

from __future__ import annotations

import numpy as np

_AXIS = {4: {0: 0, 1: 3, 2: 1, 3: 2}, 3: {0: 0, 1: 3, 2: 2}}
TO_NCHW = (0, 3, 1, 2)
TO_NHWC = (0, 2, 3, 1)


def ir_axis(rank: int, dim: int) -> int:
    """The IR axis of NCHW axis `dim` of a rank-`rank` value."""
    dim %= rank
    return _AXIS[rank][dim] if rank in _AXIS else dim


def nchw4(tshape: tuple[int, ...]) -> tuple[int, ...]:
    """A 3-D [N, C, L] value as the 4-D [N, C, 1, L] it is in the IR (4-D unchanged)."""
    return (tshape[0], tshape[1], 1, tshape[2]) if len(tshape) == 3 else tuple(tshape)


def ir_shape(tshape: tuple[int, ...]) -> tuple[int, ...]:
    """The IR shape of an NCHW-shaped value (NCHW -> NHWC for 4-D, [N, C, L] -> [N, 1, L, C])."""
    tshape = tuple(tshape)
    if len(tshape) in (3, 4):
        n, c, h, w = nchw4(tshape)
        return (n, h, w, c)
    return tshape


def same_order(tshape: tuple[int, ...]) -> bool:
    """NCHW order and the IR's list the elements alike (C == 1 or H*W == 1)."""
    _, c, h, w = nchw4(tshape)
    return c == 1 or h * w == 1


def pair(v) -> tuple[int, int]:
    if isinstance(v, (list, tuple)):
        return (int(v[0]), int(v[0])) if len(v) == 1 else (int(v[0]), int(v[1]))
    return (int(v), int(v))


def nchw_constant(c, rank: int) -> np.ndarray:
    """A constant broadcast against a rank-`rank` NCHW value (numpy broadcasting, at most that
    rank), in the IR's layout."""
    c = np.asarray(c)
    if rank in (3, 4):
        c = c.reshape((1,) * (rank - c.ndim) + c.shape)
        if rank == 3:
            c = c[:, :, None, :]
        c = c.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(c)
