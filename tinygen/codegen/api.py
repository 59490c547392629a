"""The names the generated model exports: one emitted C, two packagings.

A firmware build (tinygen's own runtime calls the model) exports today's names: `tg_model_*`
functions, `TG_MODEL_*` macros, `tg_set_switch`, weight arrays named after their tensors, in
`model.h` / `model.c` / `weights.c`. A library (`tinygen build --library --name NAME`) puts
NAME in every one of them (`NAME_invoke`, `NAME_ARENA_SIZE`, `NAME_set_switch`,
`NAME_conv_0_w`), so that several models link into one image; the templates render either from
the same data, only the names differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# C99 and C11 keywords, and the C++ ones a C header's names must not take either (NAME.h compiles as C++)
C_KEYWORDS = frozenset("""
auto break case char const continue default do double else enum extern float for goto if inline int long
register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
_Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local
alignas alignof and asm bool catch class constexpr delete explicit export false friend mutable namespace new
noexcept not nullptr operator or private protected public template this throw true try typeid typename using
virtual wchar_t xor
""".split())
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Api:
    fn: str = "tg_model"            # function prefix: tg_model_invoke / NAME_invoke
    macro: str = "TG_MODEL"         # macro prefix: TG_MODEL_ARENA_SIZE / NAME_ARENA_SIZE
    switch: str = "tg"              # tg_set_switch / NAME_set_switch
    symbols: str = ""               # before every weight array's name: "" / "NAME_"
    header: str = "model.h"         # the public header
    source: str = "model.c"
    weights_header: str = "weights.h"
    weights_source: str = "weights.c"
    config: str | None = None       # the library's NAME_config.h, included first by every source
    arena_external: bool = False    # NAME_init(void *arena): the application's buffer
    weights_guard: str = "TG_WEIGHTS_H"

    @property
    def guard(self) -> str:
        """The include guard of the public header (TG_MODEL_H / NAME_H)."""
        return f"{self.macro}_H"


FIRMWARE = Api()


def library_api(name: str, arena_external: bool = False) -> Api:
    """The names of library NAME (a valid C identifier: check_library_name)."""
    return Api(fn=name, macro=name.upper(), switch=name, symbols=f"{name}_", header=f"{name}.h",
               source=f"{name}.c", weights_header=f"{name}_weights.h", weights_source=f"{name}_weights.c",
               config=f"{name}_config.h", arena_external=arena_external,
               weights_guard=f"{name.upper()}_WEIGHTS_H")


def _tinygens(name: str) -> bool:
    """A name in tinygen's own prefix (its kernels' tg_...)."""
    return name.lower() == "tg" or name.lower().startswith("tg_")


def library_name(model_name: str) -> str:
    """The default NAME of a model's library: its name made a C identifier."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", model_name) or "model"
    name = f"m_{name}" if name[0].isdigit() or _tinygens(name) else name
    return name if name not in C_KEYWORDS else f"{name}_model"


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a library (None: it can)."""
    if not _IDENTIFIER.match(name):
        return f"--name {name!r} is not a C identifier (letters, digits and _, not starting with a digit)"
    if name in C_KEYWORDS:
        return f"--name {name!r} is a C or C++ keyword"
    if _tinygens(name):
        return f"--name {name!r} takes tinygen's own prefix tg_"
    return None


__all__ = ["Api", "C_KEYWORDS", "FIRMWARE", "library_api", "library_name", "name_problem"]
