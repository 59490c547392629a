"""tg_audio_tables.c / .h: the front end's tables (tinygen.kernels.mfcc_tables) as const C arrays
and the tables struct of firmware/audio/tg_audio.h. Everything the templates print is
formatted here (tinygen.codegen.cformat); templates/tg_audio_tables.*.j2 only loop."""

from __future__ import annotations

import numpy as np

from tinygen import __version__
from tinygen.codegen.cformat import C_TYPES, c_array_body, c_float, c_float_array_body, c_int
from tinygen.codegen.templating import template_env

STRUCTS = {"f32": "tg_mfcc_tables_f32", "q31": "tg_mfcc_tables_q31"}
COMMENTS = {
    "window": "periodic Hann window, 480 points (frontend.hann_window)",
    "bitrev": "bit reversal of 0..255: where the complex FFT's input pair j goes",
    "twiddles": "(re, im) of exp(-2 pi i j / 256), j = 0..127: the complex FFT's twiddles",
    "split": "(re, im) of exp(-2 pi i k / 512), k = 0..bin_last: the real FFT's split step",
    "mel_start": "first bin of each mel filter (frontend.mel_runs)",
    "mel_length": "bins of each mel filter",
    "mel_weights": "the mel filters' weights, filter after filter (frontend.mel_matrix's nonzero runs)",
    "dct": "scaled DCT-II, [40][10] row-major (frontend.dct_matrix)",
    "log2_table": "log2(1 + i / 256), i = 0..256 (tg_log_q31)",
    "input_scale": "each coefficient's step on the model input's int8 grid (scale / feature gain)",
    "inv_scale": "round(2^inv_scale_shift / step), per coefficient (the step: scale / feature gain)",
    "inv_scale_shift": "the shift of each coefficient's inv_scale",
}
FORMATS = {"f32": {}, "q31": {"window": "Q30", "twiddles": "Q31", "split": "Q31", "mel_weights": "Q28",
                              "dct": "Q28", "log2_table": "Q30"}}
_INT_TYPES = {np.dtype(k): v for k, v in C_TYPES.items()} | {np.dtype("uint16"): "uint16_t"}


def _array(name: str, data: np.ndarray, arithmetic: str) -> dict:
    data = np.asarray(data)
    fmt = FORMATS[arithmetic].get(name)
    comment = COMMENTS[name] + (f", {fmt}" if fmt else "")
    if data.dtype == np.float32:
        ctype, body = "float", c_float_array_body(data)
    else:
        ctype = _INT_TYPES[data.dtype]
        body = c_array_body(data.astype(np.int64), per_line=8 if data.dtype.itemsize >= 4 else 16)
    return {"name": f"tg_audio_{name}", "ctype": ctype, "length": data.size, "body": body,
            "comment": comment, "nbytes": data.nbytes}


def _scalar(name: str, value) -> str:
    if name == "eps_q62":
        return f".{name} = {int(value)}ull,"
    if isinstance(value, float):
        return f".{name} = {c_float(value)},"
    return f".{name} = {c_int(value)},"


def render_tables(frontend, input_scale: float, input_zero_point: int, gains=None) -> tuple[str, str]:
    """(tg_audio_tables.c, tg_audio_tables.h) of `frontend` (tinygen.codegen.audio.Frontend) for a
    model input on the int8 grid (input_scale, input_zero_point), coefficient k's step
    input_scale / gains[k] where the model gives feature_gains()."""
    arithmetic = frontend.arithmetic
    tables = frontend.tables(input_scale, input_zero_point, gains)
    arrays = [_array(k, v, arithmetic) for k, v in tables.items() if isinstance(v, np.ndarray)]
    fields = []
    for key, value in tables.items():
        if key.startswith("mel_"):
            continue
        fields.append(f".{key} = tg_audio_{key}," if isinstance(value, np.ndarray) else _scalar(key, value))
    fields.append(".mel = {.start = tg_audio_mel_start, .length = tg_audio_mel_length, "
                  ".weights = tg_audio_mel_weights},")
    struct = STRUCTS[arithmetic]
    data = {"name": frontend.name, "version": __version__, "struct": struct, "arrays": arrays, "fields": fields,
            "nbytes": sum(a["nbytes"] for a in arrays), "input_scale": repr(float(input_scale)),
            "input_zero_point": int(input_zero_point)}
    env = template_env()
    return (env.get_template("tg_audio_tables.c.j2").render(**data),
            env.get_template("tg_audio_tables.h.j2").render(**data))


__all__ = ["render_tables"]
