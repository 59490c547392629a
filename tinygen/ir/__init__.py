"""tinygen's graph IR: plain dataclasses, no framework imports."""

from tinygen.ir.dump import dump
from tinygen.ir.graph import Graph
from tinygen.ir.node import Node
from tinygen.ir.ops import (BINARY_OPS, LIST_INPUT_OPS, MAC_OPS, RECURRENT_OPS, ROLE_OPERAND_OPS, SCHEMAS, STATEFUL_OPS,
                            TABLE_OPS, VARIABLE_OPS, WEIGHT_OUT_AXIS, binary_operands, carries_state, role_operands,
                            schema)
from tinygen.ir.tensor import DTYPES, LUT_HEADER_WORDS, Codebook, Kind, QParams, Tensor, lut_words
from tinygen.ir.validate import IRValidationError, validate

__all__ = [
    "BINARY_OPS", "Codebook", "DTYPES", "Graph", "IRValidationError", "Kind", "LIST_INPUT_OPS", "LUT_HEADER_WORDS",
    "MAC_OPS", "Node", "QParams", "RECURRENT_OPS", "ROLE_OPERAND_OPS", "SCHEMAS", "STATEFUL_OPS", "TABLE_OPS", "Tensor", "VARIABLE_OPS", "WEIGHT_OUT_AXIS",
    "binary_operands", "carries_state", "dump", "lut_words", "role_operands", "schema", "validate",
]
