"""Parameter builders of TFLite's resource variables (firmware/kernels/variable/
tg_kernels_variable.h; numpy twins in tinygen.ref.variable), for quantized and float graphs alike."""

from __future__ import annotations

from tinygen.ir import VARIABLE_OPS, Graph, Node
from tinygen.kernels.params_base import builder
from tinygen.kernels.params_float import FLOAT_BUILDERS


def variable_params(graph: Graph, node: Node) -> dict:
    """The struct's bytes and fill, and owner: whether the node holds the variable's state."""
    return {"bytes": int(node.attrs["bytes"]), "fill": int(node.attrs["fill"]),
            "owner": int(node.attrs["state_of"] == node.name)}


for _op in VARIABLE_OPS:
    builder(_op)(variable_params)
    FLOAT_BUILDERS[_op] = variable_params
