"""Entropy-coded weights (`--weights huffman`, issue 73): mark the MAC layers whose weights
the huffman kernels store coded (tinygen/kernels/huffman_table.py), after compact (a pruned
layer's zeros are what the codes shrink) and lower_bits, before the kernels are chosen.

A conv2d (groups 1) or fully connected layer with int8 weights is coded where its coded
constant (tinygen.quant.huffman.encode: tables, block offsets and stream) takes fewer bytes than
the weights as stored otherwise (int8, or a shared-weight layer's packed indices and tables);
the others stay as they are. A shared-weight layer (Tensor.codebook, one table per tensor or per
output channel) codes its indices, the tables becoming the node's "codebook" constant, which
the packed constant holds. graph.meta["weight_coding"] records each layer's bytes before and after.
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph
from tinygen.kernels.huffman_table import CODING, pack
from tinygen.kernels.params import kernel_params

CODED_OPS = ("conv2d", "fully_connected")


def _table(weight) -> np.ndarray | None:
    """The codebook's tables where the layer shares weights along its output channels (or per tensor)."""
    book = weight.codebook
    if book is None or book.axis not in (None, 0):
        return None
    return np.asarray(book.values, dtype=np.int8)


def entropy_code(graph: Graph) -> Graph:
    report = {}
    for node in graph.nodes:
        wname = node.param("weight")
        if node.op not in CODED_OPS or wname is None or node.attrs.get("weight_format") or len(node.params) != 1:
            continue
        weight = graph.tensor(wname)
        if weight.dtype != "int8" or weight.bits not in (None, 8) or weight.data is None:
            continue
        table = _table(weight)
        before = weight.codebook.packed_bytes() if table is not None else int(weight.data.size)
        after = int(pack(kernel_params(graph, node), {"weight": weight.data, "codebook": table}).nbytes)
        report[node.name] = {"before": before, "after": after, "coded": after < before}
        if after >= before:
            continue
        node.attrs["weight_coding"] = CODING
        if table is not None:
            name = graph.add_const(graph.unique_name(f"{wname}_codebook"), table, "int8").name
            node.set_param("codebook", name)
    graph.meta["weight_coding"] = report
    return graph


__all__ = ["CODED_OPS", "entropy_code"]
