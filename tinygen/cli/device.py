"""What the commands that run a model on a device share (flash, hil, listen, camera, power): the
board, the build into -o, the check that the device runs this build, and their options."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tinygen.board.schema import FLASH_TOOLS
from tinygen.cli.common import BOARD_HELP, Groups, add_compile_args, board_of, budgeted
from tinygen.errors import TinygenError, UsageError


def board_for(args):
    from tinygen.run.qemu import no_emulator_hint

    board = budgeted(args, board_of(args))
    if args.emulate and board.emulator is None and board.build != "host":
        raise UsageError(f"board {board.name} has no emulated stand-in", no_emulator_hint(board))
    return board


def build_project(args, board, source, graph, progress):
    """Build the compiled model for the board into -o (default build/NAME)."""
    from tinygen.compiler import build

    out = Path(args.output) if args.output else Path("build") / source.name
    return build(source, graph, board, out, progress, args.force, model_id=args.model_id)


def check_model(info: dict, manifest: dict, board, project) -> None:
    """The device must run the model we compare against."""
    want, got = manifest.get("model_hash"), info.get("hash")
    if want and got and str(got) != str(want):
        raise TinygenError(f"the device runs model {info.get('model')} (hash {got}), not this build "
                           f"({manifest.get('model')}, hash {want})",
                           f"flash it first: tinygen flash --board {board.name} -o {project} (or add --flash)")


def add_device_args(p, fmt_port: str) -> None:
    """--board, --emulate, --port and --probe, into `p` (a parser or its device group)."""
    p.add_argument("--board", required=True, help=BOARD_HELP)
    p.add_argument("--emulate", action="store_true", help="run on the board's QEMU stand-in instead of the board")
    p.add_argument("--port", metavar="PORT", help=fmt_port)
    p.add_argument("--probe", choices=FLASH_TOOLS,
                   help="flash tool (default: the first installed of the board's [flash].tools)")


def add_run_args(p, plot_help: str, own_camera: bool = False) -> Groups:
    """The options of a command that builds a model and runs it on a device, in the groups
    model, build, device and report (--json, --plot: `plot_help`); the command adds its inputs.
    Its parser is made with add_help=False (add_compile_args adds its --help and --help-all)."""
    groups = add_compile_args(p, device=True, own_camera=own_camera)
    groups.build.add_argument("-o", "--output", metavar="DIR", help="build directory (default: build/MODEL_NAME)")
    groups.build.add_argument("--force", action="store_true",
                              help="build into a non-empty folder that is not a tinygen build, beside its files")
    add_device_args(groups.device, "serial port of the board (default: the board file's port_hint, e.g. "
                                   "/dev/ttyACM0)")
    groups.device.add_argument("--flash", action="store_true", help="flash the board before running (real boards)")
    report = p.add_argument_group("report", "what is run and what is written")
    report.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    report.add_argument("--plot", metavar="FILE.png", help=plot_help)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages (the report is still printed)")
    return replace(groups, report=report)


def add_switch_arg(group) -> None:
    """--switch: which precision of a switchable-precision model runs."""
    group.add_argument("--switch", metavar="K|NAME|all",
                       help="switchable-precision models: the switch to run (index or name, default the first), "
                            "or all: every switch from the one image, with an accuracy-versus-cost table")


def add_data_args(p) -> None:
    """--data and its labels: precomputed inputs."""
    data = p.add_argument_group("data", "the inputs and their labels")
    data.add_argument("--data", metavar="DATA",
                      help="inputs: .npz with x (and y labels) or .npy, float, in the model's own layout; a model "
                           "with several inputs: .npz with x0, x1, ... (forward()'s order) or the inputs' own "
                           "names, and y")
    data.add_argument("--head", type=int, default=0, metavar="K",
                      help="a model with several outputs: the output whose argmax the labels (y) are compared "
                           "with (default 0); every output is checked against the reference")
    data.add_argument("--labels", metavar="LABELS", help=".npy class labels (indices or one-hot); with --audio: "
                                                         "a CSV of file,label")
    data.add_argument("--limit", type=int, metavar="N", help="use only the first N samples")


__all__ = ["add_data_args", "add_device_args", "add_run_args", "add_switch_arg", "board_for", "build_project",
           "check_model"]
