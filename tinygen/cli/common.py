"""What the commands that compile a model share: its command-line options, the
compile itself (load, calibrate, quantize, lower, choose kernels) and progress
lines. Used by tinygen.cli (build, inspect) and tinygen.cli.hil (flash, hil)."""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass, replace

from tinygen.board import for_energy_runner, get_board
from tinygen.build.output import check_output
from tinygen.codegen.audio import CHOICES as FRONTENDS
from tinygen.errors import UsageError
from tinygen.hil.deadline import TIMEOUT_HELP, add_timeout_option
from tinygen.kernels.table import BACKENDS
from tinygen.passes.camera_input import DRIVERS, CameraSpec, parse_pixel_range
from tinygen.passes.lower_peak import switch_peak_lines
from tinygen.ref.frame_formats import parse_size
from tinygen.report.weights import weights_lines


BOARD_HELP = "target board: a name or alias, any case (`tinygen boards`), or your own FILE.toml (docs/boards.md)"


class Progress:
    """Numbered progress lines on stderr with the time each step took."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.start = time.perf_counter()
        self.step = 0

    def __call__(self, message: str) -> None:
        self.step += 1
        if not self.quiet:
            print(f"[{time.perf_counter() - self.start:6.2f}s] {message}", file=sys.stderr, flush=True)


def board_of(args):
    """The --board of a command, as the EEMBC EnergyRunner wants it with --energy-runner."""
    from tinygen.build.built import board_in_build

    try:
        board = get_board(args.board)
    except UsageError:      # a user's board by name: the board file its build folder (-o) keeps
        board = board_in_build(args.board, getattr(args, "output", None))
        if board is None:
            raise
    return for_energy_runner(board) if getattr(args, "energy_runner", False) else board


@dataclass(frozen=True)
class Groups:
    """The argument groups of a command's --help: the model, how it is built, the device it
    runs on (None for build and inspect) and what the command reports."""
    model: argparse._ArgumentGroup
    build: argparse._ArgumentGroup
    device: argparse._ArgumentGroup | None = None
    report: argparse._ArgumentGroup | None = None
    shared: tuple = ()      # the options `tinygen build` has too (a device command's --help leaves them out)


def add_compile_args(p: argparse.ArgumentParser, model_optional: bool = False, builds: bool = True,
                     device: bool = False, own_camera: bool = False) -> Groups:
    """The model and how to compile it, in the groups `model` and `build` of `p`'s help (and
    `device`, which holds --timeout, for the commands that talk to a device; else `build` holds
    it); `builds`: the command also writes firmware (--model-id). A device command (flash, hil,
    listen, camera, power; its parser made with add_help=False) gets -h/--help, which leaves the
    options it shares with `tinygen build` out (but the camera group's with `own_camera`) and
    points there, and --help-all. Returns the groups."""
    brief = None
    if device:
        brief = p.add_argument("-h", "--help", action=BriefHelp, help="show this command's own options and exit "
                               "(those shared with `tinygen build` too: --help-all)")
        p.add_argument("--help-all", action="help", help="show every option, the build options too, and exit")
    first = len(p._actions)
    groups = Groups(p.add_argument_group("model", "the model file and its quantization"),
                    p.add_argument_group("build", "kernels, memory and what the firmware holds"),
                    p.add_argument_group("device", "where the firmware runs") if device else None)
    m, b = groups.model, groups.build
    m.add_argument("model", nargs="?" if model_optional else None,
                   help="model file: .py (defines model() and example_input()), .pt2, int8 .tflite, or .onnx "
                        "(float, or quantized by onnxruntime: QDQ or QOperator)")
    m.add_argument("--calib", metavar="DATA",
                   help="calibration inputs: .npy, .npz, FILE.py:FUNCTION, or 'random' "
                        "(default: the model file's calibration_data())")
    m.add_argument("--calib-method", choices=("minmax", "percentile"), default="minmax",
                   help="how activation ranges are taken from the calibration data (default: minmax)")
    m.add_argument("--percentile", type=float, default=99.99, metavar="P",
                   help="with --calib-method percentile: keep the [100-P, P] percentile range (default 99.99)")
    b.add_argument("--kernels", choices=BACKENDS, default=None,
                   help="kernel implementations: tinygen's (with the board's ISA extensions), portable C only, "
                        "CMSIS-NN or ESP-NN where it has the layer, or auto: per layer the fastest by executed "
                        "instructions measured on the board's stand-in, cached "
                        "(default: auto on Cortex-M boards, tinygen otherwise)")
    b.add_argument("--prefer", choices=("balanced", "speed"), default="balanced",
                   help="--kernels auto: balanced takes a measured-faster kernel that keeps more constant "
                        "flash than the preferred one only where it saves at least 4 instructions per byte "
                        "added (tinygen/kernels/auto_pick.py); speed takes the fastest whatever its flash "
                        "(default: balanced)")
    b.add_argument("--cmsis-nn", metavar="PATH", default=None,
                   help="a CMSIS-NN source tree for --kernels cmsis-nn / auto (default: $CMSIS_NN_PATH)")
    b.add_argument("--esp-nn", metavar="PATH", default=None,
                   help="an ESP-NN source tree for --kernels esp-nn (default: $ESP_NN_PATH)")
    m.add_argument("--activations", metavar="WIDTH", default="int8",
                   help="activation width of the layers tinygen quantizes (PyTorch, float ONNX): int8; int16 "
                        "(TFLite's 16x8 scheme: int16 activations, int8 weights, int64 biases) for every layer "
                        "with int16 kernels, the rest int8 with QUANTIZE layers between; or int16:LAYER,LAYER for "
                        "those layers only, by module path (conv1, features.0) or node name (default: int8)")
    m.add_argument("--fold-input-transpose", action="store_true",
                   help="a .tflite whose input goes straight into a TRANSPOSE from NCHW to NHWC (a model "
                        "exported from PyTorch): take the input as NHWC and leave the transpose out (the data "
                        "and the device's input are then NHWC)")
    m.add_argument("--onnx-rounding", choices=("onnxruntime", "tflite"), default="onnxruntime",
                   help="a quantized .onnx model's requantization: onnxruntime, the fixed-point pair that rounds "
                        "once as onnxruntime does (equal to onnxruntime on more outputs; the DSP kernels' "
                        "rounds-once mode); tflite, TFLite's normalized pair (within 1 LSB of onnxruntime; the "
                        "same arithmetic, kernels and arena as the same network's .tflite) (default: onnxruntime)")
    m.add_argument("--no-compact", dest="compact", action="store_false",
                   help="keep the zeroed filters of a pruned model (default: remove them and the matching "
                        "input channels of their readers, where that is exact)")
    b.add_argument("--tile", choices=("auto", "off"), default=None,
                   help="patch-based inference (tinygen/passes/tile.py): auto computes the initial stage "
                        "tile by tile where that lowers the arena within 15%% more MACs (inspect --memory "
                        "says what it chose, or why not); off: never, not even to fit the board's RAM "
                        "(default: off, but tried before refusing a model whose RAM does not fit)")
    b.add_argument("--no-lower-peak", dest="lower_peak", action="store_false",
                   help="keep every layer's preferred kernel (or --kernels auto's choice) even where a "
                        "scratch-free kernel would lower the arena (default: swap at the arena's peak, "
                        "among the named library's kernels under --kernels cmsis-nn / esp-nn)")
    m.add_argument("--weights", metavar="SPEC", default=None,
                   help="store the MAC layers' weights compressed: lut:BITS (BITS 2-6; weight sharing, each "
                        "weight an index into a table of 2**BITS values; lut:BITS:tensor, the default, or "
                        "lut:BITS:channel for one table per tensor or per output channel), huffman (entropy-coded, decoded "
                        "while the layer runs), or both, e.g. lut:4,huffman (default: int8)")
    m.add_argument("--storage", choices=("separate", "nested", "mixed"), default="separate",
                   help="switchable-precision models: store each switch's weights at its width (separate, "
                        "exact for any quantizer), or nested layers once as 8 bit planes that every switch "
                        "reads with the bit-serial kernel (nested; needs the nested weight quantizer), or "
                        "nested with the top switch's int8 codes kept where the board's flash allows, by "
                        "instructions saved per flash byte (mixed)")
    if builds:
        b.add_argument("--frontend", choices=FRONTENDS, default=None,
                       help="put an audio front end before the model: mfcc turns 16 kHz int16 audio into the "
                            "MLPerf Tiny KWS features on the device (tg audio / tg stream, PROTOCOL.md); float on "
                            "cores with an FPU, fixed point without (-f32 / -q31 force one); the model's input "
                            "must be [1, 49, 10, 1] int8")
        b.add_argument("--model-id", metavar="ID", default=None,
                       help="what the firmware's profile%% answers as m-model-[ID], the id benchmark runners "
                            "pick their test by (the MLPerf Tiny runner: kws01, vww01, ic01, ad01); default: the "
                            "MLPerf Tiny id of its four reference models (recognised by sha256), else the model's "
                            "name")
        b.add_argument("--energy-runner", action="store_true",
                       help="firmware for the EEMBC EnergyRunner's energy mode: the serial port at the runner's "
                            "rate through its IO manager (the board file's [energy] runner_baud, 9600) and the "
                            "timestamp pin pulsing as EEMBC's th_timestamp() (tg pin eembc) from boot")
    b.add_argument("--stateful", action="store_true",
                   help="recurrent layers (LSTM, GRU) keep their state from one inference to the next, so a model "
                        "over one time step runs a sequence frame by frame; `tg reset` (tg_model_reset_state()) "
                        "starts a new one (default: each inference starts from h0 / c0, as PyTorch does)")
    b.add_argument("--arena-region", metavar="NAME", default=None,
                   help="put the tensor arena in this RAM region of the board (its [[memory]] name, e.g. dtcm "
                        "on the F746ZG / F767ZI); weights stay in flash (default: with the rest of RAM)")
    b.add_argument("--weights-in", choices=("auto", "flash", "ram"), default=None,
                   help="where the constants live: auto moves the layers whose flash reads cost most cycles per "
                        "byte into the RAM left after the arena and stack (within --ram-budget: give it to keep RAM "
                        "for your own code), flash keeps them all in flash, ram moves every layer's (Cortex-M "
                        "boards; `tinygen inspect --memory` lists what moved and why). Default: auto for a "
                        "firmware, flash with --library or --package")
    for kind, what in (("flash", "flash"), ("ram", "RAM")):
        b.add_argument(f"--{kind}-budget", metavar="BYTES", type=parse_bytes, default=None,
                       help=f"the most {what} the firmware may use, to leave the rest of the part's {what} to your "
                            f"own application (e.g. 400K; K = 1024 B, M = 1024 K); kernels are chosen to fit it "
                            f"(default: all of the part's)")
    add_timeout_option(groups.device or b, help=TIMEOUT_HELP + "; --kernels auto measures with it on the "
                       "stand-in")
    camera = add_camera_args(p)
    own = {"model", "timeout"}          # the command's own: its model and how long to wait for its device
    own |= {a.dest for a in camera._group_actions} if own_camera else set()
    groups = replace(groups, shared=tuple(a for a in p._actions[first:] if a.dest not in own))
    if brief is not None:
        brief.hidden = groups.shared
    return groups


class BriefHelp(argparse.Action):
    """-h/--help of a device command: its help without the options it shares with `tinygen
    build` (Groups.shared), and a line pointing to them."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)
        self.hidden: tuple = ()         # set by add_compile_args once the shared options are added

    def __call__(self, parser, namespace, values, option_string=None):
        parser._print_message(brief_help(parser, self.hidden), sys.stdout)
        parser.exit()


def brief_help(parser: argparse.ArgumentParser, hidden) -> str:
    """`parser`'s help (argparse's format_help) without the actions in `hidden`, and groups
    left empty by that, plus a line naming how many options were left out and where they are."""
    hidden = set(hidden)
    fmt = parser._get_formatter()
    fmt.add_usage(parser.usage, [a for a in parser._actions if a not in hidden], parser._mutually_exclusive_groups)
    fmt.add_text(parser.description)
    for group in parser._action_groups:
        shown = [a for a in group._group_actions if a not in hidden]
        if shown:
            fmt.start_section(group.title)
            fmt.add_text(group.description)
            fmt.add_arguments(shown)
            fmt.end_section()
    if hidden:
        fmt.add_text(f"build options: {len(hidden)} more (--calib, --kernels, --tile, --ram-budget, ...), the same as "
                     f"`tinygen build`'s:\n  see `tinygen build --help`, or `{parser.prog} --help-all` for every "
                     "option")
    fmt.add_text(parser.epilog)
    return fmt.format_help()


def add_camera_args(p):
    """The camera front end's options, in their own group of `p`'s help (returned)."""
    g = p.add_argument_group("camera front end (image models)")
    g.add_argument("--camera", action="store_true",
                   help="build the camera front end: frames in RGB565 (either byte order), YUYV or gray, "
                        "centre-cropped, resized and quantized on the device (`tg frame`, PROTOCOL.md); on a "
                        "board with a camera module ([camera] in its board file, e.g. esp32-cam) also "
                        "`tg capture` from the sensor. Implied by tinygen camera --images / --frames")
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
    return g


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


_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*([kKmM]?)(?:i?[bB])?\s*")


def parse_bytes(text: str) -> int:
    """--flash-budget / --ram-budget: "409600", "400K", "400KiB", "0.5M" (K = 1024 B)."""
    m = _SIZE.fullmatch(text)
    if not m or float(m[1]) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: give bytes above zero, or K or M (e.g. 400K)")
    return int(float(m[1]) * {"": 1, "k": 1024, "m": 1 << 20}[m[2].lower()])


def budgeted(args, board):
    """The board with --flash-budget / --ram-budget applied (tinygen.board.Board.with_budget)."""
    flash, ram = getattr(args, "flash_budget", None), getattr(args, "ram_budget", None)
    if flash is None and ram is None:
        return board
    if board is None:
        raise UsageError("--flash-budget and --ram-budget need --board", "name the board whose memory to budget")
    return board.with_budget(flash, ram)


def weights_in(args) -> str:
    """--weights-in, or its default: auto for a firmware (tinygen links it, so it knows the RAM left), flash for a
    --library or --package (whose application's RAM tinygen does not know)."""
    given = getattr(args, "weights_in", None)
    if given is not None:
        return given
    return "flash" if getattr(args, "library", False) or getattr(args, "package", None) else "auto"


def compile_request(args, board=None, allow_uncalibrated: bool = False):
    """The compile a command's options ask for (tinygen.fit.compile.CompileRequest)."""
    # the compiler's modules load when a command compiles, not for its --help
    from tinygen.fit.compile import CompileRequest

    return CompileRequest(args.model, calib=args.calib, calib_method=args.calib_method, percentile=args.percentile,
                          kernels=args.kernels, prefer=getattr(args, "prefer", "balanced"), cmsis_nn=args.cmsis_nn,
                          esp_nn=args.esp_nn, compact=getattr(args, "compact", True), tile=getattr(args, "tile", None),
                          lower_peak=getattr(args, "lower_peak", True), storage=getattr(args, "storage", "separate"),
                          frontend=getattr(args, "frontend", None), model_id=getattr(args, "model_id", None),
                          arena_region=args.arena_region,
                          camera=camera_spec(args, board, implied=_frames_given(args)),
                          stream_input=not getattr(args, "whole_input", False), timeout=args.timeout,
                          allow_uncalibrated=allow_uncalibrated, stateful=getattr(args, "stateful", False),
                          activations=getattr(args, "activations", "int8"),
                          fold_input_transpose=getattr(args, "fold_input_transpose", False),
                          onnx_rounding=getattr(args, "onnx_rounding", "onnxruntime"),
                          weights=getattr(args, "weights", None), weights_in=weights_in(args))


def compile_model(args, progress, board=None, allow_uncalibrated=False):
    """Load and compile the model a command names for `board` (None: no ISA features): the
    library's compile (tinygen.fit.compile.compile_model) of the options' request. With
    allow_uncalibrated (inspect), a model with no calibration data is calibrated on random
    data without a warning."""
    from tinygen.fit.compile import compile_model as compile_request_model

    return compile_request_model(compile_request(args, board, allow_uncalibrated), board, progress)


def _frames_given(args) -> bool:
    """tinygen camera --images / --frames: camera frames, so the camera front end is built in."""
    return bool(getattr(args, "images", None) or getattr(args, "frames", None))


def inputs_of(args) -> list[str]:
    """The files a command reads (never replaced by the build it makes)."""
    return [p for p in (getattr(args, key, None) for key in ("model", "calib", "data", "labels", "frames"))
            if p and ":" not in p]


def check_output_early(args) -> None:
    """Refuse an -o folder tinygen may not write into before compiling (a build with
    --kernels auto measures for minutes first); the build checks again."""
    if getattr(args, "output", None):
        check_output(args.output, getattr(args, "force", False), inputs_of(args))


def print_kernels(graph) -> None:
    """--kernels auto: the kernel chosen per layer and its measured instructions."""
    from tinygen.fit.autotune import choice_table

    report = graph.meta.get("kernels") or {}
    if report.get("mode") != "auto":
        return
    if not any(layer["candidates"] for layer in report["layers"]):
        print(f"\n  note: {report['note']}" if report.get("note") else "")
        return
    metric = report.get("metric") or "instructions"
    what = "estimated cycles (the board's timing model)" if metric == "cycles" else "executed instructions"
    print(f"\n  kernels (auto: per layer the fewest {what} on the stand-in):")
    print("\n".join("    " + line for line in choice_table(report).splitlines()))
    for r in report.get("flash_refused") or []:
        print(f"  {r['layer']}: {r['kernel']} kept (--prefer balanced): {r['fastest']} saves "
              f"{r[f'{metric}_kept']:,} {'est. cycles' if metric == 'cycles' else 'instructions'} for "
              f"{r['flash_refused']:,} B more flash")
    if report.get("note"):
        print(f"  note: {report['note']}")


def print_weights(graph) -> None:
    """--weights lut: the layers sharing weights, their bytes against int8, the accuracy cost;
    --weights huffman: the layers coded, their bytes."""
    lines = weights_lines(graph)
    if lines:
        print("\n  " + "\n  ".join(lines))


def print_activations(graph) -> None:
    """--activations int16: which layers run with int16 activations, which stay int8, and the
    QUANTIZE layers between them."""
    if graph.meta.get("activations") is None:
        return
    layers = [n for n in graph.nodes if n.kernel and n.op != "requantize"]

    def name(node) -> str:
        path = node.source.split(" (")[0]
        return node.name if not path or path == node.name or " " in path else f"{node.name} ({path})"

    wide = [name(n) for n in layers if graph.tensor(n.outputs[0]).dtype == "int16"]
    narrow = [name(n) for n in layers if graph.tensor(n.outputs[0]).dtype != "int16"]
    between = sum(1 for n in graph.nodes if n.op == "requantize")
    print(f"\n  activations int16 (16x8) in {len(wide)} layers: {', '.join(wide) or 'none'}")
    if narrow:
        print(f"  int8 (no int16 kernel, or not named) in {len(narrow)} layers: {', '.join(narrow)}")
    print(f"  QUANTIZE layers between int8 and int16: {between}")


def print_fit(graph) -> None:
    """Whether the fastest kernels fit the board, and what the fit-first trade cost."""
    from tinygen.fit import fit_lines
    from tinygen.fit.ram import ram_fit_lines
    from tinygen.fit.switches import mixed_lines

    lines = (mixed_lines(graph.meta.get("nested_mixed")) + ram_fit_lines(graph.meta.get("fit_ram"))
             + fit_lines(graph.meta.get("fit")) + switch_peak_lines(graph))
    if lines:
        print("\n".join("  " + line for line in lines))


__all__ = ["BriefHelp", "Progress", "add_compile_args", "brief_help", "budgeted", "parse_bytes", "print_activations", "print_fit", "check_output_early", "compile_model",
           "compile_request", "inputs_of", "print_kernels"]
