"""`tinygen flash`: write a built firmware to a board, or boot it on the board's stand-in
(and serve its serial port)."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from tinygen.cli.common import Progress, add_compile_args, check_output_early, compile_model
from tinygen.cli.device import add_device_args, board_for, build_project
from tinygen.errors import TinygenError, UsageError
from tinygen.hil.client import Device, describe_laps
from tinygen.hil.link import Link

EPILOG_FLASH = """examples:
  tinygen flash examples/models/dscnn.py --board f746zg -o build/kws   # build, then write + verify
  tinygen flash --board f746zg -o build/kws --probe openocd           # an existing build, another probe
  tinygen flash --board f746zg -o build/kws --emulate                 # boot it on the QEMU stand-in instead
  tinygen flash --board f746zg -o build/kws --emulate --serve         # ... and serve its serial port until Ctrl-C
  tinygen flash --board f746zg -o build/kws --emulate --serve --pty   # ... on /dev/pts/N, for the MLPerf Tiny runner
"""


def cmd_flash(args) -> int:
    from tinygen.cli.preflight import check_flash_tool
    from tinygen.hil.target import describe, endpoint, open_device

    board = board_for(args)
    if args.pty and not (args.serve and (args.emulate or board.build == "host")):
        raise UsageError("--pty serves a stand-in on a pseudo-terminal", "use it with --emulate --serve "
                         "(a real board's port is already a serial port)")
    if args.lap is not None and not (args.emulate or board.build == "host"):
        raise UsageError("--lap sets the unit of a stand-in's lap lines", "use it with --emulate (a real board's "
                         "laps are m-lap-us from its cycle counter)")
    check_flash_tool(args, board)
    progress = Progress(args.quiet)
    if args.model:
        check_output_early(args)
        source, graph = compile_model(args, progress, board)
        project = build_project(args, board, source, graph, progress).out_dir
    elif args.output:
        project = Path(args.output)
        if not project.is_dir():
            raise UsageError(f"no built project at {project}", "give MODEL to build it, or the -o of an earlier build")
        from tinygen.build.built import check_built

        check_built(project, board)         # built for this board, by this build format: before any tool runs
    else:
        raise UsageError("give a MODEL to build or the built project with -o/--project DIR")

    if args.emulate or board.build == "host":
        with endpoint(board, project, emulate=True) as ep:
            progress(f"booting on {describe(board, True, None)}")

            with Link.open(ep.url, clock=ep.clock) as link:
                dev = Device(link, args.timeout, ep.pace)
                name = dev.connect(booting=ep.boots)
                if args.lap is not None:
                    dev.lap(args.lap)
                info = dev.info()
            print(f"{name} runs {info.get('model')} (model id {info.get('id')}, hash {info.get('hash')}) on "
                  f"{info.get('port')}, counting {info.get('counter')}")
            print(describe_laps(info))
            if args.serve and args.pty:
                _serve_pty(ep.url)
            elif args.serve:
                print(f"serial: {ep.url}")
                print("serving until Ctrl-C ...", flush=True)
                _serve_forever()
        if not args.serve:              # its address closed with it: nothing to connect to
            print("the stand-in stopped after this check; --serve keeps it running and prints its serial address")
        return 0

    from tinygen.run.flash import flash

    progress(f"flashing {project} to {board.name}")
    res = flash(board, project, probe=args.probe, port=args.port, log=progress)
    print(f"flashed and verified {project} on {board.name} with {res.tool}")
    if (board.energy or {}).get("runner"):
        print("not asking the board over its port: in energy mode its serial goes to the EnergyRunner's IO "
              "manager (boards/README.md, 'Energy mode')")
        return 0
    with open_device(board, project, port=args.port, timeout=args.timeout) as dev:
        info = dev.info()
    print(f"{board.name} answers: {info.get('model')} (hash {info.get('hash')}) on {info.get('port')}")
    return 0


def _serve_pty(url: str) -> None:
    """Serve the device on a pseudo-terminal (for programs that open only serial ports)."""
    from tinygen.hil.pty import PtyBridge

    bridge = PtyBridge(url)
    with bridge as path:
        print(f"serial: {path} (a pseudo-terminal relayed to {url})")
        print("serving until Ctrl-C ...", flush=True)
        _serve_forever(lambda: bridge.alive)
        if bridge.error:
            raise TinygenError(f"stopped serving {path}: {bridge.error}",
                               "a `tg exit` or a crash ends the stand-in; start tinygen flash --serve again")


def _serve_forever(alive=lambda: True) -> None:
    """Sleep until Ctrl-C, or until `alive()` turns false (checked twice a second)."""
    # Ctrl-C stops the server even where the parent started us with SIGINT ignored (a
    # non-interactive shell's background job, a test runner's worker): Python then
    # inherits the ignore and would never raise KeyboardInterrupt
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        while alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)


def add_command(sub, fmt) -> None:
    f = sub.add_parser("flash", help="write a built firmware to a board (or boot it on the board's stand-in)",
                       epilog=EPILOG_FLASH, formatter_class=fmt, add_help=False)
    groups = add_compile_args(f, model_optional=True, device=True)     # -o alone flashes an earlier build
    f.set_defaults(func=cmd_flash)
    groups.build.add_argument("-o", "--output", "--project", dest="output", metavar="DIR",
                              help="the built project (with MODEL: where to build it; default build/MODEL_NAME)")
    groups.build.add_argument("--force", action="store_true",
                              help="with MODEL: build into a non-empty folder that is not a tinygen build, beside "
                                   "its files")
    device = groups.device
    add_device_args(device, "serial port of the board (ESP32 flashing, and the check after flashing)")
    device.add_argument("--serve", action="store_true",
                        help="with --emulate: keep the stand-in running and its socket:// URL open until Ctrl-C")
    device.add_argument("--pty", action="store_true",
                        help="with --emulate --serve: serve it on a pseudo-terminal (/dev/pts/N) instead, for "
                             "programs that open only serial ports (the MLPerf Tiny runner)")
    device.add_argument("--lap", choices=("instr", "us"), default=None,
                        help="with --emulate: what the stand-in's lap lines report: instr, executed instructions "
                             "(m-lap-instr, its default), or us, instructions at the real board's clock as "
                             "m-lap-us (what the MLPerf Tiny runner reads; profile%% marks it emulated)")
    f.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
