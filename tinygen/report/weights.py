"""What --weights lut and huffman did (passes/share_weights.py, passes/entropy_code.py), for
`tinygen build` and `tinygen inspect`: the summary and accuracy cost, and `inspect --memory`'s
per-layer weight storage table."""

from __future__ import annotations

import math

from tinygen.ir import WEIGHT_OUT_AXIS as OUT_AXIS
from tinygen.ir import Graph, lut_words
from tinygen.report import table


def reads_lut(node) -> bool:
    """Whether the node's kernel reads shared weights packed: the LUT kernels of a MAC op are
    named tg_<op>..._lut_... (firmware/kernels/lut/LUT.md; tinygen.kernels.lut_table.LUT_NAMES,
    checked by tests/kernels/test_kernels_lut_weights.py)."""
    return node.op in OUT_AXIS and node.kernel is not None and "_lut_" in node.kernel


def _shared(graph: Graph) -> list:
    return [n for n in graph.nodes if reads_lut(n)]


def _coded(node) -> bool:
    """Whether a layer's weights are entropy-coded (passes/entropy_code.py)."""
    return node.attrs.get("weight_coding") == "huffman"


def stored_weight_bytes(graph: Graph, node) -> int:
    """Flash bytes of a MAC layer's weights as built: the packed indices and tables (header and
    word-aligned rows included) for a LUT kernel, the codes, tables and block offsets for a
    huffman one, the int8 weights otherwise."""
    packed = graph.tensor(node.param("packed")).data if reads_lut(node) or _coded(node) else None
    if reads_lut(node):     # the LUT constant: some kernels keep their requantization words after it
        rows = 1 if node.op == "depthwise_conv2d" else graph.tensor(node.param("weight")).shape[OUT_AXIS[node.op]]
        return 4 * lut_words(packed, rows)
    if packed is not None:
        return int(packed.nbytes)
    return int(graph.tensor(node.param("weight")).nbytes)


def huffman_lines(graph: Graph) -> list[str]:
    """--weights huffman: the layers coded and their bytes against their storage otherwise."""
    record = graph.meta.get("weight_coding")
    if record is None:
        return []
    coded = {name: row for name, row in record.items() if row["coded"]}
    before, after = sum(r["before"] for r in coded.values()), sum(r["after"] for r in coded.values())
    lines = [f"weights huffman in {len(coded)} of {len(record)} layers: {after:,} B of codes and tables for "
             f"{before:,} B as stored otherwise ({after / before:.2f}x)" if coded else
             f"weights huffman: no layer coded smaller (of {len(record)})"]
    kept = sorted(set(record) - set(coded))
    if kept and coded:
        lines.append(f"  kept as they were (coded no smaller): {', '.join(kept)}")
    nodes = [n for n in graph.nodes if n.name in coded and n.kernel]
    whole = [n for n in nodes if "_huffman_decode_" in n.kernel]
    if whole:
        lines.append(f"  decoded once into scratch for the int8 DSP kernel (faster; the arena has room: "
                     f"{max(n.scratch_bytes for n in whole):,} B at most): {', '.join(n.name for n in whole)}")
        blocks = [n.name for n in nodes if "_huffman_decode_" not in n.kernel]
        if blocks:
            lines.append(f"  decoded a block of output channels at a time (the arena has no room for the whole "
                         f"layer, or one row): {', '.join(blocks)}")
    return lines


def weights_lines(graph: Graph) -> list[str]:
    """The summary: layers shared, bytes against int8, and the cost on the samples; then
    huffman's (huffman_lines)."""
    record = graph.meta.get("share_weights")
    if record is None:
        return huffman_lines(graph)
    nodes = _shared(graph)
    stored = sum(stored_weight_bytes(graph, n) for n in nodes)
    int8 = sum(graph.tensor(n.param("weight")).size for n in nodes)
    lines = [f"weights {record['spec']} in {len(nodes)} layers: {stored:,} B of indices and tables for "
             f"{int8:,} B of int8 weights ({stored / int8:.2f}x)" if int8 else
             f"weights {record['spec']}: no layer shared"]
    tensor = [layer["layer"] for layer in record["layers"] if layer["grouping"] != record["spec"].split(":")[2]]
    if tensor:
        lines.append(f"  one table per tensor where per-channel tables outweigh the weights: {', '.join(tensor)}")
    exact = [layer["layer"] for layer in record["layers"] if layer["exact"]]
    if exact:
        lines.append(f"  stored exactly (at most 2**BITS values per table already): {', '.join(exact)}")
    for key, what in (("int8", "kept int8 (no smaller packed)"), ("kept", "kept their own codebook")):
        if record.get(key):
            lines.append(f"  {what}: {', '.join(record[key])}")
    decoding = [n for n in nodes if "decode" in n.kernel]
    if decoding:
        isa = " or ".join(sorted({n.kernel.rsplit("_", 1)[-1].upper() for n in decoding}))
        lines.append(f"  decoded once into scratch for the int8 {isa} kernel (faster; the arena has room: "
                     f"{max(n.scratch_bytes for n in decoding):,} B at most): {', '.join(n.name for n in decoding)}")
    blocks = [n for n in nodes if "_lut_block_" in n.kernel]
    if blocks:
        lines.append(f"  decoded a block of output features at a time into scratch for the int8 kernel (one row: "
                     f"{max(n.scratch_bytes for n in blocks):,} B at most): {', '.join(n.name for n in blocks)}")
    widen = [n for n in nodes if "_widen_lut_" in n.kernel]
    if widen:
        lines.append(f"  decoded 4 output channels at a time into scratch for the int8 widening kernel (the arena "
                     f"has no room for the whole layer: {max(n.scratch_bytes for n in widen):,} B at most): "
                     f"{', '.join(n.name for n in widen)}")
    pairs = [n for n in nodes if "_lut_pairs_" in n.kernel]
    if pairs:
        lines.append(f"  multiplied from a table of weight pairs built in scratch (one row, 4 bits, one table: "
                     f"{max(n.scratch_bytes for n in pairs):,} B at most): {', '.join(n.name for n in pairs)}")
    inner = [n.name for n in nodes if "decode" not in n.kernel and "_lut_block_" not in n.kernel
             and "_lut_pairs_" not in n.kernel and "_widen_lut_" not in n.kernel]
    if (decoding or blocks or pairs or widen) and inner:
        lines.append(f"  decoded in the kernel's inner loop (no RAM copy): {', '.join(inner)}")
    unread = [n.name for n in graph.nodes if n.op in OUT_AXIS and not reads_lut(n) and not _coded(n)
              and n.params
              and n.param("weight") and graph.tensor(n.param("weight")).codebook is not None]
    if unread:
        lines.append(f"  stored as decoded int8 (an int8 kernel chosen for the layer): {', '.join(unread)}")
    if "agreement" in record:
        lines.append(f"  cost against int8 on {record['samples']} samples ({record['inputs']}, the reference "
                     f"interpreter): top-1 agreement {record['agreement']:.1%}, output difference mean "
                     f"{record['mean_abs_lsb']:.2f} LSB, max {record['max_abs_lsb']} LSB")
    return lines + huffman_lines(graph)


def storage_table(graph: Graph) -> str:
    """Per MAC layer: how its weights are stored, bits per weight, bytes (inspect --memory)."""
    rows = []
    for node in graph.nodes:
        if node.op not in OUT_AXIS or not node.params or node.param("weight") is None or node.kernel is None:
            continue
        cb = graph.tensor(node.param("weight")).codebook
        count = math.prod(graph.weight_shape(node))
        stored = stored_weight_bytes(graph, node)
        parts = [f"lut:{cb.bits}, {cb.values.shape[0]} table{'s' if cb.values.shape[0] > 1 else ''}"
                 ] if cb is not None and (reads_lut(node) or _coded(node)) else []
        how = ", ".join(parts + ["huffman"] * _coded(node)) or "int8"
        rows.append([node.name, how, f"{stored * 8 / count:.2f}", count, stored])
    if not rows:
        return ""
    return "weights as stored (indices, codes and tables with their header and word-aligned rows):\n" + table(
        ["layer", "storage", "bits/weight", "weights", "bytes"], rows, "llrrr")


__all__ = ["huffman_lines", "storage_table", "stored_weight_bytes", "weights_lines"]
