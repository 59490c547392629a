"""`tinygen hil` (registered by tinygen.cli).

The glue: compile and build (tinygen.compiler), start the stand-in or open the
port (tinygen.hil.target), run the session (tinygen.hil.session) against the
reference, report (tinygen.hil.report).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tinygen.cli.device import add_device_args, board_for, build_project, check_model
from tinygen.errors import UsageError

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


def cmd_hil(args) -> int:
    from tinygen.cli.common import Progress, check_output_early, compile_model
    from tinygen.cli.listen import audio_requested, cmd_audio
    from tinygen.hil.report import plot, render, summarize
    from tinygen.hil.preflight import check_device
    from tinygen.hil.session import check_data, check_head, load_inputs, profile_layers, run_samples
    from tinygen.hil.target import describe, open_device

    board = board_for(args)
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
        return cmd_audio(args, board, lambda source, graph, progress: build_project(args, board, source, graph, progress),
                         check_model)
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
    result = build_project(args, board, source, graph, progress)
    if args.flash and not emulate and board.build != "host":
        from tinygen.run.flash import flash

        progress(f"flashing {board.name}")
        flash(board, result.out_dir, probe=args.probe, port=args.port, log=progress)
    target = describe(board, emulate, args.port)
    summaries = []
    with open_device(board, result.out_dir, emulate, args.port, args.timeout) as dev:
        info = dev.info()
        check_model(info, result.manifest, board, result.out_dir)
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


def add_command(sub, fmt) -> None:
    """Add the hil sub-command to the `tinygen` parser."""
    from tinygen.cli.common import add_compile_args

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
    add_device_args(h, "serial port of the board (default: the board file's port_hint, e.g. /dev/ttyACM0)")
    from tinygen.cli.camera import add_frame_args

    add_frame_args(h)
    from tinygen.cli.listen import add_audio_args

    add_audio_args(h)
    h.set_defaults(func=cmd_hil)
