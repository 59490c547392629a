"""Command-line options of the camera front end, for `tinygen build / inspect / flash / hil`
(registered by tinygen.cli's compile options) and the CameraSpec they make.

    --camera               build the camera front end into the firmware
    --frame-max 320x240    the largest frame it takes (sizes its buffers)
    --pixel-range 0:1      what pixel values 0 and 255 mean to the model
    --whole-input          a banded model holds its whole input (default: it streams in)
"""

from __future__ import annotations

from tinygen.errors import UsageError
from tinygen.vision.formats import parse_size
from tinygen.vision.plan import DRIVERS, CameraSpec, parse_pixel_range


def add_camera_args(p) -> None:
    g = p.add_argument_group("camera front end (image models)")
    g.add_argument("--camera", action="store_true",
                   help="build the camera front end: frames in RGB565 (either byte order), YUYV or gray, "
                        "centre-cropped, resized and quantized on the device (`tg frame`, PROTOCOL.md); on a "
                        "board with a camera module ([camera] in its board file, e.g. esp32-cam) also "
                        "`tg capture` from the sensor. Implied by tinygen hil --images / --frames")
    g.add_argument("--frame-max", metavar="WxH", default="320x240",
                   help="the largest frame the firmware takes (default 320x240, QVGA): sizes its row buffers")
    g.add_argument("--whole-input", action="store_true",
                   help="with --camera and a model in row bands (--tile): hold the whole input instead of "
                        "streaming it in (by default the input buffer holds one band's rows and the bands run as "
                        "the frame's rows arrive); costs the input's bytes of RAM, keeps tg load, tg invoke, "
                        "tg input and tg layers working")
    g.add_argument("--pixel-range", metavar="LO:HI", default="0:1",
                   help="what pixel values 0 and 255 mean as the model's float input (default 0:1, i.e. p/255; "
                        "-1:1 for (p - 127.5) / 127.5, 0:255 for raw values)")


def add_frame_args(p) -> None:
    """`tinygen hil`: camera frames instead of --data."""
    g = p.add_argument_group("camera frames (instead of --data; builds the camera front end in)")
    g.add_argument("--images", metavar="DIR",
                   help="photographs, each turned into a --format frame of --size on the host as a camera would "
                        "deliver it; labels from DIR/labels.csv (file,label) or one subfolder per class")
    g.add_argument("--frames", metavar="FILE",
                   help="recorded frames: .npz (frames uint8 [N, bytes], y labels), .npy, or raw .bin/.raw")
    g.add_argument("--format", default="rgb565", metavar="FORMAT",
                   help="frame format: rgb565 (low byte first), rgb565be (high byte first, as OV2640 / OV7670 "
                        "and esp32-camera send it), yuyv, gray (default rgb565)")
    g.add_argument("--size", default="320x240", metavar="WxH", help="frame size (default 320x240, QVGA)")
    g.add_argument("--crop", metavar="X,Y,W,H",
                   help="the region of each frame that becomes the model's input (default: the largest centred "
                        "region with the model's aspect ratio)")
    g.add_argument("--classes", metavar="A,B,...", help="class names in the model's output order (labels may "
                                                        "then be names; the report shows them; with --audio / --stream the default "
                                                        "is the MLPerf Tiny KWS twelve)")
    g.add_argument("--sheet", metavar="FILE.png", help="also write a contact sheet: each frame, the model input "
                                                       "the device computed from it, the answer")


def camera_spec(args, board=None, implied: bool = False) -> CameraSpec | None:
    """The spec the options ask for (None without --camera, unless `implied`)."""
    if not (getattr(args, "camera", False) or implied):
        return None
    width, height = parse_size(getattr(args, "frame_max", "320x240"), "--frame-max")
    driver, config = None, None
    cam = (board.raw.get("camera") if board is not None else None) or None
    if cam is not None:
        driver = cam.get("driver")
        if driver not in DRIVERS:
            raise UsageError(f"{board.path}: [camera] driver {driver!r} is not one tinygen generates code for",
                             f"use driver = one of {', '.join(DRIVERS)}")
        if board.build != "esp-idf":
            raise UsageError(f"{board.path}: the {driver} driver needs an ESP-IDF board",
                             "remove the [camera] table or build = \"esp-idf\"")
        config = cam
    return CameraSpec(width, height, parse_pixel_range(getattr(args, "pixel_range", "0:1")), driver, config)


__all__ = ["add_camera_args", "add_frame_args", "camera_spec"]
