"""The `tinygen` command line: one module per command (build, inspect, boards, flash, hil,
listen, camera, power, sweep, mlperf, corpus, recording), the options they share in
tinygen.cli.common. `main` turns a TinygenError into one line and an exit status."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from contextlib import nullcontext

from tinygen import __version__
from tinygen.build.output import FULL
from tinygen.build.output_lock import output_lock
from tinygen.cli.boards import add_command as add_boards
from tinygen.cli.build import add_command as add_build
from tinygen.cli.flash import add_command as add_flash
from tinygen.cli.camera import add_command as add_camera
from tinygen.cli.corpus import add_command as add_corpus
from tinygen.cli.hil import add_command as add_hil
from tinygen.cli.hil import cmd_hil, hil_defaults
from tinygen.cli.listen import add_command as add_listen
from tinygen.cli.mlperf import add_command as add_mlperf
from tinygen.cli.power import add_command as add_power
from tinygen.cli.recording import add_command as add_recording
from tinygen.cli.inspect import add_command as add_inspect
from tinygen.cli.sweep import add_command as add_sweep
from tinygen.errors import TinygenError, UsageError, exit_interrupted
from tinygen.optional import missing_package


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygen",
        description="Compile quantized PyTorch models to readable C for microcontrollers.",
        epilog="run `tinygen COMMAND --help` for a command's options and examples",
    )
    parser.add_argument("--version", action="version", version=f"tinygen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    fmt = argparse.RawDescriptionHelpFormatter
    add_build(sub, fmt)
    add_inspect(sub, fmt)
    add_boards(sub, fmt)
    add_flash(sub, fmt)
    add_hil(sub, fmt)
    defaults = hil_defaults()
    for add in (add_listen, add_camera, add_power):
        add(sub, fmt, cmd_hil, defaults)
    add_sweep(sub, fmt)
    add_mlperf(sub, fmt)
    add_corpus(sub, fmt)
    add_recording(sub, fmt)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """The command line; the `tinygen` command itself is tinygen.__main__.run (Ctrl-C while
    this module loads)."""
    parser = make_parser()
    args = parser.parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        # one writer per -o folder: held from the command's first check to its end (a hil run
        # runs the firmware from it), so that a second command into it is refused at once
        with output_lock(args.output) if getattr(args, "output", None) else nullcontext():
            return args.func(args)
    except UsageError as e:
        print(f"tinygen {args.command}: error: {e}", file=sys.stderr)
        return 2
    except TinygenError as e:
        print(f"tinygen {args.command}: error: {e}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as e:
        missing = missing_package(e)        # an optional package (tinygen.optional): one line, its pip extra
        if missing is None:
            raise
        print(f"tinygen {args.command}: error: {missing}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if argv is None:            # the command line itself (tests call main(argv) and read the status)
            exit_interrupted()
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, as other CLI tools do
        sys.stdout = open(os.devnull, "w")
        return 0
    except OSError as e:
        if e.errno not in FULL:
            raise
        # a full disk outside the build's folder (a --json report, a plot): one line too
        print(f"tinygen {args.command}: error: cannot write {e.filename or 'a file'!r}: {e.strerror}\n"
              "  hint: free some space on that disk, or write elsewhere", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
