"""KernelSpecs of TFLite Micro's streaming signal operators (firmware/kernels/signal/, declared in
tg_kernels_signal_stream.h, parameters from tinygen.kernels.params_signal_stream, numpy twins in
tinygen.ref.signal_stream): portable C whose state lives in the arena's persistent region
(KernelSpec.state), carried over invocations, zeroed by tg_model_reset_state() (KernelSpec.reset).
tinygen.kernels.table appends them to its catalogue."""

from __future__ import annotations

from tinygen.kernels.spec import KernelSpec

HEADER = "kernels/tg_kernels_signal_stream.h"


def delay_state_bytes(p: dict) -> int:
    """SignalDelay's state: delay_length int16 samples per row."""
    return 2 * int(p["rows"]) * int(p["delay_length"])


def signal_stream_kernels() -> tuple[KernelSpec, ...]:
    return (KernelSpec("tg_signal_delay_s16", "signal_delay", act_dtype="int16", struct="tg_signal_delay_params_t",
                       source="kernels/tg_signal_delay_s16.c", headers=(HEADER,), state=delay_state_bytes,
                       reset="tg_signal_delay_reset_s16", calls=("kernels/tg_signal_delay_reset_s16.c",)),)
