"""The contact sheet of a camera run (`tinygen hil --sheet FILE.png`): per frame, the frame
as the camera delivered it (decoded from its format, the region that became the model's
input outlined), the model input the device computed from it (its int8 values read back
with `tg input`, shown as pixels), and the answer with its score."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinygen.ref import camera as twin
from tinygen.vision.frames import FrameSet

CELLS_PER_ROW = 3


def decoded(frame: bytes, frames: FrameSet) -> np.ndarray:
    """The whole frame as 8-bit RGB, as the device's unpacking sees it."""
    rows = np.frombuffer(frame, np.uint8).reshape(frames.height, -1)
    return twin.unpack(rows, frames.fmt, 0, frames.width, 3)


def input_pixels(q: np.ndarray, graph) -> np.ndarray:
    """The device's int8 input back to 8-bit pixels (through the input's scale and zero point
    and the build's pixel range): what the model was shown."""
    qp = graph.tensor(graph.inputs[0]).qparams
    lo, hi = graph.meta["camera"].spec.pixel_range
    real = float(qp.scale[0]) * (q.astype(np.float64) - int(qp.zero_point[0]))
    return np.clip(np.rint((real - lo) / (hi - lo) * 255), 0, 255).astype(np.uint8)


def contact_sheet(run, frames: FrameSet, graph, path: str | Path) -> str:
    """Write the sheet; returns a line saying where (or why it was skipped)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle
    except ImportError:
        return f"contact sheet skipped: matplotlib is not installed — {path} not written"
    n = run.samples
    cols = min(CELLS_PER_ROW, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, 2 * cols, figsize=(4.6 * cols, 2.35 * rows + 0.5), squeeze=False,
                             gridspec_kw={"width_ratios": [4 / 3, 1] * cols})
    for ax in axes.ravel():
        ax.axis("off")
    classes = frames.classes
    for i in range(n):
        a_frame, a_input = axes[i // cols, 2 * (i % cols)], axes[i // cols, 2 * (i % cols) + 1]
        a_frame.imshow(decoded(frames.frames[i], frames))
        crop = run.crops[i]
        a_frame.add_patch(Rectangle((crop.x - 0.5, crop.y - 0.5), crop.w, crop.h, fill=False, ec="#ffd000", lw=1.2))
        # a streamed input is never whole on the device: the twin's, which its outputs were checked on
        shown = run.device_inputs[i] if run.device_inputs[i] is not None else run.inputs[i]
        pixels = input_pixels(shown, graph)
        a_input.imshow(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels, cmap="gray", vmin=0, vmax=255,
                       interpolation="nearest")
        pred = run.predictions[i]
        answer = classes[pred] if classes else str(pred)
        line = f"{answer} {run.scores[i][pred]:.2f}"
        colour = "black"
        if frames.labels is not None:
            right = int(frames.labels[i]) == pred
            colour = "#1a7f37" if right else "#cf222e"
            line += "" if right else f" (label: {classes[int(frames.labels[i])] if classes else frames.labels[i]})"
        a_frame.set_title(frames.names[i], fontsize=8, loc="left")
        a_input.set_title(line, fontsize=8, color=colour, loc="left")
    h, w = run.inputs[0].shape[:2] if n else (0, 0)
    whose = "the twin computed (the device streams it in)" if n and run.device_inputs[0] is None else \
        "the device computed"
    fig.suptitle(f"{frames.width}x{frames.height} {frames.fmt.name} frames (region outlined) and the {w}x{h} "
                 f"model input {whose}, with its answer", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"contact sheet written to {path}"


__all__ = ["contact_sheet", "decoded", "input_pixels"]
