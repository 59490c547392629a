"""How torch values live in the IR: the activation and constant records of the PyTorch
importer (tinygen/frontend/torch.py) and the NCHW -> NHWC mapping of shapes and axes.

* a 4-D torch value [1, C, H, W] is [1, H, W, C] in the IR, a 3-D one [1, C, L]
  (Conv1d's layout) [1, 1, L, C]; other ranks keep their torch shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

_AXIS = {4: {0: 0, 1: 3, 2: 1, 3: 2}, 3: {0: 0, 1: 3, 2: 2}}
_TO_NCHW = (0, 3, 1, 2)
_TO_NHWC = (0, 2, 3, 1)


def ir_axis(rank: int, dim: int) -> int:
    """The IR axis of torch axis `dim` of a rank-`rank` value."""
    dim %= rank
    return _AXIS[rank][dim] if rank in _AXIS else dim


def nchw4(tshape: tuple[int, ...]) -> tuple[int, ...]:
    """A 3-D [N, C, L] value as the 4-D [N, C, 1, L] it is in the IR (4-D unchanged)."""
    return (tshape[0], tshape[1], 1, tshape[2]) if len(tshape) == 3 else tuple(tshape)


@dataclass(frozen=True)
class _Act:
    """An activation: IR tensor name and the shape torch sees (NCHW for 4-D)."""

    name: str
    tshape: tuple[int, ...]


@dataclass(frozen=True)
class _Const:
    """A parameter, buffer or value folded from them."""

    value: torch.Tensor
    origin: str


def ir_shape(tshape: tuple[int, ...]) -> tuple[int, ...]:
    """The IR shape of a torch-shaped value (NCHW -> NHWC for 4-D, [N, C, L] -> [N, 1, L, C])."""
    tshape = tuple(tshape)
    if len(tshape) in (3, 4):
        n, c, h, w = nchw4(tshape)
        return (n, h, w, c)
    return tshape


def _pair(v) -> tuple[int, int]:
    if isinstance(v, (list, tuple)):
        return (int(v[0]), int(v[0])) if len(v) == 1 else (int(v[0]), int(v[1]))
    return (int(v), int(v))


def _same_order(tshape: tuple[int, ...]) -> bool:
    """Torch's order and the IR's list the elements alike (C == 1 or H*W == 1)."""
    _, c, h, w = nchw4(tshape)
    return c == 1 or h * w == 1
