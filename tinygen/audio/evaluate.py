"""Keyword-spotting accuracy on the host: a compiled graph on clips, in clip mode and in
stream mode.

    x = clip_inputs(graph, clips)                  # int8 [N, 49, 10]: frontend.features, per clip
    y = stream_inputs(graph, clips)                # int8 [N, 49, 10]: stream.window_input over the frames
    pred = predict(graph, x)                       # reference interpreter, argmax
    cost = normalisation_cost(graph, clips, labels)

Clip mode normalises each clip by its own largest sample before the MFCCs (as the MLPerf
Tiny training code does); stream mode computes every frame's MFCCs once at a fixed gain
and normalises a window afterwards, through coefficient 0, by the largest sample of its 49
frames (tinygen.audio.stream). On the same 16,000 samples the two differ where the log's
1e-6 offset matters (near-digital silence), by the 160 samples past the last frame that
the clip's peak sees and the window's does not, and by rounding: `normalisation_cost`
measures what that costs in accuracy, on the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygen.audio import stream as st
from tinygen.ref import mfcc as fe


def clip_inputs(graph, clips: np.ndarray) -> np.ndarray:
    """Clip mode: int8 [N, 49, 10] on the model input's grid."""
    scales, zp = st.input_grid(graph)
    return np.stack([fe.quantize(fe.features(c), scales, zp) for c in clips])


def stream_inputs(graph, clips: np.ndarray) -> np.ndarray:
    """Stream mode on each clip's 49 frames: fixed-gain MFCCs, the window normalised by its
    frames' largest sample (the window a stream that holds exactly this clip would see)."""
    config = st.StreamConfig.for_graph(graph)
    out = []
    for c in clips:
        framed = fe.frames(fe.pad_clip(np.asarray(c, np.int16)).astype(np.float64)).astype(np.int16)
        mfccs, peaks = zip(*(st.frame_mfcc(f) for f in framed))
        out.append(st.window_input(np.array(mfccs), np.array(peaks), config))
    return np.stack(out)


def outputs(graph, inputs: np.ndarray) -> np.ndarray:
    """The reference interpreter's int8 outputs [N, classes]."""
    from tinygen.ref.interpreter import run

    shape = graph.tensor(graph.inputs[0]).shape
    return np.stack([run(graph, x.reshape(shape))[graph.outputs[0]].reshape(-1) for x in inputs])


def predict(graph, inputs: np.ndarray) -> np.ndarray:
    return outputs(graph, inputs).argmax(axis=1)


@dataclass
class NormalisationCost:
    clips: int
    clip_accuracy: float
    stream_accuracy: float
    agreement: float              # same prediction in both modes
    inputs_equal: float           # windows whose int8 input equals clip mode's exactly
    values_differ: float          # share of the int8 input values that differ
    max_difference: int           # largest |difference| of an input value

    def text(self) -> str:
        return (f"{self.clips} clips: clip mode {self.clip_accuracy:.2%}, stream mode {self.stream_accuracy:.2%} "
                f"({(self.stream_accuracy - self.clip_accuracy) * 100:+.2f} points); same prediction on "
                f"{self.agreement:.2%}; identical int8 windows {self.inputs_equal:.2%}, values differing "
                f"{self.values_differ:.3%} (at most by {self.max_difference})")


def normalisation_cost(graph, clips: np.ndarray, labels: np.ndarray) -> NormalisationCost:
    """Accuracy of the same clips in clip mode and in stream mode."""
    a, b = clip_inputs(graph, clips), stream_inputs(graph, clips)
    pa, pb = predict(graph, a), predict(graph, b)
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return NormalisationCost(len(clips), float(np.mean(pa == labels)), float(np.mean(pb == labels)),
                             float(np.mean(pa == pb)), float(np.mean(diff.reshape(len(clips), -1).max(1) == 0)),
                             float(np.mean(diff > 0)), int(diff.max()) if diff.size else 0)


def confusion(labels: np.ndarray, predictions: np.ndarray, classes: int) -> np.ndarray:
    """[true, predicted] counts."""
    m = np.zeros((classes, classes), np.int64)
    np.add.at(m, (np.asarray(labels), np.asarray(predictions)), 1)
    return m


__all__ = ["NormalisationCost", "clip_inputs", "confusion", "normalisation_cost", "outputs", "predict",
           "stream_inputs"]
