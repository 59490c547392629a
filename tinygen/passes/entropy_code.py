"""Entropy-coded weights (`--weights huffman`, issue 73): mark the MAC layers whose weights
the huffman kernels store coded (tinygen/kernels/huffman_table.py), after compact (a pruned
layer's zeros are what the codes shrink) and lower_bits, before the kernels are chosen.

A conv2d (groups 1) or fully connected layer with int8 weights (a tinygen.nn layer's too:
its weight_format "int8" is plain int8) is coded where its coded
constant (tinygen.quant.huffman: tables, block offsets and stream) takes fewer bytes than the
weights as stored otherwise (int8, or a shared-weight layer's packed indices and tables); the
others stay as they are. A shared-weight layer (Tensor.codebook, one table per tensor or per
output channel, as --weights lut:BITS, a TFLite Micro compressed model or tinygen.nn leave it)
codes its indices, the packed constant holding the tables. graph.meta["weight_coding"] records
each layer's bytes before and after.
"""

from __future__ import annotations

from tinygen.ir import Graph
from tinygen.kernels.huffman_table import CODING, coded_codebook, pack
from tinygen.kernels.params import kernel_params
from tinygen.kernels.spec import pack_consts

CODED_OPS = ("conv2d", "fully_connected")


def entropy_code(graph: Graph) -> Graph:
    report = {}
    for node in graph.nodes:
        wname = node.param("weight")
        if node.op not in CODED_OPS or wname is None or node.attrs.get("weight_format", "int8") != "int8" \
                or len(node.params) != 1:
            continue
        weight = graph.tensor(wname)
        if weight.dtype != "int8" or weight.bits not in (None, 8) or weight.data is None:
            continue
        book = weight.codebook
        before = book.packed_bytes() if coded_codebook(book) else int(weight.data.size)
        after = int(pack(kernel_params(graph, node), pack_consts(graph, node)).nbytes)
        report[node.name] = {"before": before, "after": after, "coded": after < before}
        if after < before:
            node.attrs["weight_coding"] = CODING
    graph.meta["weight_coding"] = report
    return graph


__all__ = ["CODED_OPS", "entropy_code"]
