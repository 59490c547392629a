"""A specialized layer with shared weights (issue 73): the layers whose kernel decodes the packed
weights (firmware/kernels/lut/LUT.md) into the arena and then runs an int8 DSP kernel
(tinygen.kernels.lut_table; specialize.LUT_DECODES) are emitted as two statements: the decode
(tg_lut_decode_weights, into the start of the layer's scratch) and the int8 kernel's inline body
with this layer's constants (tinygen.kernels.specialize), reading the decoded weights where the
int8 build reads them from flash and its own scratch after them. The layer then runs the int8
build's specialized code (folded requantization, unrolled loops) plus the decode."""

from __future__ import annotations

from tinygen.ir import Node
from tinygen.kernels.lut_table import decode_rows, decoded_bytes


def decoded_args(args: list[str], packed_at: int, scratch_at: int, decoded: int) -> list[str]:
    """The int8 kernel's arguments from a decoding kernel's `args`: its packed constant at
    `packed_at` gives way to the decoded weights at the start of its scratch, its scratch at
    `scratch_at` to the int8 kernel's share `decoded` bytes after them."""
    scratch = args[scratch_at]
    out = list(args)
    out[packed_at] = scratch
    out[scratch_at] = f"{scratch} + {decoded}"
    return out


def decode_call(node: Node, args: list[str], packed_at: int, scratch_at: int) -> tuple[str, list[str]]:
    """(the decode statement, the int8 kernel's arguments: decoded_args) from the decoding kernel's
    arguments `args`, the decoded weights' share of the scratch lut_table.decoded_bytes."""
    rows, count = decode_rows(node.op, node.attrs["kparams"])
    call = f"tg_lut_decode_weights({args[packed_at]}, {rows}, {count}, {args[scratch_at]});"
    return call, decoded_args(args, packed_at, scratch_at, decoded_bytes(rows * count))


__all__ = ["decode_call", "decoded_args"]
