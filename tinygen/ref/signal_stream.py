"""numpy twins of the kernels for TFLite Micro's streaming signal operators
(firmware/kernels/signal/tg_kernels_signal_stream.h): tg_signal_delay_s16, tg_signal_framer_s16,
tg_signal_stacker_s16, tg_signal_stream_valid, tg_signal_overlap_add_s16 (and _f32), tg_circular_buffer_s8 and the
resets that give
their state its start. Named like the C kernel minus ``tg_``; each takes the kernel's parameter
struct as a dict (tinygen.kernels.params_signal_stream) and its state as the words the interpreter
keeps (updated in place).

The framer's and stacker's state: RING_HEAD int16 words (the samples held, the valid flag, whether
the stacker has had its first frame, one unused), then the ring buffers, oldest sample first."""

from __future__ import annotations

import numpy as np

RING_HEAD = 4           # int16 words before a framer's or stacker's ring buffers
COUNT, VALID, STARTED = 0, 1, 2


def signal_delay_s16(p: dict, x, state) -> np.ndarray:
    """SignalDelay: each of the `rows` rows of frame_size int16 samples continues a stream whose
    last delay_length samples (zeros after a reset) the state holds: the output row is the
    stream's frame_size oldest samples not yet given out, the state its delay_length newest."""
    rows, frame, delay = p["rows"], p["frame_size"], p["delay_length"]
    held = state.view(np.int16).reshape(rows, delay)
    stream = np.concatenate([held, np.asarray(x, np.int16).reshape(rows, frame)], axis=1)
    held[...] = stream[:, frame:]
    return stream[:, :frame].reshape(-1).copy()


def signal_framer_reset_s16(p: dict, state) -> None:
    """The ring buffers empty (zeros), or holding frame_size - frame_step zeros with prefill."""
    words = state.view(np.int16)
    words[:] = 0
    words[COUNT] = p["frame_size"] - p["frame_step"] if p["prefill"] else 0


def signal_framer_s16(p: dict, x, state) -> np.ndarray:
    """SignalFramer: per row, per frame_step samples of it: the samples join the row's ring buffer
    (capacity samples); where it then holds frame_size or more, the frame is its frame_size oldest
    and the frame_step oldest leave, else the frame is zeros and the valid flag false."""
    rows, n, size, step, cap = p["rows"], p["n_frames"], p["frame_size"], p["frame_step"], p["capacity"]
    words = state.view(np.int16)
    rings = words[RING_HEAD:].reshape(rows, cap)
    x = np.asarray(x, np.int16).reshape(rows, n, step)
    out = np.zeros((rows, n, size), np.int16)
    valid, count = 1, int(words[COUNT])
    for r in range(rows):
        count = int(words[COUNT])
        for f in range(n):
            rings[r, count:count + step] = x[r, f]
            count += step
            if count >= size:
                out[r, f] = rings[r, :size]
                rings[r, :count - step] = rings[r, step:count].copy()
                count -= step
            else:
                valid = 0
    words[COUNT], words[VALID] = count, valid
    return out.reshape(-1)


def signal_stacker_reset_s16(p: dict, state) -> None:
    """The ring buffer empty, no first frame yet."""
    state.view(np.int16)[:] = 0


def signal_stacker_s16(p: dict, x, state) -> np.ndarray:
    """SignalStacker: the num_channels values join the ring buffer (at the first frame, followed
    by left_context copies of them); where it then holds size = num_channels * (left + right + 1)
    values, the output is the size oldest and step * num_channels leave, else zeros and the flag
    false."""
    channels, size, drop = p["num_channels"], p["size"], p["num_channels"] * p["step"]
    words = state.view(np.int16)
    ring, count = words[RING_HEAD:], int(words[COUNT])
    x = np.asarray(x, np.int16).reshape(-1)
    copies = 1 if words[STARTED] else 1 + p["left_context"]
    for _ in range(copies):
        ring[count:count + channels] = x
        count += channels
    words[STARTED] = 1
    out = np.zeros(size, np.int16)
    words[VALID] = int(count >= size)
    if count >= size:
        out[:] = ring[:size]
        ring[:count - drop] = ring[drop:count].copy()
        count -= drop
    words[COUNT] = count
    return out


def signal_stream_valid(p: dict, frames, state) -> np.ndarray:
    """A framer's or stacker's valid output: the flag its kernel left in the state (`state`: that
    node's words)."""
    return np.array(bool(state.view(np.int16)[p["flag"]]))


def signal_overlap_add_reset_s16(p: dict, state) -> None:
    state.view(np.int16)[:] = 0


def signal_overlap_add_s16(p: dict, x, state) -> np.ndarray:
    """SignalOverlapAdd: per row, each frame of frame_size samples is added into the row's buffer
    (int16, saturated); its frame_step oldest samples are given out and leave, zeros come in."""
    rows, n, size, step = p["rows"], p["n_frames"], p["frame_size"], p["frame_step"]
    buffers = state.view(np.int16).reshape(rows, size)
    x = np.asarray(x, np.int16).reshape(rows, n, size)
    out = np.zeros((rows, n, step), np.int16)
    for r in range(rows):
        for f in range(n):
            buffers[r] = np.clip(buffers[r].astype(np.int32) + x[r, f], -32768, 32767)
            out[r, f] = buffers[r, :step]
            buffers[r, :size - step] = buffers[r, step:].copy()
            buffers[r, size - step:] = 0
    return out.reshape(-1)


def signal_overlap_add_reset_f32(p: dict, state) -> None:
    state.view(np.float32)[:] = 0


def signal_overlap_add_f32(p: dict, x, state) -> np.ndarray:
    """SignalOverlapAdd on float32: signal_overlap_add_s16's steps, each frame added into the
    buffer in float32 (no saturation)."""
    rows, n, size, step = p["rows"], p["n_frames"], p["frame_size"], p["frame_step"]
    buffers = state.view(np.float32).reshape(rows, size)
    x = np.asarray(x, np.float32).reshape(rows, n, size)
    out = np.zeros((rows, n, step), np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        for r in range(rows):
            for f in range(n):
                buffers[r] = buffers[r] + x[r, f]
                out[r, f] = buffers[r, :step]
                buffers[r, :size - step] = buffers[r, step:].copy()
                buffers[r, size - step:] = 0
    return out.reshape(-1)


def circular_buffer_reset_s8(p: dict, state) -> None:
    """The window at the output's zero point (TFLite Micro's starts as its arena held it)."""
    state.view(np.int8)[:] = p["fill"]


def circular_buffer_s8(p: dict, x, state) -> np.ndarray:
    """CIRCULAR_BUFFER: the window's oldest frame of `depth` int8 values leaves, x joins last; the
    output is the window (slots * depth values)."""
    window = state.view(np.int8)
    window[:-p["depth"]] = window[p["depth"]:].copy()
    window[-p["depth"]:] = np.asarray(x, np.int8).reshape(-1)
    return window.copy()
