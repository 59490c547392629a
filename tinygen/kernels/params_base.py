"""The registry of kernel parameter builders (one per IR op, registered with @builder and
looked up by tinygen.kernels.params.kernel_params) and the helpers the builders share:
a tensor as (H, W, C), a tensor's scale and zero point, a node's activation clamp."""

from __future__ import annotations

import math
from typing import Callable

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node

BUILDERS: dict[str, Callable[[Graph, Node], dict]] = {}


def builder(op: str):
    """Register the decorated function as the parameter builder of IR op `op`."""
    def register(fn):
        BUILDERS[op] = fn
        return fn
    return register


def _hwc(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """A tensor as (H, W, C): NHWC with batch 1, or a [rows, C] matrix as (1, rows, C)."""
    if len(shape) == 4:
        if shape[0] != 1:
            raise UnsupportedOpError(f"batch size {shape[0]} is not supported; tinygen compiles batch 1")
        return shape[1], shape[2], shape[3]
    return 1, math.prod(shape[:-1]), shape[-1]


def _qp(graph: Graph, tensor: str) -> tuple[float, int]:
    q = graph.tensor(tensor).qparams
    return q.scale[0], int(q.zero_point[0])


def _act(node: Node) -> dict:
    return {"act_min": int(node.attrs["act_min"]), "act_max": int(node.attrs["act_max"])}


def dtype_range(graph: Graph, tensor: str) -> tuple[int, int]:
    """The values an int8, int16 or int32 activation can hold."""
    return {"int16": (-32768, 32767), "int32": (-2 ** 31, 2 ** 31 - 1)}.get(graph.tensor(tensor).dtype, (-128, 127))
