"""KernelSpecs of TFLite Micro's streaming signal operators (firmware/kernels/signal/, declared in
tg_kernels_signal_stream.h, parameters from tinygen.kernels.params_signal_stream, numpy twins in
tinygen.ref.signal_stream): portable C whose state lives in the arena's persistent region
(KernelSpec.state), carried over invocations, put back by tg_model_reset_state() (KernelSpec.reset).
tinygen.kernels.table appends them to its catalogue."""

from __future__ import annotations

from tinygen.kernels.spec import KernelSpec
from tinygen.ref.signal_stream import RING_HEAD

HEADER = "kernels/tg_kernels_signal_stream.h"


def delay_state_bytes(p: dict) -> int:
    """SignalDelay's state: delay_length int16 samples per row."""
    return 2 * int(p["rows"]) * int(p["delay_length"])


def framer_state_bytes(p: dict) -> int:
    """SignalFramer's: the ring head, then a ring buffer of capacity int16 samples per row."""
    return 2 * (RING_HEAD + int(p["rows"]) * int(p["capacity"]))


def stacker_state_bytes(p: dict) -> int:
    """SignalStacker's: the ring head, then its ring buffer of size int16 values."""
    return 2 * (RING_HEAD + int(p["size"]))


def overlap_add_state_bytes(p: dict) -> int:
    """SignalOverlapAdd's: a buffer of frame_size int16 samples per row."""
    return 2 * int(p["rows"]) * int(p["frame_size"])


def overlap_add_f32_state_bytes(p: dict) -> int:
    """... of float32 samples."""
    return 4 * int(p["rows"]) * int(p["frame_size"])


def circular_buffer_state_bytes(p: dict) -> int:
    """CIRCULAR_BUFFER's: its window of slots frames of depth int8 values."""
    return int(p["slots"]) * int(p["depth"])


def _stateful(name: str, op: str, struct: str, state, dtype: str = "int16") -> KernelSpec:
    suffix = "_" + name.rsplit("_", 1)[1]
    reset = name.replace(suffix, "_reset" + suffix)
    return KernelSpec(name, op, act_dtype=dtype, struct=struct, source=f"kernels/{name}.c", headers=(HEADER,),
                      state=state, reset=reset, calls=(f"kernels/{reset}.c",))


def signal_stream_kernels() -> tuple[KernelSpec, ...]:
    return (_stateful("tg_signal_delay_s16", "signal_delay", "tg_signal_delay_params_t", delay_state_bytes),
            _stateful("tg_signal_framer_s16", "signal_framer", "tg_signal_framer_params_t", framer_state_bytes),
            _stateful("tg_signal_stacker_s16", "signal_stacker", "tg_signal_stacker_params_t", stacker_state_bytes),
            _stateful("tg_signal_overlap_add_s16", "signal_overlap_add", "tg_signal_overlap_add_params_t",
                      overlap_add_state_bytes),
            _stateful("tg_signal_overlap_add_f32", "signal_overlap_add", "tg_signal_overlap_add_params_t",
                      overlap_add_f32_state_bytes, "float32"),
            _stateful("tg_circular_buffer_s8", "circular_buffer", "tg_circular_buffer_params_t",
                      circular_buffer_state_bytes, "int8"),
            # the valid flag of a framer or stacker (the state it reads is theirs: attr state_of)
            KernelSpec("tg_signal_stream_valid", "signal_stream_valid", act_dtype="bool", in_dtype="int16",
                       struct="tg_signal_stream_valid_params_t", source="kernels/tg_signal_stream_valid.c",
                       headers=(HEADER,)))
