"""Formatting helpers for generated C: identifiers and literals.

All literal formatting for the templates happens here (templates only loop
and substitute).
"""

from __future__ import annotations

import functools
import re

import numpy as np

_C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while".split()
)

C_TYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t", "uint32": "uint32_t",
           "int64": "int64_t", "float32": "float", "uint16": "uint16_t", "uint64": "uint64_t",
           "bool": "uint8_t"}


def c_identifier(name: str) -> str:
    """A valid, readable C identifier for an arbitrary name."""
    ident = re.sub(r"[^0-9A-Za-z_]", "_", name).strip("_") or "t"
    if ident[0].isdigit():
        ident = "t_" + ident
    if ident in _C_KEYWORDS:
        ident += "_"
    return ident


def c_macro(name: str) -> str:
    return c_identifier(name).upper()


def c_int(value) -> str:
    """An integer literal that is valid for any int32 value (INT32_MIN included)."""
    v = int(value)
    if v == -(2**31):
        return "INT32_MIN"
    return str(v)


def c_float(value) -> str:
    """A float literal that round-trips the float32 value exactly."""
    v = np.float32(value)
    if not np.isfinite(v):
        raise ValueError(f"cannot write non-finite float {v} to C")
    return f"{float(v)!r}f"


# arrays of at least this many elements keep their text (the last KEPT_ARRAYS of them): the fit
# step writes a model's project once per choice it tries (tinygen/fit/), the same weights each time
KEPT_ARRAY_SIZE = 4096
KEPT_ARRAYS = 32


def c_array_body(data: np.ndarray, per_line: int = 16, indent: str = "    ") -> str:
    """The comma-separated elements of an integer array, `per_line` to a line."""
    flat = np.asarray(data).ravel()
    flat = flat.astype(np.uint8) if flat.dtype == np.bool_ else flat       # a bool: its byte, 0 or 1
    if flat.size < KEPT_ARRAY_SIZE:
        return _array_body(flat, per_line, indent)
    return _kept_array_body(flat.dtype.str, flat.tobytes(), per_line, indent)


@functools.lru_cache(maxsize=KEPT_ARRAYS)
def _kept_array_body(dtype: str, raw: bytes, per_line: int, indent: str) -> str:
    return _array_body(np.frombuffer(raw, dtype), per_line, indent)


def _array_body(flat: np.ndarray, per_line: int, indent: str) -> str:
    if flat.size == 0:
        return indent + "0"
    if flat.dtype == np.uint32:       # packed bit words: hex, bit patterns read better so
        strs = [f"0x{v:08x}u" for v in flat.tolist()]
    else:
        strs = [c_int(v) for v in flat.tolist()] if flat.dtype.itemsize >= 4 else list(map(str, flat.tolist()))
    lines = [", ".join(strs[i:i + per_line]) for i in range(0, len(strs), per_line)]
    return ",\n".join(indent + line for line in lines)


def c_float_array_body(data: np.ndarray, per_line: int = 8, indent: str = "    ") -> str:
    """The comma-separated elements of a float32 array, each exact (c_float), `per_line` to a line."""
    strs = [c_float(v) for v in np.asarray(data, np.float32).ravel().tolist()] or ["0.0f"]
    lines = [", ".join(strs[i:i + per_line]) for i in range(0, len(strs), per_line)]
    return ",\n".join(indent + line for line in lines)


def c_struct_init(fields: dict, indent: str = "    ") -> str:
    """Designated initializer lines `.name = value,` for scalar or list fields."""
    lines = []
    for key, value in fields.items():
        if isinstance(value, (list, tuple)):
            text = "{" + ", ".join(c_int(v) for v in value) + "}"
        elif isinstance(value, (float, np.floating)):      # a float kernel's clamp bounds
            text = c_float(value)
        else:
            text = c_int(value)
        lines.append(f"{indent}.{key} = {text},")
    return "\n".join(lines)


def c_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def c_comment(text: str) -> str:
    """Text safe inside a /* */ comment."""
    return text.replace("*/", "* /").replace("/*", "/ *").replace("\n", " ")
