"""KernelSpecs of the filter-bank half of TFLite Micro's signal library (firmware/kernels/signal/,
declared in tg_kernels_signal_bank.h, parameters from tinygen.kernels.params_signal_bank, numpy
twins in tinygen.ref.signal_bank): portable C, one kernel per IR op, on plain integers.
tinygen.kernels.table appends them to its catalogue. act_dtype is the output's, in_dtype the first
input's where it differs.

The noise estimate keeps its state (num_channels uint32) in the arena's persistent region
(KernelSpec.state) and carries it over invocations; tg_model_reset_state() zeroes it (KernelSpec.reset)."""

from __future__ import annotations

from tinygen.kernels.spec import KernelSpec

HEADER = "kernels/tg_kernels_signal_bank.h"


def noise_state_bytes(p: dict) -> int:
    """The noise estimate's state: one uint32 per channel."""
    return 4 * int(p["num_channels"])


def _bank(name: str, op: str, out: str, struct: str, const_roles: tuple[str, ...] = (), in_dtype: str | None = None,
          **extra) -> KernelSpec:
    return KernelSpec(name, op, act_dtype=out, in_dtype=in_dtype, struct=struct, const_roles=const_roles,
                      source=f"kernels/{name}.c", headers=(HEADER,), **extra)


def signal_bank_kernels() -> tuple[KernelSpec, ...]:
    subtraction = "tg_spectral_subtraction_params_t"
    return (
        _bank("tg_filter_bank_u32_u64", "signal_filter_bank", "uint64", "tg_filter_bank_params_t",
              ("weights", "unweights", "freq_starts", "weight_starts", "widths"), in_dtype="uint32"),
        _bank("tg_filter_bank_sqrt_u64_u32", "signal_filter_bank_sqrt", "uint32", "tg_filter_bank_sqrt_params_t",
              in_dtype="uint64"),
        _bank("tg_noise_estimate_u32", "signal_noise_estimate", "uint32", subtraction, state=noise_state_bytes,
              reset="tg_noise_estimate_reset_u32", calls=("kernels/tg_noise_estimate_reset_u32.c",)),
        _bank("tg_spectral_subtraction_u32", "signal_spectral_subtraction", "uint32", subtraction),
        _bank("tg_pcan_u32", "signal_pcan", "uint32", "tg_pcan_params_t", ("gain_lut",)),
        _bank("tg_filter_bank_log_u32_s16", "signal_filter_bank_log", "int16", "tg_filter_bank_log_params_t",
              ("log_lut",), in_dtype="uint32"),
    )
