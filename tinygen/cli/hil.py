"""`tinygen hil` (registered by tinygen.cli).

The glue: compile and build (tinygen.compiler), start the stand-in or open the
port (tinygen.hil.target), run the session (tinygen.hil.session) against the
reference, report (tinygen.report.hil).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path

from tinygen.build.output_lock import output_lock
from tinygen.build.toolchain import math_layers, standin_toolchain
from tinygen.cli.built_run import check_rerun, is_build_dir, load_build
from tinygen.cli.camera import add_frame_args
from tinygen.cli.device import (add_data_args, add_run_args, add_switch_arg, board_for, build_project,
                                check_model)
from tinygen.cli.common import Progress, check_output_early, compile_model
from tinygen.cli.listen import add_audio_args, audio_requested, cmd_audio
from tinygen.cli.power import add_power_args, check_power_args, estimate_cycles, measure_meter
from tinygen.errors import UsageError
from tinygen.hil.onnx_check import onnxruntime_agreement
from tinygen.hil.session import (check_data, check_head, check_labels, libm_note, load_inputs, profile_layers,
                                 run_samples)
from tinygen.hil.tflm_check import skip_note, tflm_agreement
from tinygen.ref.float32_nonlinear import use_libm
from tinygen.switches import find, is_switchable, switch_graphs

EPILOG_HIL = """examples:
  tinygen hil examples/models/dscnn.py --board f746zg --emulate --data test.npz
  tinygen hil build/dscnn --board f746zg --emulate --data test.npz     # a build's -o folder, run as built
  tinygen hil kws.tflite --board f746zg --port /dev/ttyACM0 --flash --data kws.npz --json kws.json
  tinygen hil kws.tflite --board f746zg --emulate --data kws.npz --no-tflm   # without the TFLite Micro check
  tinygen hil model.py --board host --data x.npy --labels y.npy --plot layers.png
  tinygen hil two_sensors.py --board f746zg --emulate --data test.npz --head 0   # several inputs: x0, x1 (or names), y
  tinygen hil examples/switchable/sp_digits.py --board f746zg --emulate --data digits.npz --switch all --plot sw.png

audio, camera frames and energy have their own commands: tinygen listen, tinygen camera, tinygen power
"""
# the options that moved to a capability's own command, and that command: `tinygen hil` still
# takes them for one release, with a note
MOVED = (("listen", ("audio", "stream", "reference")), ("camera", ("images", "frames")),
         ("power", ("meter", "cycles")))


def moved_note(args) -> str | None:
    """The note for `tinygen hil` given options that now have their own command, else None."""
    if getattr(args, "command", "hil") != "hil":
        return None
    for command, dests in MOVED:
        used = [d for d in dests if getattr(args, d, None)]
        if used:
            spelled = " / ".join(f"--{d}" for d in used)
            return (f"note: `tinygen hil {spelled}` is now `tinygen {command}` (same options); this spelling "
                    "goes in the next release")
    return None


def cmd_hil(args) -> int:
    if is_build_dir(args):          # hil BUILD_DIR: the folder held as a build's -o is, while it runs
        check_rerun(args)
        with output_lock(args.model):
            return _hil(args, built=True)
    return _hil(args, built=False)


def _hil(args, built: bool) -> int:
    from tinygen.report.hil import plot, render, summarize
    from tinygen.cli.preflight import check_device
    from tinygen.hil.device_libm import device_libm, reference_runs
    from tinygen.hil.target import describe, open_device

    note = moved_note(args)
    if note:
        print(note, file=sys.stderr)
    board = board_for(args)
    emulate = args.emulate
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit {args.limit} must be at least 1")
    check_power_args(args, board, emulate)
    if (audio_requested(args) or args.reference) and (args.images or args.frames or args.data):
        raise UsageError("give one kind of input: --data, camera frames (--images / --frames) or audio "
                         "(--audio / --stream / --reference)")
    check_device(args, board, emulate)          # the port, flash tool and meter: before the long work
    if audio_requested(args) or args.reference:
        return cmd_audio(args, board,
                         lambda source, graph, progress: build_project(args, board, source, graph, progress),
                         check_model)
    if not (args.data or args.images or args.frames):
        raise UsageError("give the inputs: --data FILE (precomputed), camera frames with --images DIR / "
                         "--frames FILE, or audio with --audio / --stream")
    progress = Progress(args.quiet)
    check_output_early(args)
    if args.data:
        check_data(args.data)                   # an empty or unreadable data set: before the compile
    if built:
        source, graph, result = load_build(args, board, progress)
    else:
        source, graph = compile_model(args, progress, board)
    lacking = math_layers(graph, standin_toolchain(board)) if emulate else []
    if lacking:
        raise UsageError(f"the {board.name} stand-in ({board.emulator['machine']}) builds without a C library, and "
                         f"{', '.join(lacking[:4])}{' ...' if len(lacking) > 4 else ''} call its expf / tanhf / "
                         "sqrtf (as TFLite Micro's float kernels do)", "run the model on the board itself (its "
                         "toolchain links a libm), or on a Cortex-M stand-in such as --board f746zg")
    frames = None
    if args.images or args.frames:          # camera frames (tinygen.vision): checked before the C build
        from tinygen.vision.run import frames_for

        frames = frames_for(args, graph)
        inputs, labels = None, frames.labels
    else:
        inputs, labels = load_inputs(args.data, args.labels, source, graph, args.limit)   # before the C build
    check_labels(graph, labels, check_head(graph, args.head))
    picked = _switches(args, graph)
    if not built:
        result = build_project(args, board, source, graph, progress)
    if args.flash and not emulate and board.build != "host":
        from tinygen.run.flash import flash

        progress(f"flashing {board.name}")
        flash(board, result.out_dir, probe=args.probe, port=args.port, log=progress)
    target = describe(board, emulate, args.port)
    summaries = []
    with open_device(board, result.out_dir, emulate, args.port, args.timeout) as dev, ExitStack() as scope:
        info = dev.info()
        check_model(info, result.manifest, board, result.out_dir)
        libm = device_libm(dev, board, result.manifest)     # kernels calling expf...: the reference asks the device
        if libm is not None:
            scope.enter_context(use_libm(libm.functions()))
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
                if libm is not None:
                    progress(f"asking {target} for its {'/'.join(libm.names)} of the reference's values")
                    libm.prefetch(lambda: reference_runs(sgraph, inputs))
                progress(f"running {len(inputs)} samples on {target}{what}")
                run = run_samples(dev, sgraph, inputs, labels, progress=not args.quiet and len(inputs) > 20,
                                  head=args.head, notify=lambda line: print(line, file=sys.stderr, flush=True))
            if frames is not None and run.streamed:     # no whole input on the device to run layer by layer
                progress("no layer profile: the input streams in (row bands; build with --whole-input for one)")
                layers, total = [], run.counts[0]
            else:
                progress(f"profiling layers (tg layers){what}")
                layers, total = profile_layers(dev, sgraph, inputs[0], mismatches=run.mismatches)
            summary = summarize(run, layers, total, dev.info() if name else info, board, result.manifest, target,
                                sgraph)
            note = None if libm is not None else libm_note(sgraph, board)
            if libm is not None:
                summary["libm"] = libm.summary()
            elif note and run.mismatches:       # a float model's expf / tanhf: the device's libm is not this one's
                summary["libm_note"] = note
                print(note, file=sys.stderr)
            if frames is None and not name:     # an .onnx: onnxruntime on the same inputs, beside the reference
                agreement = onnxruntime_agreement(source, sgraph, args.data, run, args.limit)
                if agreement is not None:
                    summary["onnxruntime"] = agreement
                if not args.no_tflm:            # a .tflite: TFLite Micro's interpreter on the device's inputs
                    checked = tflm_agreement(source, sgraph, inputs, run, device_libm=libm is not None)
                    if checked is not None:
                        summary["tflite_micro"] = checked
                        note = skip_note(checked)
                        if note:
                            print(note, file=sys.stderr)
            if args.meter:                      # the input of `tg layers` stays loaded for `infer`
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
        from tinygen.report.switches import plot_switches, render_switches, switch_rows

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
    if not is_switchable(graph):
        if args.switch not in (None, "0", "all"):
            raise UsageError(f"--switch {args.switch}: the model has one precision", "leave out --switch")
        return [(0, "", graph)]
    if args.switch == "all":
        return [(k, name, g) for k, (name, g) in enumerate(switch_graphs(graph))]
    return [find(graph, args.switch if args.switch is not None else 0)]


def add_hil_args(h, legacy: bool = False) -> None:
    """Every option of `tinygen hil`, in its help's groups (model, build, device, data, report).
    `legacy`: also the audio, camera-frame and meter options, hidden from --help: they have their
    own commands now (listen, camera, power) and keep working here for one release."""
    report = add_run_args(h, "also plot the per-layer cost (with --switch all: accuracy against cost per "
                             "switch; needs matplotlib)").report
    add_data_args(h)
    report.add_argument("--sweep", metavar="KNOB=V1,V2,...",
                        help="dynamic models: also run at each gate density (density=1,0.7,0.5,0.3) or early-exit "
                             "threshold (exit=0.5,0.7,0.9): accuracy vs mean cost, in the report, JSON and "
                             "FILE.sweep.png")
    report.add_argument("--no-tflm", action="store_true",
                        help="a .tflite model: leave out the check against TFLite Micro's interpreter (on by "
                             "default where the tflite_micro package is installed: pip install 'tinygen[tflite]'): "
                             "per output, the device's bytes equal to TFLM's or not, and the first differing "
                             "layer")
    add_switch_arg(report)
    moved = [add(h) for add in (add_power_args, add_frame_args, add_audio_args)]
    if legacy:      # parsed, not shown: argparse has no public way to hide a group already added
        for group in moved:
            for action in group._group_actions:
                action.help = argparse.SUPPRESS
            h._action_groups.remove(group)


def hil_defaults() -> dict:
    """What `tinygen hil` sets every option to when it is not given: the commands that run a
    model on a device (listen, camera, power) start from it, so cmd_hil finds every option."""
    p = argparse.ArgumentParser(add_help=False)
    add_hil_args(p)
    args = vars(p.parse_args(["MODEL", "--board", "B"]))
    del args["model"], args["board"]
    return args


def add_command(sub, fmt) -> None:
    """Add the hil sub-command to the `tinygen` parser."""
    h = sub.add_parser("hil", help="run a data set through the model on a board or stand-in: bit-exactness "
                                   "against the reference, accuracy, cost per layer", epilog=EPILOG_HIL,
                       formatter_class=fmt, add_help=False)
    add_hil_args(h, legacy=True)
    h.set_defaults(func=cmd_hil)
