"""Host builds of the audio front end (firmware/audio), called through ctypes.

`build(arithmetic, folder)` lays out the files a firmware gets (the front end's stages,
its driver, the detector) with tables generated for the KWS model's input grid
(tinygen.codegen.audio_tables), and compiles them with the strict flags into one shared library;
`FrontendLib` calls its functions with numpy arrays. The same C the firmware runs.
"""

from __future__ import annotations

import ctypes as C
import subprocess
from pathlib import Path

import numpy as np

from audio_data import KWS_SCALE, KWS_ZERO_POINT
from tinygen.ref import mfcc as fe
from tinygen.codegen.audio import Frontend
from tinygen.codegen.audio_tables import render_tables
from tinygen.codegen.firmware_files import copy_firmware

CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wconversion", "-Wdouble-promotion",
          "-shared", "-fPIC"]
RUNTIME_ONLY = ("audio/tg_audio_cmd.c",)     # needs the protocol runtime and a model: device tests cover it

# sizes and accessors C knows and Python should not guess
_SHIM = r"""
#include <stddef.h>
#include "tinygen/audio/tg_detector.h"
#include "tg_audio_tables.h"
size_t tgt_detector_size(void) { return sizeof(tg_detector); }
const int32_t *tgt_detector_sums(const tg_detector *d) { return d->sums; }
int tgt_detector_step(tg_detector *d, const int8_t *out, int32_t zp, uint64_t sample, int64_t *event)
{
    tg_detector_event e;
    int fired = tg_detector_step(d, out, zp, sample, &e);
    if (fired) { event[0] = e.label; event[1] = (int64_t)e.sample; event[2] = e.score; }
    return fired;
}
"""
# the I/O of the bare stage harnesses (tests/audio/test_audio_mve.py, test_audio_dsp.py): a
# stand-in's UART through its port, the host's stdout
DEVICE_IO = r"""
#include <stddef.h>
#include "tg_port.h"
void tgt_write(const char *s, size_t n) { tg_port_write(s, n); }
void tgt_init(void) { tg_port_init(); }
void tgt_exit(void) { tg_port_exit(0); }
"""
HOST_IO = r"""
#include <stdio.h>
void tgt_write(const char *s, size_t n) { fwrite(s, 1, n, stdout); }
void tgt_init(void) {}
void tgt_exit(void) { fflush(stdout); }
"""
_SHIM_Q31 = r"""
const uint32_t *tgt_log2_table(void) { return tg_audio_tables.log2_table; }
"""


def build(arithmetic: str, folder: Path, scale: float = KWS_SCALE, zero_point: int = KWS_ZERO_POINT,
          gains=None) -> Path:
    frontend = Frontend("mfcc", arithmetic)
    files = [f for f in frontend.firmware_files() if f not in RUNTIME_ONLY]
    sources = copy_firmware(files, folder)
    source, header = render_tables(frontend, scale, zero_point, gains)
    (folder / "tg_audio_tables.c").write_text(source)
    (folder / "tg_audio_tables.h").write_text(header)
    (folder / "shim.c").write_text(_SHIM + (_SHIM_Q31 if arithmetic == "q31" else ""))
    lib = folder / f"libtgaudio_{arithmetic}.so"
    proc = subprocess.run(["gcc", *CFLAGS, "-I.", "-o", lib.name, *sources, "tg_audio_tables.c", "shim.c"],
                          cwd=folder, capture_output=True, text=True)
    assert proc.returncode == 0, f"the {arithmetic} front end does not compile cleanly:\n{proc.stderr}"
    return lib


def _ptr(a: np.ndarray):
    assert a.flags["C_CONTIGUOUS"]
    return a.ctypes.data_as(C.c_void_p)


class FrontendLib:
    """One arithmetic's front end: clips, frames, stream windows, stages, the detector."""

    def __init__(self, path: Path, arithmetic: str):
        self.arithmetic = arithmetic
        self.lib = C.CDLL(str(path))
        self.tables = C.byref(C.c_char.in_dll(self.lib, "tg_audio_tables"))
        if arithmetic == "f32":
            self.lib.tg_log_f32.restype = self.lib.tg_sqrt_f32.restype = C.c_float
            self.lib.tg_log_f32.argtypes = self.lib.tg_sqrt_f32.argtypes = [C.c_float]
        else:
            self.lib.tg_log_q31.restype = C.c_int32
            self.lib.tg_log_q31.argtypes = [C.c_uint64, C.c_void_p]
            self.lib.tg_sqrt_u64.restype = C.c_uint32
            self.lib.tg_sqrt_u64.argtypes = [C.c_uint64, C.c_int32]
            self.lib.tgt_log2_table.restype = C.c_void_p
        self.lib.tgt_detector_size.restype = C.c_size_t
        self.lib.tgt_detector_sums.restype = C.POINTER(C.c_int32)
        self.scratch = np.zeros(4096, np.int32)      # larger than either scratch struct

    # -- the front end, as the firmware's driver calls it --------------------------------------
    def clip(self, samples: np.ndarray) -> np.ndarray:
        """tg_frontend_clip on a clip zero-padded like the device does: int8 [49, 10]."""
        x = fe.pad_clip(np.asarray(samples, np.int16))
        out = np.zeros(fe.NUM_FRAMES * fe.NUM_MFCC, np.int8)
        self.lib.tg_frontend_clip(_ptr(x), _ptr(out))
        return out.reshape(fe.NUM_FRAMES, fe.NUM_MFCC)

    def frame(self, frame: np.ndarray, divisor: int) -> np.ndarray:
        """One frame's 10 coefficients, the samples taken as sample / divisor (float64)."""
        x = np.ascontiguousarray(frame, np.int16)
        assert x.size == fe.FRAME_LENGTH
        if self.arithmetic == "f32":
            out = np.zeros(fe.NUM_MFCC, np.float32)
            self.lib.tg_mfcc_frame_f32(_ptr(x), C.c_float(np.float32(1.0) / np.float32(divisor)), self.tables,
                                       _ptr(self.scratch), _ptr(out))
            return out.astype(np.float64)
        out = np.zeros(fe.NUM_MFCC, np.int32)
        self.lib.tg_mfcc_frame_q31(_ptr(x), C.c_uint32(divisor), self.tables, _ptr(self.scratch), _ptr(out))
        return out / 2.0 ** 20

    def stream_frame(self, frame: np.ndarray, slot: int) -> None:
        self.lib.tg_frontend_stream_frame(_ptr(np.ascontiguousarray(frame, np.int16)), C.c_int32(slot))

    def stream_window(self, oldest: int) -> np.ndarray:
        out = np.zeros(fe.NUM_FRAMES * fe.NUM_MFCC, np.int8)
        self.lib.tg_frontend_stream_window(C.c_int32(oldest), _ptr(out))
        return out.reshape(fe.NUM_FRAMES, fe.NUM_MFCC)

    # -- stages ---------------------------------------------------------------------------------
    def log_f32(self, x: float) -> float:
        return self.lib.tg_log_f32(C.c_float(x))

    def sqrt_f32(self, x: float) -> float:
        return self.lib.tg_sqrt_f32(C.c_float(x))

    def log_q31(self, x: int) -> int:
        """ln(x) in Q24 through the generated log2 table."""
        return self.lib.tg_log_q31(C.c_uint64(x), self.lib.tgt_log2_table())

    def sqrt_u64(self, x: int, frac_bits: int) -> int:
        return self.lib.tg_sqrt_u64(C.c_uint64(x), C.c_int32(frac_bits))

    def cfft(self, z: np.ndarray, twiddles: np.ndarray) -> np.ndarray:
        """In place on a copy: z [n, 2] in bit-reversed order (float32 or int32)."""
        z = np.ascontiguousarray(z).copy()
        fn = self.lib.tg_cfft_f32 if self.arithmetic == "f32" else self.lib.tg_cfft_q31
        fn(_ptr(z), C.c_int32(len(z)), _ptr(np.ascontiguousarray(twiddles)))
        return z

    def rfft_mag(self, z: np.ndarray, split: np.ndarray, first: int, last: int) -> np.ndarray:
        z = np.ascontiguousarray(z)
        if self.arithmetic == "f32":
            mag = np.zeros(last - first + 1, np.float32)
            self.lib.tg_rfft_mag_f32(_ptr(z), C.c_int32(len(z)), _ptr(split), C.c_int32(first), C.c_int32(last),
                                     _ptr(mag))
            return mag.astype(np.float64)
        mag = np.zeros(last - first + 1, np.uint32)
        self.lib.tg_rfft_mag_q31(_ptr(z), C.c_int32(len(z)), _ptr(split), C.c_int32(first), C.c_int32(last),
                                 _ptr(mag))
        return mag / 4.0

    # -- the detector ---------------------------------------------------------------------------
    def detector(self, classes: int, smooth: int, threshold: int, refractory: int, keywords: int):
        state = (C.c_char * self.lib.tgt_detector_size())()
        self.lib.tg_detector_init(state, C.c_int32(classes), C.c_int32(smooth), C.c_uint32(threshold),
                                  C.c_uint32(refractory), C.c_uint32(keywords))
        return state

    def detector_step(self, state, output: np.ndarray, zero_point: int, sample: int):
        """(sums, (label, sample, score) or None)."""
        event = np.zeros(3, np.int64)
        out = np.ascontiguousarray(output, np.int8)
        fired = self.lib.tgt_detector_step(state, _ptr(out), C.c_int32(zero_point), C.c_uint64(sample), _ptr(event))
        sums = np.ctypeslib.as_array(self.lib.tgt_detector_sums(state), shape=(out.size,)).astype(np.int64)
        return sums, (tuple(int(v) for v in event) if fired else None)
