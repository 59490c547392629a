"""Fold a multiply by a constant scalar into the batch matmul it feeds: (c * a) @ b is
a @ b with the factor c on the product (attribute alpha), which the requantization takes
(tinygen.quant.attention_params.batch_matmul_multiplier). nn.MultiheadAttention scales its
queries so before their product with the keys: the multiply, a rounding and an int8 tensor go.

Only where the multiply's result feeds nothing else, with no fused activation, and the
factor is positive. Runs on the float graph (a .tflite graph keeps its ops).
"""

from __future__ import annotations

from tinygen.ir import Graph


def fold_matmul_scale(graph: Graph) -> Graph:
    for matmul in [n for n in graph.nodes if n.op == "batch_matmul"]:
        for k, operand in enumerate(list(matmul.inputs)):
            mul = graph.producer(operand)
            if (mul is None or mul.op != "mul" or len(mul.inputs) != 1 or mul.attrs.get("activation") is not None
                    or graph.is_graph_output(operand) or graph.consumers(operand) != [matmul]
                    or matmul.inputs.count(operand) != 1):
                continue
            c = graph.const(mul, "operand")
            if c is None or c.size != 1 or not float(c.ravel()[0]) > 0:
                continue
            matmul.attrs["alpha"] = float(matmul.attrs.get("alpha", 1.0)) * float(c.ravel()[0])
            matmul.inputs[k] = mul.inputs[0]
            graph.remove_node(mul)
    graph.drop_unused_tensors()
    return graph
