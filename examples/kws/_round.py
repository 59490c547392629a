"""Training the wake word on another machine (a CUDA device without espeak-ng or the corpus):
everything _wake.train reads, exported to one file here and imported there
(examples/kws/wakeword_kws.py `--export` / `--train-from`)."""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path

import numpy as np

import _wake

C0_STEP = 1 / 256                     # coefficient 0 of an exported recording's frames, in int16 steps of this


def export_training(path: Path) -> Path:
    """Everything train() reads, in one .npz compressed with LZMA (smaller than
    np.savez_compressed's deflate; np.load reads it), for a machine without espeak-ng or the
    corpus (`wakeword_kws.py --export FILE`, then `--train-from FILE` there): the training
    clips' features as float16; each training recording's frames with coefficient 0 in int16
    steps of C0_STEP and each other coefficient in int8 steps of its own range / 127 (a
    recording's own steps stored beside it), its peaks and its window labels."""
    cx, cy = _wake.training_clips()
    out: dict[str, np.ndarray] = {"clips": cx.astype(np.float16), "clip_labels": cy.astype(np.int8)}
    for i, spec in enumerate(_wake.training_recordings()):
        d = _wake.stream_data(spec)
        steps = np.maximum(np.abs(d.mfcc[:, 1:]).max(axis=0), 1e-9) / 127
        out[f"r{i}_c0"] = np.round(d.mfcc[:, 0] / C0_STEP).astype(np.int16)
        out[f"r{i}_rest"] = np.round(d.mfcc[:, 1:] / steps).astype(np.int8)
        out[f"r{i}_steps"] = steps
        out[f"r{i}_peaks"] = d.peaks.astype(np.uint16)
        out[f"r{i}_labels"] = d.labels.astype(np.int8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial.npz")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_LZMA) as z:
        for name, array in out.items():
            with z.open(f"{name}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asarray(array), allow_pickle=False)
    tmp.replace(path)
    return path


def import_training(path: Path) -> tuple[tuple[np.ndarray, np.ndarray], list[_wake.StreamData]]:
    """export_training's file -> train()'s clips and recordings (frames as stored: within half
    a step of the recordings' own)."""
    with np.load(path) as z:
        clips = (z["clips"].astype(np.float32), z["clip_labels"].astype(np.int64))
        recordings = []
        for i in itertools.count():
            if f"r{i}_c0" not in z.files:
                break
            mfcc = np.concatenate([z[f"r{i}_c0"][:, None] * C0_STEP, z[f"r{i}_rest"] * z[f"r{i}_steps"]], axis=1)
            recordings.append(_wake.StreamData(mfcc, z[f"r{i}_peaks"].astype(np.int64), z[f"r{i}_labels"].astype(np.int64),
                                               None, []))
    return clips, recordings
