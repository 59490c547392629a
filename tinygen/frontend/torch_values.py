"""How torch values live in the IR: the activation and constant records of the PyTorch
importer (tinygen/frontend/torch.py), and the NCHW -> NHWC mapping of shapes and axes it
shares with the ONNX importer (tinygen/frontend/layout.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tinygen.frontend.layout import TO_NCHW as _TO_NCHW, TO_NHWC as _TO_NHWC, ir_axis, ir_shape, nchw4  # noqa: F401
from tinygen.frontend.layout import pair as _pair, same_order as _same_order  # noqa: F401


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
