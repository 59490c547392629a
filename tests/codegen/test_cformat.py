"""Formatting helpers for generated C (tinygen/codegen/cformat.py).

Literals are checked by what a C compiler makes of them: a small program
built with gcc -Wall -Wextra -Werror prints them back.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinygen.codegen.cformat import (
    C_TYPES, c_array_body, c_comment, c_float, c_identifier, c_int, c_macro, c_string, c_struct_init,
)
from tinygen.ir import DTYPES

CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wdouble-promotion"]
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not found")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
C99_KEYWORDS = ("auto break case char const continue default do double else enum extern float for goto if "
                "inline int long register restrict return short signed sizeof static struct switch typedef "
                "union unsigned void volatile while").split()


def compile_and_run(tmp_path: Path, source: str) -> str:
    c = tmp_path / "prog.c"
    c.write_text(source)
    exe = tmp_path / "prog"
    proc = subprocess.run(["gcc", *CFLAGS, "-o", str(exe), str(c)], capture_output=True, text=True)
    assert proc.returncode == 0, f"gcc failed:\n{proc.stderr}\n--- source ---\n{source}"
    return subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout


# -- identifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize("name,expected", [
    ("conv_0", "conv_0"),
    ("layer1.conv-2/weight", "layer1_conv_2_weight"),
    ("blocks.0 (Sequential)", "blocks_0__Sequential"),
    ("0.weight", "t_0_weight"),
    ("1", "t_1"),
    ("int", "int_"),
    ("static", "static_"),
    ("while", "while_"),
    ("", "t"),
    ("...", "t"),
    ("ünïcode", "n_code"),
])
def test_c_identifier(name, expected):
    assert c_identifier(name) == expected


@pytest.mark.parametrize("name", ["", "-", "9lives", "a b", "for", "résumé", "x" * 5 + ".y[3]", "__init__",
                                  "1e5", "conv.0.weight", "*/", "a;b"])
def test_c_identifier_is_valid_and_not_a_keyword(name):
    ident = c_identifier(name)
    assert IDENT.match(ident), ident
    assert ident not in C99_KEYWORDS
    assert not ident.startswith("__") and not re.match(r"_[A-Z]", ident)   # reserved in C


@pytest.mark.parametrize("keyword", C99_KEYWORDS)
def test_c_identifier_escapes_every_c99_keyword(keyword):
    assert c_identifier(keyword) == keyword + "_"


def test_c_macro_is_upper_case_identifier():
    assert c_macro("fc.0-out") == "FC_0_OUT"
    assert c_macro("3x3") == "T_3X3"


# -- integers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value,text", [
    (0, "0"), (127, "127"), (-128, "-128"), (2**31 - 1, "2147483647"), (-(2**31), "INT32_MIN"),
    (-(2**31) + 1, "-2147483647"), (np.int32(-(2**31)), "INT32_MIN"), (np.int8(-5), "-5"), (True, "1"),
])
def test_c_int(value, text):
    assert c_int(value) == text


@needs_gcc
def test_c_int_int32_extremes_compile_to_the_same_values(tmp_path):
    values = [-(2**31), -(2**31) + 1, -1, 0, 1, 2**31 - 1]
    body = ", ".join(c_int(v) for v in values)
    out = compile_and_run(tmp_path, f"""
#include <stdint.h>
#include <stdio.h>
static const int32_t v[] = {{{body}}};
int main(void) {{
    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) printf("%ld\\n", (long)v[i]);
    return 0;
}}
""")
    assert [int(s) for s in out.split()] == values


# -- floats -----------------------------------------------------------------------------------


def float32_samples() -> np.ndarray:
    rng = np.random.default_rng(0)
    special = np.array([0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, 1 / 256, 255.0, 1e-8, 3.0e38,
                        np.finfo(np.float32).max, -np.finfo(np.float32).max,
                        np.finfo(np.float32).tiny, np.finfo(np.float32).smallest_subnormal,
                        16777217.0, 1e16, 2.0 ** -126 * 1.5, 0.0078125], np.float32)
    bits = rng.integers(0, 2**32, 400, dtype=np.uint64).astype(np.uint32)
    random = bits.view(np.float32)
    random = random[np.isfinite(random)]
    return np.concatenate([special, random, rng.standard_normal(100).astype(np.float32)])


def test_c_float_literal_form():
    assert c_float(1.0) == "1.0f"
    assert c_float(0.5) == "0.5f"
    assert c_float(-2) == "-2.0f"
    for v in float32_samples()[:30]:
        text = c_float(v)
        assert re.fullmatch(r"-?(\d+\.\d*|\d+(\.\d*)?e[-+]\d+)f", text), text


def test_c_float_parses_back_exactly_in_python():
    for v in float32_samples():
        text = c_float(v)
        back = np.float32(float(text[:-1]))
        assert back.tobytes() == np.float32(v).tobytes(), (v, text)


@needs_gcc
def test_c_float_round_trips_float32_when_compiled(tmp_path):
    values = float32_samples()
    body = ",\n".join("    " + c_float(v) for v in values)
    out = compile_and_run(tmp_path, f"""
#include <stdint.h>
#include <stdio.h>
#include <string.h>
static const float v[] = {{
{body}
}};
int main(void) {{
    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {{
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        printf("%08x\\n", (unsigned)bits);
    }}
    return 0;
}}
""")
    got = [int(s, 16) for s in out.split()]
    want = [struct.unpack("<I", np.float32(v).tobytes())[0] for v in values]
    bad = [(values[i], c_float(values[i]), hex(g), hex(w)) for i, (g, w) in enumerate(zip(got, want)) if g != w]
    assert len(got) == len(want) and not bad, bad[:5]


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_c_float_rejects_non_finite(value):
    with pytest.raises(ValueError, match="non-finite"):
        c_float(value)


# -- arrays and structs -------------------------------------------------------------------


def test_c_array_body_wraps_lines():
    body = c_array_body(np.arange(-3, 37, dtype=np.int8), per_line=16)
    lines = body.split("\n")
    assert len(lines) == 3
    assert [len(line.split(",")) - 1 for line in lines] == [16, 16, 7]      # trailing commas except last
    assert all(line.startswith("    ") for line in lines)
    assert lines[0] == "    " + ", ".join(str(v) for v in range(-3, 13)) + ","
    assert lines[-1] == "    " + ", ".join(str(v) for v in range(29, 37))
    parsed = [int(s) for s in body.replace("\n", "").split(",")]
    assert parsed == list(range(-3, 37))


def test_c_array_body_exact_multiple_and_indent():
    body = c_array_body(np.zeros((2, 4), np.int8), per_line=4, indent="  ")
    assert body == "  0, 0, 0, 0,\n  0, 0, 0, 0"


def test_c_array_body_int32_uses_int32_min():
    body = c_array_body(np.array([-(2**31), 5, 2**31 - 1], np.int32))
    assert body == "    INT32_MIN, 5, 2147483647"


def test_c_array_body_empty_is_still_a_valid_initializer():
    assert c_array_body(np.zeros(0, np.int8)) == "    0"


@needs_gcc
def test_c_array_body_compiles_to_the_same_bytes(tmp_path):
    data = np.random.default_rng(1).integers(-128, 128, 100).astype(np.int8)
    w32 = np.array([-(2**31), -1, 0, 7, 2**31 - 1], np.int32)
    out = compile_and_run(tmp_path, f"""
#include <stdint.h>
#include <stdio.h>
static const int8_t a[{data.size}] = {{
{c_array_body(data, per_line=7)}
}};
static const int32_t b[{w32.size}] = {{
{c_array_body(w32)}
}};
int main(void) {{
    for (int i = 0; i < {data.size}; i++) printf("%d\\n", a[i]);
    for (int i = 0; i < {w32.size}; i++) printf("%ld\\n", (long)b[i]);
    return 0;
}}
""")
    assert [int(s) for s in out.split()] == data.tolist() + w32.tolist()


def test_c_struct_init_scalars_and_lists():
    text = c_struct_init({"rows": 1, "stride": (2, 1), "shifts": [-(2**31), 3], "act_min": np.int32(-128)})
    assert text.split("\n") == [
        "    .rows = 1,",
        "    .stride = {2, 1},",
        "    .shifts = {INT32_MIN, 3},",
        "    .act_min = -128,",
    ]


@needs_gcc
def test_c_struct_init_compiles(tmp_path):
    fields = {"n": 3, "dims": [4, -(2**31), 6], "zp": -128}
    out = compile_and_run(tmp_path, f"""
#include <stdint.h>
#include <stdio.h>
typedef struct {{ int32_t n; int32_t dims[3]; int32_t zp; }} params_t;
static const params_t p = {{
{c_struct_init(fields)}
}};
int main(void) {{ printf("%ld %ld %ld %ld %ld\\n", (long)p.n, (long)p.dims[0], (long)p.dims[1],
                       (long)p.dims[2], (long)p.zp); return 0; }}
""")
    assert out.split() == ["3", "4", str(-(2**31)), "6", "-128"]


# -- comments and strings -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["a */ b", "*/", "**/", "x*/*/y", "multi\nline */ text", "end *"])
def test_c_comment_never_closes_the_comment(text):
    safe = c_comment(text)
    assert "*/" not in safe
    assert "\n" not in safe
    assert f"/* {safe} */".count("*/") == 1


def test_c_comment_keeps_ordinary_text():
    assert c_comment("conv_0: conv2d, from stem.0 (Conv2d)") == "conv_0: conv2d, from stem.0 (Conv2d)"
    assert c_comment("a */ b") == "a * / b"


@needs_gcc
@pytest.mark.parametrize("text", ["blocks.0 */ int x = 1; (Conv2d)", "ends with *", "tricky * */ /"])
def test_c_comment_compiles_with_werror(tmp_path, text):
    out = compile_and_run(tmp_path, f"""
#include <stdio.h>
/* {c_comment(text)} */
int main(void) {{ printf("ok\\n"); return 0; }}
""")
    assert out == "ok\n"


@needs_gcc
def test_c_comment_with_comment_opener_compiles_with_werror(tmp_path):
    out = compile_and_run(tmp_path, f"""
#include <stdio.h>
/* {c_comment("from models/*.py")} */
int main(void) {{ printf("ok\\n"); return 0; }}
""")
    assert out == "ok\n"


@needs_gcc
def test_c_string_escapes(tmp_path):
    text = 'say "hi"\\path\nnext'
    out = compile_and_run(tmp_path, f"""
#include <stdio.h>
int main(void) {{ fputs({c_string(text)}, stdout); return 0; }}
""")
    assert out == text


def test_c_types_cover_the_stored_dtypes():
    # every storage dtype a constant can have: the integers as <stdint.h> types, float32 (a
    # float model's weights) as float; b1 is an activation format (its words are passed as
    # uint32_t pointers); bool (a comparison's output) is one byte, 0 or 1, as uint8_t
    stored = {name: np_type for name, (_, np_type) in DTYPES.items() if name not in ("float32", "b1", "bool")}
    assert C_TYPES == {**{name: f"{np.dtype(t).name}_t" for name, t in stored.items()}, "float32": "float",
                       "bool": "uint8_t"}
