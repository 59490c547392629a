"""Give every int8 elementwise op computed by lookup (tinygen.ir.TABLE_OPS: logistic, tanh, GELU,
hard sigmoid), and every PReLU with one slope, its 256-entry table as the constant "table"
(tinygen.kernels.lut): the table kernel (tg_lut_s8) reads it, the fixed-point kernels
(tg_logistic_s8, tg_tanh_s8, tg_prelu_s8) leave it unread.

On the quantized graph (the table depends on the input and output quantization, PyTorch's
calibrated or the .tflite file's), before the kernels are chosen. A table already there (a
switch's graph compiled again) is computed again and replaced.
"""

from __future__ import annotations

from tinygen.errors import UnsupportedOpError
from tinygen.ir import TABLE_OPS, Graph
from tinygen.kernels.lut import lookup_table, prelu_table


def one_slope(graph: Graph, node) -> bool:
    """A PReLU with one slope for every element: an elementwise function, tabulated too."""
    return node.op == "prelu" and graph.tensor(node.param("alpha")).size == 1 and len(node.params) == 1


def _grid(graph: Graph, name: str) -> tuple[float, int]:
    q = graph.tensor(name).qparams
    return q.scale[0], int(q.zero_point[0])


def tabulate(graph: Graph) -> Graph:
    for node in graph.nodes:
        if graph.tensor(node.outputs[0]).dtype != "int8" or not (node.op in TABLE_OPS or one_slope(graph, node)):
            continue
        in_q, out_q = _grid(graph, node.inputs[0]), _grid(graph, node.outputs[0])
        try:
            if node.op == "prelu":
                alpha = graph.tensor(node.param("alpha"))
                table = prelu_table(in_q, _grid(graph, alpha.name), int(alpha.data.reshape(-1)[0]), out_q)
            else:
                table = lookup_table(node.op, in_q, out_q, node.attrs)
        except ValueError as e:
            raise UnsupportedOpError(f"{node.name} ({node.source}): {e}") from None
        replaced = node.param("table") is not None
        name = graph.add_const(graph.unique_name(f"{node.name}_table"), table, "int8").name
        for pset in node.params:            # every parameter set reads the same activations
            pset["table"] = name
        if replaced:
            graph.drop_unused_tensors()
    return graph
