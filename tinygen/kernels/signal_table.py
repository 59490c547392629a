"""KernelSpecs of TFLite Micro's signal library ops (firmware/kernels/signal/, declared in
firmware/kernels/support/tg_kernels_signal.h, parameters from tinygen.kernels.params_signal,
numpy twins in tinygen.ref.signal): portable C, one kernel per op, on plain integers.
tinygen.kernels.table appends them to its catalogue. The kernel's act_dtype is its output's,
in_dtype its first input's where they differ."""

from __future__ import annotations

from tinygen.kernels.spec import KernelSpec


# kissfft's arithmetic and complex FFT in each type, shared by the real FFT and its inverse
FFT_Q15 = {"headers": ("kernels/tg_fft_q15.h",), "calls": ("kernels/tg_complex_fft_q15.c",)}
FFT_Q31 = {"headers": ("kernels/tg_fft_q31.h",), "calls": ("kernels/tg_complex_fft_q31.c",)}
FFT_F32 = {"headers": ("kernels/tg_fft_f32.h",), "calls": ("kernels/tg_complex_fft_f32.c",)}
FFT_TABLES = ("twiddles", "super_twiddles", "order")


def _signal(name: str, op: str, out: str, struct: str, const_roles: tuple[str, ...] = (),
            in_dtype: str | None = None, **more) -> KernelSpec:
    return KernelSpec(name, op, act_dtype=out, in_dtype=in_dtype, struct=struct, const_roles=const_roles,
                      source=f"kernels/{name}.c", **more)


def signal_kernels() -> tuple[KernelSpec, ...]:
    return (
        _signal("tg_signal_window_s16", "signal_window", "int16", "tg_signal_window_params_t", ("weights",)),
        _signal("tg_signal_fft_auto_scale_shift_s16", "signal_fft_auto_scale_shift", "int32",
                "tg_signal_size_params_t", in_dtype="int16"),
        _signal("tg_signal_fft_auto_scale_s16", "signal_fft_auto_scale", "int16", "tg_signal_size_params_t"),
        *(_signal(f"tg_signal_{op}_{t}", f"signal_{op}", dtype, "tg_signal_rfft_params_t", FFT_TABLES, **fft)
          for t, dtype, fft in (("s16", "int16", FFT_Q15), ("s32", "int32", FFT_Q31), ("f32", "float32", FFT_F32))
          for op in ("rfft", "irfft")),
        _signal("tg_signal_energy_s16_u32", "signal_energy", "uint32", "tg_signal_energy_params_t", in_dtype="int16"),
    )
