"""Give every int8 elementwise op computed by lookup (tinygen.ir.TABLE_OPS: logistic, tanh, GELU,
hard sigmoid) its 256-entry table as the constant "table" (tinygen.kernels.lut.lookup_table):
the table kernel (tg_lut_s8) reads it, the fixed-point kernels (tg_logistic_s8, tg_tanh_s8)
leave it unread.

On the quantized graph (the table depends on the input and output quantization, PyTorch's
calibrated or the .tflite file's), before the kernels are chosen. A table already there (a
switch's graph compiled again) is computed again and replaced.
"""

from __future__ import annotations

from tinygen.errors import UnsupportedOpError
from tinygen.ir import TABLE_OPS, Graph
from tinygen.kernels.lut import lookup_table


def tabulate(graph: Graph) -> Graph:
    for node in graph.nodes:
        if node.op not in TABLE_OPS or graph.tensor(node.outputs[0]).dtype != "int8":
            continue
        in_q, out_q = (graph.tensor(t).qparams for t in (node.inputs[0], node.outputs[0]))
        try:
            table = lookup_table(node.op, (in_q.scale[0], int(in_q.zero_point[0])),
                                 (out_q.scale[0], int(out_q.zero_point[0])), node.attrs)
        except ValueError as e:
            raise UnsupportedOpError(f"{node.name} ({node.source}): {e}") from None
        replaced = node.param("table") is not None
        name = graph.add_const(graph.unique_name(f"{node.name}_table"), table, "int8").name
        for pset in node.params:            # every parameter set reads the same activations
            pset["table"] = name
        if replaced:
            graph.drop_unused_tensors()
    return graph
