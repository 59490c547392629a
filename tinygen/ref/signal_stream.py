"""numpy twins of the kernels for TFLite Micro's streaming signal operators
(firmware/kernels/signal/tg_kernels_signal_stream.h): tg_signal_delay_s16. Named like the C kernel
minus ``tg_``; each takes the kernel's parameter struct as a dict (tinygen.kernels.params_signal_stream)
and its state as the words the interpreter keeps (updated in place)."""

from __future__ import annotations

import numpy as np


def signal_delay_s16(p: dict, x, state) -> np.ndarray:
    """SignalDelay: each of the `rows` rows of frame_size int16 samples continues a stream whose
    last delay_length samples (zeros after a reset) the state holds: the output row is the
    stream's frame_size oldest samples not yet given out, the state its delay_length newest."""
    rows, frame, delay = p["rows"], p["frame_size"], p["delay_length"]
    held = state.view(np.int16).reshape(rows, delay)
    stream = np.concatenate([held, np.asarray(x, np.int16).reshape(rows, frame)], axis=1)
    held[...] = stream[:, frame:]
    return stream[:, :frame].reshape(-1).copy()
