"""What the commands that run a model on a device share (flash, hil): the board, the build
into -o, the check that the device runs this build, and the device options."""

from __future__ import annotations

from pathlib import Path

from tinygen.errors import TinygenError, UsageError


def board_for(args):
    from tinygen.run.qemu import no_emulator_hint

    from tinygen.cli.common import board_of, budgeted

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
    p.add_argument("--board", required=True, help="target board (see `tinygen boards`)")
    p.add_argument("--emulate", action="store_true", help="run on the board's QEMU stand-in instead of the board")
    p.add_argument("--port", metavar="PORT", help=fmt_port)
    p.add_argument("--probe", choices=("st-flash", "openocd", "pyocd", "idf.py", "esptool.py"),
                   help="flash tool (default: the first installed of the board's [flash].tools)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")


__all__ = ["add_device_args", "board_for", "build_project", "check_model"]
