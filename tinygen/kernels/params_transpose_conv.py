"""The parameter builder of the transposed convolution (tg_transpose_conv2d_params_t in
firmware/kernels/support/tg_kernels.h): the convolution's fields but the depth multiplier.
A transposed convolution's node has a convolution's attributes and OHWI weights, so the
convolution builder reads it alike: the output's size from its tensor, the padding before
row and column 0 (the bottom and right follow from them), the int8 quantization."""

from __future__ import annotations

from tinygen.ir import Graph, Node
from tinygen.kernels.params_base import builder
from tinygen.kernels.params_conv import _conv


@builder("transpose_conv2d")
def _transpose_conv(graph: Graph, node: Node) -> dict:
    return {k: v for k, v in _conv(graph, node).items() if k != "depth_multiplier"}
