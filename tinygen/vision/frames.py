"""Frames for `tinygen camera --images DIR | --frames FILE`: photographs turned into camera
frames on the host (as a sensor set to the frame size would deliver them), or frames
recorded from a camera; labels and class names.

    frames = load_images("photos/", frame_format("rgb565be"), (320, 240), classes=["no-person", "person"])
    frames = load_frames("faces.npz", frame_format("gray"), (25, 25))

DIR holds image files and optionally labels.csv (columns file and label; the label a class
index or a class name from --classes; lines starting with # are comments; the listed files,
in that order), or one subfolder per class (named by its index or its --classes name).
A frames FILE is .npz (frames: uint8 [N, frame bytes] or [N, H, ...], optional y labels,
optional names), .npy (frames only) or raw bytes (.bin / .raw: frames back to back).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinygen.errors import UsageError
from tinygen.npfile import not_numpy
from tinygen.ref.frame_formats import FrameFormat, pack_frame

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".ppm", ".pgm", ".webp")
LABELS_FILE = "labels.csv"


@dataclass
class FrameSet:
    fmt: FrameFormat
    width: int
    height: int
    frames: list[bytes]
    names: list[str]
    labels: np.ndarray | None = None
    classes: list[str] | None = None

    def __len__(self) -> int:
        return len(self.frames)

    def limit(self, n: int | None) -> "FrameSet":
        if n is None:
            return self
        return FrameSet(self.fmt, self.width, self.height, self.frames[:n], self.names[:n],
                        None if self.labels is None else self.labels[:n], self.classes)


def camera_frame(photo: np.ndarray, width: int, height: int, fmt: FrameFormat) -> bytes:
    """A photograph (uint8 [H, W] or [H, W, 3 or 4]) as a camera set to width x height would
    deliver the scene: centre-cropped to the frame's aspect ratio, resized (box filter when
    shrinking, bilinear when enlarging), packed in the format's bytes."""
    from PIL import Image

    p = np.asarray(photo)
    if p.dtype == bool:
        p = p.astype(np.uint8) * 255
    if p.dtype != np.uint8:
        raise UsageError(f"a photograph must be 8-bit, got {p.dtype}", "save it as an 8-bit PNG or JPEG")
    if p.ndim == 3 and p.shape[2] == 4:
        p = p[:, :, :3]
    h, w = p.shape[:2]
    if w * height >= h * width:                 # wider than the frame: keep the full height
        cw, ch = max(1, round(h * width / height)), h
    else:
        cw, ch = w, max(1, round(w * height / width))
    x, y = (w - cw) // 2, (h - ch) // 2
    img = Image.fromarray(np.ascontiguousarray(p[y:y + ch, x:x + cw]))
    shrink = cw >= width and ch >= height
    img = img.resize((width, height), Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR)
    return pack_frame(np.asarray(img), fmt)


def _label(text: str, classes: list[str] | None, where: str) -> int:
    text = text.strip()
    if text.lstrip("-").isdigit():
        index = int(text)
    elif classes and text in classes:
        index = classes.index(text)
    elif classes:
        raise UsageError(f"{where}: label {text!r} is not one of the classes {', '.join(classes)}",
                         "use a class index or a name given to --classes")
    else:
        raise UsageError(f"{where}: label {text!r} is a name, but no class names were given",
                         "give --classes NAME,NAME,... in the model's output order (or use class indices)")
    if index < 0 or (classes and index >= len(classes)):
        raise UsageError(f"{where}: label {index} is out of range", "use 0 .. classes - 1")
    return index


def _read_labels(path: Path, classes: list[str] | None) -> list[tuple[str, int]]:
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    rows = list(csv.DictReader(lines))
    if not rows or not {"file", "label"} <= set(rows[0]):
        raise UsageError(f"{path} needs a header line with the columns file and label",
                         "write it as: file,label then one line per image, e.g. astronaut.png,person")
    return [(r["file"].strip(), _label(r["label"], classes, f"{path}, {r['file']}")) for r in rows]


def _read_image(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB") if img.mode not in ("L", "RGB") else img)
    except (UnidentifiedImageError, OSError) as e:
        raise UsageError(f"cannot read image {path}: {e}", "give PNG, JPEG or BMP files") from None


def load_images(folder: str | Path, fmt: FrameFormat, size: tuple[int, int],
                classes: list[str] | None = None) -> FrameSet:
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"--images {folder}: no such folder", "give a folder of PNG / JPEG images")
    labels_file = folder / LABELS_FILE
    entries: list[tuple[Path, int | None]]
    if labels_file.is_file():
        entries = []
        for name, label in _read_labels(labels_file, classes):
            if not (folder / name).is_file():
                raise UsageError(f"{labels_file} lists {name}, which is not in {folder}", "fix the file name")
            entries.append((folder / name, label))
    else:
        subdirs = sorted(p for p in folder.iterdir() if p.is_dir())
        if subdirs:
            entries = [(f, _label(d.name, classes, f"folder {d}")) for d in subdirs
                       for f in sorted(d.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES]
        else:
            entries = [(f, None) for f in sorted(folder.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES]
    if not entries:
        raise UsageError(f"--images {folder}: no images found ({', '.join(IMAGE_SUFFIXES)})",
                         "put the photographs there (and a labels.csv: file,label)")
    width, height = size
    frames = [camera_frame(_read_image(path), width, height, fmt) for path, _ in entries]
    labels = None if any(label is None for _, label in entries) else np.array([lb for _, lb in entries])
    names = [path.relative_to(folder).as_posix() for path, _ in entries]
    return FrameSet(fmt, width, height, frames, names, labels, classes)


def load_frames(path: str | Path, fmt: FrameFormat, size: tuple[int, int],
                classes: list[str] | None = None) -> FrameSet:
    path = Path(path)
    width, height = size
    want = fmt.frame_bytes(width, height)
    if not path.is_file():
        raise UsageError(f"--frames {path}: no such file", "give a .npz (frames, y), .npy or raw .bin file")
    labels, names = None, None
    problem = not_numpy(path) if path.suffix in (".npz", ".npy") else None
    if problem:
        raise UsageError(f"--frames {path} {problem}", "save it with numpy.savez(FILE, frames=uint8 frames, y=labels)")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            key = "frames" if "frames" in z.files else "x" if "x" in z.files else None
            if key is None:
                raise UsageError(f"{path} has no array named frames (it has {', '.join(z.files) or 'none'})",
                                 "save it as numpy.savez(FILE, frames=uint8 frames, y=labels)")
            data, labels = z[key], z["y"] if "y" in z.files else None
            names = [str(n) for n in z["names"]] if "names" in z.files else None
    elif path.suffix == ".npy":
        data = np.load(path, allow_pickle=False)
    else:
        data = np.fromfile(path, np.uint8)
        if data.size % want:
            raise UsageError(f"{path} has {data.size} bytes, not a whole number of {width}x{height} {fmt.name} "
                             f"frames ({want} bytes each)", "check --format and --size")
        data = data.reshape(-1, want)
    data = np.asarray(data)
    if data.dtype != np.uint8:
        raise UsageError(f"{path}: frames must be uint8 bytes as the camera sends them, got {data.dtype}",
                         "pack them first (tinygen.ref.frame_formats.pack_frame)")
    data = data.reshape(len(data), -1) if data.ndim > 1 else data.reshape(1, -1)
    if data.shape[1] != want:
        raise UsageError(f"{path}: each frame has {data.shape[1]} bytes, but a {width}x{height} {fmt.name} frame "
                         f"has {want}", "check --format and --size against how the frames were recorded")
    if labels is not None:
        labels = np.asarray(labels).reshape(len(labels), -1)
        labels = labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0].astype(np.int64)
        if len(labels) != len(data):
            raise UsageError(f"{path}: {len(labels)} labels for {len(data)} frames", "give one label per frame")
    names = names or [f"{path.stem}[{i}]" for i in range(len(data))]
    return FrameSet(fmt, width, height, [row.tobytes() for row in data], names, labels, classes)


__all__ = ["FrameSet", "IMAGE_SUFFIXES", "LABELS_FILE", "camera_frame", "load_frames", "load_images"]
