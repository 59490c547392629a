"""`tinygen hil --images DIR | --frames FILE`: camera frames end to end on the host device
(build with the camera front end, frames uploaded in their format, the device's input and
outputs compared with the twin and the reference, labels, cost split, contact sheet), and
the errors a user meets before anything is built."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinygen.cli import main
from tinygen.ref.frame_formats import frame_format, pack_frame

ROOT = Path(__file__).resolve().parents[2]
RGB_MODEL = ROOT / "examples" / "models" / "mobilenet.py"      # 32x32x3, 10 classes
MLP = ROOT / "examples" / "models" / "mlp.py"

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the host tg_device")


def hil(tmp_path, model: Path, *args: str):
    report = tmp_path / "report.json"
    rc = main(["camera", str(model), "--board", "host", "-q", "-o", str(tmp_path / "build"), "--json", str(report),
               *args])
    return rc, json.loads(report.read_text()) if report.exists() else None


def test_hil_frames_file_host(tmp_path, capsys):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (6, 30, 40, 3), dtype=np.uint8)
    frames = np.stack([np.frombuffer(pack_frame(p, frame_format("yuyv")), np.uint8) for p in pixels])
    labels = rng.integers(0, 10, 6)
    np.savez(tmp_path / "frames.npz", frames=frames, y=labels)
    rc, summary = hil(tmp_path, RGB_MODEL, "--frames", str(tmp_path / "frames.npz"), "--format", "yuyv",
                      "--size", "40x30", "--frame-max", "64x48")
    out = capsys.readouterr().out
    assert rc == 0 and summary["samples"] == 6 and summary["bit_exact"] == 6
    f = summary["frames"]
    assert f["format"] == "yuyv" and f["size"] == [40, 30] and f["crop"] == [5, 0, 30, 30]
    assert f["input_bit_exact"] == 6 and f["preprocess_mean"] > 0 and f["network_mean"] > 0
    answers = [r["answer"] for r in f["per_frame"]]
    assert summary["accuracy"] == pytest.approx(float(np.mean(np.array(answers) == labels)))
    assert "frames: 6 x 40x30 yuyv, region 30x30 at (5, 0)" in out and "cost per frame: preprocessing" in out


def test_hil_images_folder_labels_and_sheet_host(tmp_path, capsys):
    from PIL import Image

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (50 + i, 70, 3), dtype=np.uint8)).save(photos / f"p{i}.png")
    (photos / "labels.csv").write_text("# two classes named\nfile,label,note\np2.png,cat,x\np0.png,dog,y\n")
    classes = ",".join(["dog", "cat"] + [f"c{i}" for i in range(8)])
    rc, summary = hil(tmp_path, RGB_MODEL, "--images", str(photos), "--format", "rgb565be", "--size", "64x48",
                      "--classes", classes, "--sheet", str(tmp_path / "sheet.png"), "--crop", "10,4,40,40",
                      "--frame-max", "64x48")
    assert rc == 0 and summary["bit_exact"] == 2
    rows = summary["frames"]["per_frame"]
    assert [r["frame"] for r in rows] == ["p2.png", "p0.png"] and [r["label"] for r in rows] == [1, 0]
    assert rows[0]["label_name"] == "cat" and summary["frames"]["crop"] == [10, 4, 40, 40]
    assert (tmp_path / "sheet.png").stat().st_size > 10_000
    assert "contact sheet" not in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["--images", "IMG", "--frames", "F.npz"], "give --images or --frames, not both"),
    (["--frames", "F.npz", "--size", "41x30"], "each frame has 2400 bytes, but a 41x30 rgb565 frame has 2460"),
    (["--frames", "F.npz", "--size", "400x300"], "--size 400x300 is larger than the largest frame 320x240"),
    (["--frames", "F.npz", "--format", "bgr"], "unknown frame format 'bgr'"),
    (["--frames", "F.npz", "--format", "yuyv", "--size", "41x30"], "YUYV frames need an even width"),
    (["--frames", "F.npz", "--size", "40x30", "--crop", "30,0,20,20"], "--crop 30,0,20,20 is not inside the 40x30 frame"),
    (["--frames", "F.npz", "--size", "40x30", "--classes", "a,b"], "--classes names 2 classes, the model's output has 10"),
    (["--images", "IMG"], "label 'cat' is a name, but no class names were given"),
    ([], "give the frames: --images DIR (photographs) or --frames FILE"),
])
def test_hil_frames_bad_input_is_one_line_before_building(tmp_path, capsys, args, message):
    (tmp_path / "IMG").mkdir()
    (tmp_path / "IMG" / "labels.csv").write_text("file,label\na.png,cat\n")
    from PIL import Image

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "IMG" / "a.png")
    np.savez(tmp_path / "F.npz", frames=np.zeros((2, 2400), np.uint8))
    args = [str(tmp_path / a) if a in ("IMG", "F.npz") else a for a in args]
    rc, _ = hil(tmp_path, RGB_MODEL, *args)
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert rc == 2 and len(errors) == 1 and message in errors[0], errors
    assert not (tmp_path / "build").exists()


def test_hil_frames_model_without_image_input(tmp_path, capsys):
    np.savez(tmp_path / "F.npz", frames=np.zeros((2, 2400), np.uint8))
    rc, _ = hil(tmp_path, MLP, "--frames", str(tmp_path / "F.npz"), "--size", "40x30")
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert rc == 1 and len(errors) == 1, errors
    assert "input [1, 64] (int8) is not an image with 1 or 3 channels" in errors[0]
    assert not (tmp_path / "build").exists()
