"""`tinygen flash` and `tinygen hil` (registered by tinygen.cli).

The glue: compile and build (tinygen.compiler), start the stand-in or open the
port (tinygen.hil.target), run the session (tinygen.hil.session) against the
reference, report (tinygen.hil.report).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

from tinygen.errors import TinygenError, UsageError

EPILOG_FLASH = """examples:
  tinygen flash examples/models/dscnn.py --board f746zg -o build/kws   # build, then write + verify
  tinygen flash --board f746zg -o build/kws --probe openocd           # an existing build, another probe
  tinygen flash --board f746zg -o build/kws --emulate                 # boot it on the QEMU stand-in instead
  tinygen flash --board f746zg -o build/kws --emulate --serve         # ... and serve its serial port until Ctrl-C
  tinygen flash --board f746zg -o build/kws --emulate --serve --pty   # ... on /dev/pts/N, for the MLPerf Tiny runner
"""
EPILOG_HIL = """examples:
  tinygen hil examples/models/dscnn.py --board f746zg --emulate --data test.npz
  tinygen hil kws.tflite --board f746zg --port /dev/ttyACM0 --flash --data kws.npz --json kws.json
  tinygen hil model.py --board host --data x.npy --labels y.npy --plot layers.png
  tinygen hil two_sensors.py --board f746zg --emulate --data test.npz --head 0   # several inputs: x0, x1 (or names), y
  tinygen hil examples/switchable/sp_digits.py --board f746zg --emulate --data digits.npz --switch all --plot sw.png
  tinygen hil vww.tflite --board f746zg --emulate --images photos/ --format rgb565be --classes no-person,person
  tinygen hil faces.py --board f446re --emulate --frames faces.npz --format gray --size 25x25 --sheet sheet.png
  tinygen hil kws.tflite --board f746zg --emulate --audio clips/ --labels labels.csv
  tinygen hil kws.tflite --board f746zg --emulate --stream rec.wav --truth rec.csv --plot rec.png
  tinygen hil kws.tflite --board f446re --emulate --data kws.npz --cycles      # + estimated cycles per layer
  tinygen hil kws.tflite --board f746zg --data kws.npz --meter joulescope --meter-plot kws-current.png
  tinygen hil kws.tflite --board f446re --data kws.npz --meter ppk2 --meter-port /dev/ttyACM1
"""


def _board_for(args):
    from tinygen.run.qemu import no_emulator_hint

    from tinygen.cli.common import board_of, budgeted

    board = budgeted(args, board_of(args))
    if args.emulate and board.emulator is None and board.build != "host":
        raise UsageError(f"board {board.name} has no emulated stand-in", no_emulator_hint(board))
    return board


def _build(args, board, source, graph, progress):
    """Build the compiled model for the board into -o (default build/NAME)."""
    from tinygen.compiler import build

    out = Path(args.output) if args.output else Path("build") / source.name
    return build(source, graph, board, out, progress, args.force, model_id=args.model_id)


def _check_model(info: dict, manifest: dict, board, project) -> None:
    """The device must run the model we compare against."""
    want, got = manifest.get("model_hash"), info.get("hash")
    if want and got and str(got) != str(want):
        raise TinygenError(f"the device runs model {info.get('model')} (hash {got}), not this build "
                           f"({manifest.get('model')}, hash {want})",
                           f"flash it first: tinygen flash --board {board.name} -o {project} (or add --flash)")


def cmd_flash(args) -> int:
    from tinygen.cli.common import Progress, check_output_early, compile_model
    from tinygen.hil.preflight import check_flash_tool
    from tinygen.hil.target import describe, endpoint, open_device

    board = _board_for(args)
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
        project = _build(args, board, source, graph, progress).out_dir
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
            from tinygen.hil.client import Device, describe_laps
            from tinygen.hil.link import Link

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
            else:
                print(f"serial: {ep.url}")
                if args.serve:
                    print("serving until Ctrl-C ...", flush=True)
                    _serve_forever()
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


def cmd_hil(args) -> int:
    from tinygen.cli.common import Progress, check_output_early, compile_model
    from tinygen.cli.audio import audio_requested, cmd_audio
    from tinygen.hil.report import plot, render, summarize
    from tinygen.hil.preflight import check_device
    from tinygen.hil.session import check_data, check_head, load_inputs, profile_layers, run_samples
    from tinygen.hil.target import describe, open_device

    board = _board_for(args)
    emulate = args.emulate
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit {args.limit} must be at least 1")
    from tinygen.cli.power import check_power_args

    check_power_args(args, board, emulate)
    if (audio_requested(args) or args.reference) and (args.images or args.frames or args.data):
        raise UsageError("give one kind of input: --data, camera frames (--images / --frames) or audio "
                         "(--audio / --stream / --reference)")
    check_device(args, board, emulate)          # the port, flash tool and meter: before the long work
    if audio_requested(args) or args.reference:
        return cmd_audio(args, board, lambda source, graph, progress: _build(args, board, source, graph, progress),
                         _check_model)
    if not (args.data or args.images or args.frames):
        raise UsageError("give the inputs: --data FILE (precomputed), camera frames with --images DIR / "
                         "--frames FILE, or audio with --audio / --stream")
    progress = Progress(args.quiet)
    check_output_early(args)
    if args.data:
        check_data(args.data)                   # an empty or unreadable data set: before the compile
    source, graph = compile_model(args, progress, board)
    frames = None
    if args.images or args.frames:          # camera frames (tinygen.vision): checked before the C build
        from tinygen.vision.run import frames_for

        frames = frames_for(args, graph)
        inputs, labels = None, frames.labels
    else:
        inputs, labels = load_inputs(args.data, args.labels, source, graph, args.limit)   # before the C build
        check_head(graph, args.head)
    picked = _switches(args, graph)
    result = _build(args, board, source, graph, progress)
    if args.flash and not emulate and board.build != "host":
        from tinygen.run.flash import flash

        progress(f"flashing {board.name}")
        flash(board, result.out_dir, probe=args.probe, port=args.port, log=progress)
    target = describe(board, emulate, args.port)
    summaries = []
    with open_device(board, result.out_dir, emulate, args.port, args.timeout) as dev:
        info = dev.info()
        _check_model(info, result.manifest, board, result.out_dir)
        for k, name, sgraph in picked:
            what = f" (switch {k}: {name})" if name else ""
            if picked[0][1]:                    # a switchable model: select, and quantize for this switch
                dev.switch(k)
                if frames is None:
                    inputs, labels = load_inputs(args.data, args.labels, source, sgraph, args.limit)
            if frames is not None:
                from tinygen.vision.run import parse_crop, run_frames

                progress(f"sending {len(frames)} {frames.fmt.name} frames to {target}{what}")
                run = run_frames(dev, sgraph, frames, parse_crop(args.crop), not args.quiet and len(frames) > 5,
                                 args.timeout)
                inputs = run.inputs
            else:
                progress(f"running {len(inputs)} samples on {target}{what}")
                run = run_samples(dev, sgraph, inputs, labels, progress=not args.quiet and len(inputs) > 20,
                                  head=args.head)
            if frames is not None and run.streamed:     # no whole input on the device to run layer by layer
                progress("no layer profile: the input streams in (row bands; build with --whole-input for one)")
                layers, total = [], run.counts[0]
            else:
                progress(f"profiling layers (tg layers){what}")
                layers, total = profile_layers(dev, sgraph, inputs[0])
            summary = summarize(run, layers, total, dev.info() if name else info, board, result.manifest, target,
                                sgraph)
            if args.meter:                      # the input of `tg layers` stays loaded for `infer`
                from tinygen.cli.power import measure_meter

                summary["energy_measured"] = measure_meter(args, board, dev, summary, name, progress)
            if frames is not None:
                from tinygen.vision.run import frame_summary

                summary.update(frame_summary(run, frames))
                if args.sheet:
                    from tinygen.vision.sheet import contact_sheet

                    progress(contact_sheet(run, frames, sgraph, args.sheet if not name else
                                           str(Path(args.sheet).with_suffix(f".{name}.png"))))
            if name:
                sw = next(s for s in result.manifest["switches"] if s["index"] == k)
                summary["switch"] = {key: sw[key] for key in ("index", "name", "weight_bytes", "arena_size")}
            summaries.append(summary)
    swept = None
    if args.sweep:
        from tinygen.compiler import build
        from tinygen.cli.dynamic import run_sweep

        if len(summaries) != 1 or frames is not None:
            raise UsageError("--sweep runs a gated or early-exit model on --data", "leave out --switch / frames")
        root = result.out_dir
        rows = run_sweep(args.sweep, graph, inputs, labels,
                         lambda g, name: build(source, g, board, root / name, progress, True,
                                               model_id=args.model_id).out_dir,
                         lambda project: open_device(board, project, emulate, args.port, args.timeout), progress)
        swept = rows
    if args.cycles:
        from tinygen.cli.power import estimate_cycles

        estimate_cycles(board, summaries, picked, result.out_dir, inputs, progress)
    failed = sum(s["samples"] - s["bit_exact"] for s in summaries)
    if len(summaries) == 1:
        summary = summaries[0]
        print(render(summary))
        if frames is not None:
            from tinygen.vision.run import render_frames

            print("\n" + render_frames(summary))
        plotted = plot(summary, args.plot) if args.plot else None
        if swept:
            from tinygen.cli.dynamic import report_sweep

            more = report_sweep(swept, summary, args.plot)
            plotted = "\n".join(m for m in (plotted, more) if m)
    else:
        from tinygen.hil.switch_report import plot_switches, render_switches, switch_rows

        rows = switch_rows(summaries)
        for s in summaries:
            print(f"switch {s['switch']['index']}: {s['switch']['name']}\n{render(s)}\n")
        print(render_switches(rows))
        summary = {"model": summaries[0]["model"], "board": board.name, "target": target,
                   "switches": summaries, "table": rows}
        plotted = plot_switches(rows, summary["model"], board.name, args.plot) if args.plot else None
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
        progress(f"report written to {args.json}")
    if plotted:
        print(plotted, file=sys.stderr)
    if failed:
        total = sum(s["samples"] for s in summaries)
        print(f"tinygen hil: {failed} of {total} samples differ from the reference", file=sys.stderr)
        return 1
    return 0


def _switches(args, graph) -> list[tuple[int, str, object]]:
    """The switches --switch asks for: (k, name, graph); a plain model is one unnamed switch."""
    from tinygen.switches import find, is_switchable, switch_graphs

    if not is_switchable(graph):
        if args.switch not in (None, "0", "all"):
            raise UsageError(f"--switch {args.switch}: the model has one precision", "leave out --switch")
        return [(0, "", graph)]
    if args.switch == "all":
        return [(k, name, g) for k, (name, g) in enumerate(switch_graphs(graph))]
    return [find(graph, args.switch if args.switch is not None else 0)]


def _add_device_args(p, fmt_port: str) -> None:
    p.add_argument("--board", required=True, help="target board (see `tinygen boards`)")
    p.add_argument("--emulate", action="store_true", help="run on the board's QEMU stand-in instead of the board")
    p.add_argument("--port", metavar="PORT", help=fmt_port)
    p.add_argument("--probe", choices=("st-flash", "openocd", "pyocd", "idf.py", "esptool.py"),
                   help="flash tool (default: the first installed of the board's [flash].tools)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")


def add_commands(sub, fmt) -> None:
    """Add the flash and hil sub-commands to the `tinygen` parser."""
    from tinygen.cli.common import add_compile_args

    f = sub.add_parser("flash", help="write a built firmware to a board (or boot it on the board's stand-in)",
                       epilog=EPILOG_FLASH, formatter_class=fmt)
    add_compile_args(f, model_optional=True)           # -o alone flashes an earlier build
    f.set_defaults(func=cmd_flash)
    f.add_argument("-o", "--output", "--project", dest="output", metavar="DIR",
                   help="the built project (with MODEL: where to build it; default build/MODEL_NAME)")
    _add_device_args(f, "serial port of the board (ESP32 flashing, and the check after flashing)")
    f.add_argument("--force", action="store_true",
                   help="with MODEL: build into a non-empty folder that is not a tinygen build, beside its files")
    f.add_argument("--serve", action="store_true",
                   help="with --emulate: keep the stand-in running and its socket:// URL open until Ctrl-C")
    f.add_argument("--pty", action="store_true",
                   help="with --emulate --serve: serve it on a pseudo-terminal (/dev/pts/N) instead, for "
                        "programs that open only serial ports (the MLPerf Tiny runner)")
    f.add_argument("--lap", choices=("instr", "us"), default=None,
                   help="with --emulate: what the stand-in's lap lines report: instr, executed instructions "
                        "(m-lap-instr, its default), or us, instructions at the real board's clock as m-lap-us "
                        "(what the MLPerf Tiny runner reads; profile%% marks it emulated)")

    h = sub.add_parser("hil", help="run a data set through the model on a board or stand-in and compare "
                                   "with the reference", epilog=EPILOG_HIL, formatter_class=fmt)
    add_compile_args(h)
    h.add_argument("--data", metavar="DATA",
                   help="inputs: .npz with x (and y labels) or .npy, float, in the model's own layout; a model "
                        "with several inputs: .npz with x0, x1, ... (forward()'s order) or the inputs' own "
                        "names, and y (or camera frames: --images / --frames, audio: --audio / --stream)")
    h.add_argument("--head", type=int, default=0, metavar="K",
                   help="a model with several outputs: the output whose argmax the labels (y) are compared with "
                        "(default 0); every output is checked against the reference")
    h.add_argument("--labels", metavar="LABELS", help=".npy class labels (indices or one-hot); with --audio: "
                                                      "a CSV of file,label")
    h.add_argument("--limit", type=int, metavar="N", help="use only the first N samples")
    h.add_argument("-o", "--output", metavar="DIR", help="build directory (default: build/MODEL_NAME)")
    h.add_argument("--force", action="store_true",
                   help="build into a non-empty folder that is not a tinygen build, beside its files")
    h.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    h.add_argument("--plot", metavar="FILE.png", help="also plot the per-layer cost (with --switch all: accuracy "
                                                      "against cost per switch; with --stream: the waveform, "
                                                      "scores, truth and events; needs matplotlib)")
    h.add_argument("--sweep", metavar="KNOB=V1,V2,...",
                   help="dynamic models: also run at each gate density (density=1,0.7,0.5,0.3) or early-exit "
                        "threshold (exit=0.5,0.7,0.9): accuracy vs mean cost, in the report, JSON and FILE.sweep.png")
    h.add_argument("--switch", metavar="K|NAME|all",
                   help="switchable-precision models: the switch to run (index or name, default the first), "
                        "or all: every switch from the one image, with an accuracy-versus-cost table")
    h.add_argument("--flash", action="store_true", help="flash the board before running (real boards)")
    from tinygen.cli.power import add_power_args

    add_power_args(h)
    _add_device_args(h, "serial port of the board (default: the board file's port_hint, e.g. /dev/ttyACM0)")
    from tinygen.cli.camera import add_frame_args

    add_frame_args(h)
    from tinygen.cli.audio import add_audio_args

    add_audio_args(h)
    h.set_defaults(func=cmd_hil)
