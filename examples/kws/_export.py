"""The wake word's training data on its way to another machine (a CUDA device without
espeak-ng or the corpus: examples/kws/_round.py trains there).

`export_training(FOLDER)` writes everything _wake.train reads and the validation recordings
into FOLDER/part-1.npz, part-2.npz, ..., each small enough to travel to a lent machine with the
working tree in one call (part_bytes); `import_training(FOLDER)` reads them back there.
"""

from __future__ import annotations

import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import _wake
from tinygen.audio import stream as st

C0_STEP = 1 / 256                     # coefficient 0 of an exported recording's frames, in int16 steps of this
TRAVELS = 64 * 2 ** 20                # a lent machine takes this much of working tree and carried files a call
PART_BYTES = 28 * 2 ** 20             # where git cannot say what travels (part_bytes)
LZMA_KEEPS = 0.7                      # of the integer arrays' bytes, about (0.67 measured on the recordings')


def _pack(out: dict, key: str, d: _wake.StreamData, exact: bool = False) -> None:
    """A recording's frames with coefficient 0 in int16 steps of C0_STEP and each other
    coefficient in int8 steps of its own range / 127 (the steps stored beside it), or with
    `exact` as float32 (the validation's: scored there as here); its peaks and window labels."""
    if exact:
        out[f"{key}_mfcc"] = d.mfcc.astype(np.float32)
    else:
        steps = np.maximum(np.abs(d.mfcc[:, 1:]).max(axis=0), 1e-9) / 127
        out[f"{key}_c0"] = np.round(d.mfcc[:, 0] / C0_STEP).astype(np.int16)
        out[f"{key}_rest"] = np.round(d.mfcc[:, 1:] / steps).astype(np.int8)
        out[f"{key}_steps"] = steps
    out[f"{key}_peaks"] = d.peaks.astype(np.uint16)
    out[f"{key}_labels"] = d.labels.astype(np.int8)


def _unpack(z, key: str) -> _wake.StreamData:
    if f"{key}_mfcc" in z.files:
        mfcc = z[f"{key}_mfcc"].astype(np.float64)
    else:
        mfcc = np.concatenate([z[f"{key}_c0"][:, None] * C0_STEP, z[f"{key}_rest"] * z[f"{key}_steps"]], axis=1)
    return _wake.StreamData(mfcc, z[f"{key}_peaks"].astype(np.int64), z[f"{key}_labels"].astype(np.int64), None, [])


def _write(path: Path, arrays: dict[str, np.ndarray]) -> int:
    """One .npz compressed with LZMA (smaller than np.savez_compressed's deflate; np.load
    reads it), written whole or not at all; its size in bytes."""
    tmp = path.with_name(path.name + ".partial.npz")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_LZMA) as z:
        for name, array in arrays.items():
            with z.open(f"{name}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asarray(array), allow_pickle=False)
    tmp.replace(path)
    return path.stat().st_size


def part_bytes() -> int:
    """The largest part that travels with this working tree in one call: TRAVELS less the files
    git would send (tracked, and untracked ones it does not ignore) and 1 MiB; PART_BYTES where
    git cannot tell."""
    root = Path(__file__).resolve().parents[2]
    try:
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                capture_output=True, check=True).stdout.split(b"\0")
    except (OSError, subprocess.CalledProcessError):
        return PART_BYTES
    tree = sum((root / name.decode()).stat().st_size for name in listed if name and (root / name.decode()).is_file())
    return max(TRAVELS - tree - 2 ** 20, 4 * 2 ** 20)


def _compressed(arrays: dict[str, np.ndarray]) -> float:
    """About the bytes LZMA makes of the arrays: integers to LZMA_KEEPS, floats kept whole."""
    return sum(a.nbytes * (1.0 if a.dtype.kind == "f" else LZMA_KEEPS) for a in arrays.values())


def export_training(folder: Path, more: bool = True, limit: int | None = None) -> list[Path]:
    """The training clips' features (float16), the validation recordings (frames as float32,
    labels, the keywords spoken and the length) and every training recording (the shipped
    recipe's, then with `more` MORE's, each marked) into folder/part-K.npz, a part closed before another
    recording would take it over `limit` bytes (part_bytes(): so that each part travels to a
    lent machine in one call, with the working tree) and before MORE's first (a round without
    MORE's reads the parts before). Parts of an earlier export go."""
    folder, limit = Path(folder), limit or part_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.npz"):
        old.unlink()
    cx, cy = _wake.training_clips()
    out: dict[str, np.ndarray] = {"clips": cx.astype(np.float16), "clip_labels": cy.astype(np.int8)}
    for i, spec in enumerate(_wake.VALIDATION):
        d = _wake.stream_data(spec, with_samples=True)
        _pack(out, f"v{i}", d, exact=True)
        out[f"v{i}_words"] = np.array([t.label for t in d.truth])
        out[f"v{i}_spans"] = np.array([[t.start, t.end] for t in d.truth]).reshape(-1, 2)
        out[f"v{i}_samples"] = np.array(len(d.samples))
    specs = [(s, False) for s in _wake.training_recordings()] + [(s, True) for s in _wake.more_recordings() if more]
    paths = []
    for i, (spec, extra) in enumerate(specs):
        _pack(out, f"r{i}", _wake.stream_data(spec))
        out[f"r{i}_more"] = np.array(extra)
        one = _compressed({k: a for k, a in out.items() if k.startswith(f"r{i}_")})
        last = i == len(specs) - 1 or specs[i + 1][1] != extra              # MORE's begin in a part of their own
        if _compressed(out) + one >= limit or last:
            paths.append(folder / f"part-{len(paths) + 1}.npz")
            if _write(paths[-1], out) > limit:
                paths[-1].unlink()
                raise SystemExit(f"{paths[-1]} came out over {limit / 2 ** 20:.1f} MiB: raise LZMA_KEEPS in _export.py")
            out = {}
    return paths


@dataclass
class Training:
    """import_training's answer: train()'s clips and recordings, which recordings are MORE's,
    and the validation recordings (frames within half a step of their own) with their lengths."""
    clips: tuple[np.ndarray, np.ndarray]
    recordings: list[_wake.StreamData]
    more: list[bool]
    validation: list[tuple[_wake.StreamData, int]]


def import_training(path: Path, recordings: bool = True) -> Training:
    """export_training's folder (or one of its parts) -> Training (without `recordings`: the
    clips and the validation recordings alone)."""
    path = Path(path)
    parts = sorted(path.glob("part-*.npz"), key=lambda p: int(p.stem.split("-")[1])) if path.is_dir() else [path]
    if not parts:
        raise SystemExit(f"{path} holds no part-*.npz: export one with wakeword_kws.py --export {path}")
    t = Training((np.zeros((0, 1, 49, 10), np.float32), np.zeros(0, np.int64)), [], [], [])
    for part in parts:
        with np.load(part) as z:
            names = set(z.files)
            if "clips" in names:
                t.clips = (z["clips"].astype(np.float32), z["clip_labels"].astype(np.int64))
            kinds = "rv" if recordings else "v"
            for key in sorted({n.split("_")[0] for n in names if n[0] in kinds and n.endswith("_peaks")},
                              key=lambda k: (k[0], int(k[1:]))):
                d = _unpack(z, key)
                if key[0] == "v":
                    d.truth = [st.Truth(str(w), float(a), float(b)) for w, (a, b) in
                               zip(z[f"{key}_words"], z[f"{key}_spans"])]
                    t.validation.append((d, int(z[f"{key}_samples"])))
                else:
                    t.recordings.append(d)
                    t.more.append(bool(z[f"{key}_more"]))
    return t


def exported_more(path: Path) -> bool:
    """Whether the export's parts at `path` hold any of MORE's recordings."""
    parts = sorted(path.glob("part-*.npz")) if path.is_dir() else [path]
    for part in parts:
        with np.load(part) as z:
            if any(name.endswith("_more") and bool(z[name]) for name in z.files):
                return True
    return False
