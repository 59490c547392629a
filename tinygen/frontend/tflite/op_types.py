"""The tensor types tinygen runs each .tflite operator on, gathered from the importer's own tables
(the guide's operators page is generated from operator_types()).

- int8: quantized int8 activations, every operator of SUPPORTED_OPS but those of NO_INT8_OPS;
- int16: TFLite's 16x8 quantization, INT16_OPS (reader.py) less what a move's TFLite Micro kernel
  refuses (ops_shape.MOVE_TYPES);
- float32: a float model run as it is, FLOAT_OPS (reader.py), likewise;
- other: unquantized integers and bools (ops_plain.py, ops_select.py, ops_shape.py,
  ops_variable.py), and the shape operators folded into constants at import (ops_fold.py).

The custom operators are SIGNAL_OPS (TFLite Micro's signal library, CIRCULAR_BUFFER) and DETECTION_CUSTOM."""

from __future__ import annotations

from tflite.TensorType import TensorType

from tinygen.frontend.tflite.importer import SUPPORTED_OPS
from tinygen.frontend.tflite.ops_detection import DETECTION_CUSTOM
from tinygen.frontend.tflite.ops_fold import ALWAYS
from tinygen.frontend.tflite.ops_select import COMPARISONS
from tinygen.frontend.tflite.ops_shape import MOVE_TYPES
from tinygen.frontend.tflite.ops_signal import SIGNAL_OPS
from tinygen.frontend.tflite.ops_variable import VARIABLE_OPS
from tinygen.frontend.tflite.reader import FLOAT_OPS, INT16_OPS

# operators with no quantized int8 form: float32 only in TFLite Micro (ops_math_float.py), or on
# plain integers and bools only
NO_INT8_OPS = ("L2_POOL_2D", "NEG", "SQUARE", "SQRT", "FLOOR", "CEIL", "ROUND", "FLOOR_DIV", "FLOOR_MOD", "EXP",
               "LOG", "COS", "SIN", "CAST", "DIV", "LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT")
# computed at import whatever their inputs' types: no kernel runs them
FOLDED = ALWAYS + ("BROADCAST_ARGS", "FILL")
# the unquantized types each operator also runs on (int32 arithmetic as TFLite Micro wraps it)
OTHER_TYPES: dict[str, str] = {
    **{op: "int32" for op in ("ADD", "SUB", "MUL", "DIV", "MINIMUM", "MAXIMUM", "STRIDED_SLICE", "CONCATENATION")},
    "CAST": "int8, int16, int32, uint32 to each other or to float32",
    **{op: "int32" for op in COMPARISONS},
    "EQUAL": "int32, bool", "NOT_EQUAL": "int32, bool",
    **{op: "bool" for op in ("LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT")},
    **{op: "int32" for op, types in MOVE_TYPES.items() if TensorType.INT32 in types},
    **{op: "int32, bool" for op in VARIABLE_OPS},
    **{op: "folded into a constant at import" for op in FOLDED},
}


def _moves(op: str, t: int) -> bool:
    return op not in MOVE_TYPES or t in MOVE_TYPES[op]


def operator_types() -> dict[str, dict]:
    """op -> {"int8": bool, "int16": bool, "float32": bool, "other": str} for every builtin operator
    tinygen imports, in SUPPORTED_OPS order."""
    types = {}
    for op in SUPPORTED_OPS:
        if op in FOLDED:
            quantized = {"int8": False, "int16": False, "float32": False}
        elif op in VARIABLE_OPS:        # a variable's bytes, whatever their type
            quantized = {"int8": True, "int16": True, "float32": True}
        else:
            quantized = {"int8": op not in NO_INT8_OPS and _moves(op, TensorType.INT8),
                         "int16": op in INT16_OPS and _moves(op, TensorType.INT16),
                         "float32": op in FLOAT_OPS and _moves(op, TensorType.FLOAT32)}
        types[op] = {**quantized, "other": OTHER_TYPES.get(op, "")}
    return types


def custom_operators() -> list[str]:
    """The custom operators tinygen imports (by their custom code): TFLite Micro's signal library and
    CIRCULAR_BUFFER on their integer types, SSD's DETECTION_POSTPROCESS on float32."""
    return sorted((*SIGNAL_OPS, DETECTION_CUSTOM))
