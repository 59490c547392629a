"""The model id a firmware reports: `profile%` answers `m-model-[ID]`.

Benchmark runners pick their test by it: the MLPerf Tiny runner
(mlcommons/tiny benchmark/runner) looks the id up in its tests_*.yaml, which
know `kws01`, `vww01`, `ic01` and `ad01`. The id is, in this order:

- what `--model-id ID` says;
- the MLPerf Tiny id of the four int8 reference models, recognised by the
  sha256 of the .tflite file (the files in examples/mlperf-tiny/, unchanged
  from mlcommons/tiny);
- otherwise the model's name, with characters an id cannot carry replaced by `_`.

An id travels inside `[...]` on one protocol line and in `tg info`'s
`key=value,...` list, and is a C string literal in model.h: it is 1 to
MAX_LENGTH printable ASCII characters other than space and FORBIDDEN.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tinygen.errors import UsageError

MAX_LENGTH = 64
# `%` ends a command, `[` `]` delimit the answer, `,` separates tg info's fields,
# `"` and `\` would need escaping in model.h's string literal
FORBIDDEN = '%[],"\\'

# sha256 of the MLPerf Tiny int8 reference models (examples/mlperf-tiny/README.md) → their id
MLPERF_TINY_MODELS = {
    "aeea436800704fce17b17292e4412630ad856e9d777c044c64ef748a880bd0ae": "kws01",   # kws_ref_model.tflite
    "597a384c8c2c8a1276f04702f25013b7838f2f814f1ca7c174d295b73e3d6b7b": "vww01",   # vww_96_int8.tflite
    "3c002613d1b2475eb51dd78dfb85a546c8ae658dee71cf6ade43b022fe205415": "ic01",    # pretrainedResnet_quant.tflite
    "87cf24194ef93d1d9b11a591d805526b98008e351655d29883c825c9c106ba24": "ad01",    # ad01_int8.tflite
}
MLPERF_TINY_IDS = tuple(MLPERF_TINY_MODELS.values())

# where an id came from (the manifest's model_id_source)
FROM_OPTION = "given by --model-id"
FROM_MLPERF = "an MLPerf Tiny reference model, recognised by its sha256"
FROM_NAME = "the model's name"

_HINT = (f"use 1 to {MAX_LENGTH} printable ASCII characters other than space and {FORBIDDEN}, "
         f"e.g. --model-id kws01 (the MLPerf Tiny runner knows {', '.join(MLPERF_TINY_IDS)})")


def _bad_char(text: str) -> tuple[int, str] | None:
    for i, c in enumerate(text):
        if not ("!" <= c <= "~") or c in FORBIDDEN:
            return i, c
    return None


def check_model_id(text: str) -> str:
    """`text` if it is a valid model id; otherwise a UsageError saying what is wrong."""
    if not text:
        raise UsageError("--model-id is empty", _HINT)
    if len(text) > MAX_LENGTH:
        raise UsageError(f"model id {text[:20]!r}... has {len(text)} characters, more than {MAX_LENGTH}", _HINT)
    bad = _bad_char(text)
    if bad is not None:
        index, c = bad
        what = "a space" if c == " " else repr(c)
        raise UsageError(f"model id {text!r} has {what} at position {index + 1}, which profile% "
                         f"cannot carry inside m-model-[...]", _HINT)
    return text


def default_model_id(name: str) -> str:
    """A model name made into a valid id: forbidden characters become `_`."""
    text = "".join("_" if _bad_char(c) else c for c in name)[:MAX_LENGTH]
    return text or "model"


def mlperf_tiny_id(path: str | Path) -> str | None:
    """The MLPerf Tiny id of a reference model file (by its sha256), or None."""
    path = Path(path)
    if path.suffix != ".tflite" or not path.is_file():
        return None
    return MLPERF_TINY_MODELS.get(hashlib.sha256(path.read_bytes()).hexdigest())


def resolve_model_id(option: str | None, path: str | Path, name: str) -> tuple[str, str]:
    """(id, where it came from): --model-id, a reference model's hash, or the model name."""
    if option is not None:
        return check_model_id(option), FROM_OPTION
    known = mlperf_tiny_id(path)
    if known is not None:
        return known, FROM_MLPERF
    return default_model_id(name), FROM_NAME


__all__ = ["FORBIDDEN", "MAX_LENGTH", "MLPERF_TINY_IDS", "MLPERF_TINY_MODELS", "check_model_id",
           "default_model_id", "mlperf_tiny_id", "resolve_model_id"]
