"""A specialized layer with entropy-coded weights (issue 73): the layers whose kernel decodes the
codes whole into the arena and then runs an int8 DSP kernel (tinygen.kernels.huffman_table;
specialize.HUFFMAN_DECODES) are emitted as two statements: the decode (tg_huffman_decode_layer_s8,
into the start of the layer's scratch) and the int8 kernel's inline body with this layer's
constants (tinygen.kernels.specialize), reading the decoded weights where the int8 build reads
them from flash and its own scratch after them: the int8 build's specialized code plus the decode."""

from __future__ import annotations

from tinygen.codegen.lut_decode import decoded_args
from tinygen.ir import Node
from tinygen.kernels.huffman_table import decoded_bytes, decoded_shape


def huffman_decode_call(node: Node, args: list[str], packed_at: int, scratch_at: int) -> tuple[str, list[str]]:
    """(the decode statement, the int8 kernel's arguments: lut_decode.decoded_args) from the
    decoding kernel's arguments `args`, the decoded weights' share of the scratch
    huffman_table.decoded_bytes."""
    rows, depth = decoded_shape(node.attrs["kparams"])
    call = f"tg_huffman_decode_layer_s8({args[packed_at]}, {rows}, {depth}, {args[scratch_at]});"
    return call, decoded_args(args, packed_at, scratch_at, decoded_bytes(rows * depth))


__all__ = ["huffman_decode_call"]
