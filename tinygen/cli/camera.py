"""`tinygen camera`: photographs or recorded frames through the device's camera front end
(crop, resize, quantize; tinygen.vision) and the model, against the reference. The front end's
build options (--camera, --frame-max, ...) are every compiling command's (tinygen.cli.common).

    tinygen camera vww.tflite --board f746zg --emulate --images photos/ --classes no-person,person
"""

from __future__ import annotations

from tinygen.cli.device import add_run_args, add_switch_arg
from tinygen.errors import UsageError


def add_frame_args(p):
    """Camera frames as the inputs, in a group of `p`'s help (returned)."""
    g = p.add_argument_group("camera frames", "photographs or recorded frames, preprocessed on the device (the "
                                              "camera front end is built in)")
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
    return g


EPILOG_CAMERA = """examples:
  tinygen camera vww.tflite --board f746zg --emulate --images photos/ --format rgb565be --classes no-person,person
  tinygen camera faces.py --board f446re --emulate --frames faces.npz --format gray --size 25x25 --sheet sheet.png
"""


def cmd_camera(args, run) -> int:
    if not (args.images or args.frames):
        raise UsageError("give the frames: --images DIR (photographs) or --frames FILE (recorded frames)")
    return run(args)


def add_command(sub, fmt, run, defaults: dict) -> None:
    """`tinygen camera`: `run` is the run of tinygen.cli.hil, `defaults` its options' defaults."""
    p = sub.add_parser("camera", help="camera frames through the device's front end (crop, resize, quantize) and "
                                      "the model: bit-exactness, accuracy, cost", epilog=EPILOG_CAMERA,
                       formatter_class=fmt, add_help=False)
    add_switch_arg(add_run_args(p, "also plot the per-layer cost (with --switch all: accuracy against cost "
                                   "per switch; needs matplotlib)", own_camera=True).report)
    add_frame_args(p).add_argument("--limit", type=int, metavar="N", help="use only the first N frames")
    p.set_defaults(**defaults)
    p.set_defaults(func=lambda args: cmd_camera(args, run))


__all__ = ["add_command", "add_frame_args", "cmd_camera"]
