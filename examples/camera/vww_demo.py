"""Person detection on real photographs, preprocessed on the device (make demo-vww).

scikit-image's bundled photographs (photos.csv beside this file, labelled by looking at
them) are turned into RGB565 QVGA frames on the host as a camera sensor would deliver them
(320x240, high byte first like an OV2640), and sent frame by frame to the MLPerf Tiny
visual wake words model (examples/mlperf-tiny/vww_mobilenet_int8.tflite, 96x96x3 int8,
classes no-person / person) on the Nucleo-F746ZG's QEMU stand-in. The firmware crops each
frame to the centred 240x240 square, shrinks it to 96x96 by area averaging and quantizes it
itself (tinygen build --camera); the harness checks the device's int8 input and outputs
against the host twin and reference, byte for byte.

    python examples/camera/vww_demo.py --out build/demo-vww      # about 3 minutes

Prints per photo the answer, the person score and the instructions (preprocessing and
network), and writes OUT/contact_sheet.png and OUT/report.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MODEL = ROOT / "examples" / "mlperf-tiny" / "vww_mobilenet_int8.tflite"
CLASSES = ("no-person", "person")


def photos() -> list[dict]:
    lines = [line for line in (HERE / "photos.csv").read_text().splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


def load_photo(name: str) -> np.ndarray:
    import skimage.data

    image = getattr(skimage.data, name)()
    return image[0] if isinstance(image, tuple) else image        # stereo_motorcycle: (left, right, disparity)


def write_photos(folder: Path) -> None:
    """The photographs as PNG files and a labels.csv for `tinygen camera --images`."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rows = photos()
    for row in rows:
        Image.fromarray(load_photo(row["photo"])).save(folder / f"{row['photo']}.png")
    (folder / "labels.csv").write_text("file,label\n" + "".join(f"{r['photo']}.png,{r['label']}\n" for r in rows))


def main(argv: list[str] | None = None) -> int:
    from tinygen.cli import main as tinygen

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="build/demo-vww", help="output folder (default build/demo-vww)")
    ap.add_argument("--board", default="f746zg", help="board whose stand-in runs it (default f746zg)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    write_photos(out / "photos")
    report = out / "report.json"
    rc = tinygen(["camera", str(MODEL), "--board", args.board, "--emulate", "--images", str(out / "photos"),
                  "--format", "rgb565be", "--size", "320x240", "--classes", ",".join(CLASSES),
                  "--sheet", str(out / "contact_sheet.png"), "--json", str(report), "-o", str(out / "build"),
                  "--force"])
    if not report.is_file():
        return rc or 1
    summary = json.loads(report.read_text())
    print("\nper photo: the answer, the person score, instructions (preprocessing + network):")
    for r in summary["frames"]["per_frame"]:
        mark = "" if r["label"] == r["answer"] else f"   <- labelled {r['label_name']}"
        print(f"  {r['frame']:<24} {r['answer_name']:<10} person {r['scores'][1]:.3f}   "
              f"{r['preprocess']:>10,} + {r['network']:>11,}{mark}")
    print(f"\ncontact sheet: {out / 'contact_sheet.png'}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
