"""Which variant of a firmware file a board compiles: of X.c and its ISA variants X_dsp.c
(Cortex-M4/M7/M33/M55 DSP extension) and X_mve.c (Helium, Cortex-M55), the one for the
board's best feature, else X.c. Shared by the front ends that ship hand-vectorized files
(tinygen.codegen.camera's image preprocessing, tinygen.codegen.audio's MFCC stages).

    isa_variants(["vision/a.c", "vision/a_mve.c", "vision/b.c"], {"dsp", "mve"})   # a_mve.c, b.c
    with_variants(["audio/a.c"])       # a.c and the a_mve.c / a_dsp.c that exist under firmware/
"""

from __future__ import annotations

from tinygen.resources import data_dir

# (file suffix, board ISA feature it needs), best first
VARIANTS = (("_mve.c", "mve"), ("_dsp.c", "dsp"))


def _variant(f: str) -> str | None:
    return next((s for s, _ in VARIANTS if f.endswith(s)), None)


def _base(f: str) -> str:
    s = _variant(f)
    return f if s is None else f[:-len(s)] + ".c"


def isa_variants(files: list[str], features) -> list[str]:
    """The files for a board with these ISA features (boards/*.toml isa_features): each X.c
    replaced by its best variant among `files` that the features allow, the other variants
    dropped; headers and files without variants as they are, in the order of their first
    appearance."""
    suffixes = [s for s, feature in VARIANTS if feature in features]
    chosen: dict[str, tuple[int, str]] = {}
    for f in files:
        variant = _variant(f)
        if variant is not None and variant not in suffixes:
            continue                                    # not for this board
        rank = suffixes.index(variant) if variant is not None else len(suffixes)
        if _base(f) not in chosen or rank < chosen[_base(f)][0]:
            chosen[_base(f)] = (rank, f)
    return [f for _, f in chosen.values()]


def with_variants(files: list[str]) -> list[str]:
    """`files` (relative to firmware/) with, after each X.c, the X_mve.c and X_dsp.c that exist."""
    root = data_dir("firmware")
    out = []
    for f in files:
        out.append(f)
        if f.endswith(".c"):
            out += [f[:-2] + s for s, _ in VARIANTS if (root / (f[:-2] + s)).is_file()]
    return out


__all__ = ["VARIANTS", "isa_variants", "with_variants"]
