"""`tinygen power`: energy per inference measured with a meter on a board (--meter,
tinygen.energy), or cycles, time and energy estimated on a stand-in (--cycles, tinygen.cycles),
for a data set (--data); its options, checks and steps, which the run in tinygen.cli.hil calls."""

from __future__ import annotations

from pathlib import Path

from tinygen.cli.device import add_data_args, add_run_args, add_switch_arg
from tinygen.cli.listen import audio_requested
from tinygen.errors import UsageError
from tinygen.hil.session import input_bytes


def add_power_args(p):
    """--meter, --meter-port, --meter-runs, --cycles, --meter-plot, in a group of `p`'s help (returned)."""
    from tinygen.energy.drivers import METERS

    h = p.add_argument_group("energy", "measured with a meter on a board, or cycles estimated on a stand-in")
    h.add_argument("--meter", choices=tuple(METERS), help="measure energy per inference with this meter, wired to "
                   "the board's timestamp pin (boards/README.md, 'Energy mode')")
    h.add_argument("--meter-port", metavar="PORT", help="the meter's serial port (ppk2, lpm01a) or serial number "
                                                        "(joulescope); default: the only one connected")
    h.add_argument("--meter-runs", type=int, default=10, metavar="N",
                   help="timed inferences recorded by the meter (default 10)")
    h.add_argument("--cycles", action="store_true",
                   help="with --emulate: also estimate cycles, ms and energy per layer from the executed "
                        "instruction mix (QEMU's execution log, a timing model of the board's core; an estimate, "
                        "runs the stand-in again, slower)")
    h.add_argument("--meter-plot", metavar="FILE.png",
                   help="plot the current of one inference with the layer boundaries (needs matplotlib)")
    return h


def measure_meter(args, board, dev, summary: dict, switch: str, progress) -> dict:
    """Energy per inference from the meter (tinygen.energy), and the trace plot."""
    from tinygen.energy import measure_hil

    progress(f"measuring energy with {args.meter}: {args.meter_runs} timed inferences")
    plot = args.meter_plot
    if plot and switch:
        plot = str(Path(plot).with_suffix(f".{switch}.png"))
    measured, note = measure_hil(dev, args.meter, args.meter_port, float(board.power.get("supply_v", 3.3)),
                                 args.meter_runs, summary["layers"], plot,
                                 f"{summary['model']} on {board.name}")
    if note:
        progress(note)
    return measured


def check_power_args(args, board, emulate: bool) -> None:
    """--cycles on stand-ins with a cycle model; --meter with a timestamp pin (or a stand-in, for tests)."""
    if args.cycles:
        from tinygen.cycles.price import model_for

        if not emulate:
            raise UsageError("--cycles estimates cycles on a stand-in", "add --emulate (a board counts its real "
                                                                        "cycles)")
        model_for(board)
    if not args.meter:
        if args.meter_port or args.meter_plot:
            raise UsageError("--meter-port and --meter-plot go with --meter", "add --meter joulescope|ppk2|lpm01a")
        return
    if audio_requested(args) or args.reference:
        raise UsageError("--meter measures inferences on --data or camera frames", "leave out the audio options")
    if args.meter_runs < 1:
        raise UsageError(f"--meter-runs {args.meter_runs} must be at least 1")
    if not board.energy and not emulate and board.build != "host":
        raise UsageError(f"board {board.name} names no timestamp pin for energy mode",
                         f"add [energy] timestamp_pin and wiring to {board.path} (boards/README.md, 'Energy mode')")


def estimate_cycles(board, summaries: list[dict], picked, project, inputs, progress) -> None:
    """--cycles: the estimate for the first input, into the (one) summary."""
    from tinygen.cycles import estimate_standin

    if picked[0][1]:
        raise UsageError("--cycles does not estimate switchable-precision models yet", "leave out --cycles")
    progress("estimating cycles: one inference on the stand-in with QEMU's execution log (slower)")

    summaries[0]["cycles_estimate"] = estimate_standin(board, project, input_bytes(inputs[0]))


EPILOG_POWER = """examples:
  tinygen power kws.tflite --board f446re --emulate --data kws.npz --cycles      # estimated cycles per layer
  tinygen power kws.tflite --board f746zg --data kws.npz --meter joulescope --meter-plot kws-current.png
  tinygen power kws.tflite --board f446re --data kws.npz --meter ppk2 --meter-port /dev/ttyACM1
"""


def cmd_power(args, run) -> int:
    if not (args.meter or args.cycles):
        raise UsageError("say how to get the energy: --meter joulescope|ppk2|lpm01a (a board) or --cycles "
                         "(an estimate on the stand-in, with --emulate)")
    if not args.data:
        raise UsageError("give the inputs: --data FILE (.npz with x, or .npy)")
    return run(args)


def add_command(sub, fmt, run, defaults: dict) -> None:
    """`tinygen power`: `run` is the run of tinygen.cli.hil, `defaults` its options' defaults."""
    p = sub.add_parser("power", help="energy per inference: measured with a meter on a board, or cycles and "
                                     "energy estimated on a stand-in", epilog=EPILOG_POWER, formatter_class=fmt,
                       add_help=False)
    add_switch_arg(add_run_args(p, "also plot the per-layer cost (with --switch all: accuracy against cost "
                                   "per switch; needs matplotlib)").report)
    add_data_args(p)
    add_power_args(p)
    p.set_defaults(**defaults)
    p.set_defaults(func=lambda args: cmd_power(args, run))


__all__ = ["add_command", "add_power_args", "check_power_args", "cmd_power", "estimate_cycles", "measure_meter"]
