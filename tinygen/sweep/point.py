"""One sweep point: a pure function of its parameters, params -> result row.

    row = run_point(params, context)

1. train: the float model with the point's quantizers and pruning, calibrated and
   optionally fine-tuned (tinygen.sweep.model), saved as a model file (model.py + model.pt)
   that `tinygen build` reads like any other;
2. compile: exactly what `tinygen build MODEL.py --board B --kernels K` compiles (the same
   request, through tinygen.fit.compile.compile_model);
3. accuracy on the data set from tinygen's numpy reference of the compiled int8 graph
   (bit-exact with the firmware);
4. build: the firmware for the board (flash and RAM of the real part's image), cached by
   the compiled graph's hash: a point whose graph was built before reuses that build;
5. run: `samples` inputs on the board's QEMU stand-in (or the attached board): executed
   instructions per inference, every output compared with the reference byte for byte;
   deadlines keep the emulator's own time (tinygen.hil.deadline);
6. energy: the board file's estimate from the instructions (tinygen.report.hil.energy).

A point that fails (does not fit, does not compile, times out, differs from the
reference) comes back with status "failed" and the reason: the sweep goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path

import numpy as np

from tinygen import __version__
from tinygen.board import get_board
from tinygen.build.linked import memory_use
from tinygen.calib import CalibrationWarning, load_calibration
from tinygen.compiler import build, graph_hash
from tinygen.errors import TinygenError, UsageError
from tinygen.fit.compile import CompileRequest, compile_model
from tinygen.hil.deadline import DEFAULT_TIMEOUT
from tinygen.ref.interpreter import quantize_input, run
from tinygen.sweep.spec import layer_params

RESULT_KEYS = ("status", "reason", "accuracy", "instructions", "flash", "ram", "energy_uj", "weights",
               "arena", "bit_exact", "graph")
_DATA: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def load_xy(ref: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) from a .npz (arrays x and y) or FILE.py:FUNCTION returning (x, y); cached per process."""
    if ref in _DATA:
        return _DATA[ref]
    file, sep, func = ref.rpartition(":")
    if sep and file.endswith(".py"):
        from tinygen.frontend.torch_loader import _import_file

        if not Path(file).is_file():
            raise UsageError(f"data module {file!r} does not exist", "give FILE.py:FUNCTION relative to the spec")
        fn = getattr(_import_file(Path(file)), func, None)
        if not callable(fn):
            raise UsageError(f"{file} has no function {func}()", "it must return (inputs, labels)")
        x, y = fn()
    else:
        if not Path(ref).is_file():
            raise UsageError(f"data file {ref!r} does not exist", "give a .npz with arrays x and y")
        with np.load(ref, allow_pickle=False) as z:
            if "x" not in z.files or "y" not in z.files:
                raise UsageError(f"{ref} needs arrays x and y (it has {', '.join(z.files)})",
                                 "save it with numpy.savez(FILE, x=inputs, y=labels)")
            x, y = z["x"], z["y"]
    _DATA[ref] = (np.asarray(x, np.float32), np.asarray(y).reshape(len(x)))
    return _DATA[ref]


def point_key(params: dict, identity: str) -> str:
    """The results store's key: a hash of the point's parameters and the sweep's identity."""
    text = json.dumps({"params": params, "identity": identity}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def build_args(model_file: str, params: dict, calib: str | None) -> list[str]:
    """`tinygen build` arguments that compile this point as the sweep did (-o left out). Constants stay in
    flash (--weights-in flash): a firmware's default, auto, fills the RAM left, so RAM would not compare."""
    args = [model_file, "--board", params["board"], "--kernels", params["kernels"], "--weights-in", "flash"]
    if params.get("storage"):
        args += ["--storage", params["storage"]]
    if calib:
        args += ["--calib", calib]
    return args


def compile_request(model_file: str, params: dict, calib: str | None, timeout: float | None = None) -> CompileRequest:
    """The compile `build_args` spells: this point's model, board's kernels, storage and calibration."""
    return CompileRequest(model_file, calib=calib, kernels=params["kernels"], storage=params.get("storage") or "separate",
                          timeout=DEFAULT_TIMEOUT if timeout is None else float(timeout), weights_in="flash")


def write_point_model(params: dict, ctx: dict, dest: Path) -> Path:
    """The point's model as a model file `tinygen build` reads: dest/model.py + model.pt (an .onnx
    model is its own file: a point changes only its kernels and board)."""
    if ctx["model"].endswith(".onnx"):
        return Path(ctx["model"])
    import torch

    from tinygen.frontend.torch_loader import permanent_pruning
    from tinygen.sweep.model import load_module, point_model
    from tinygen.sweep.write import model_file_text

    module = load_module(Path(ctx["model"]))
    layers = ctx["layers"]
    bits = layer_params(params, layers, "bits", "int8")
    ratios = layer_params(params, layers, "prune", 0.0)
    calib = _calibration(ctx, module)
    train = load_xy(ctx["train"]) if ctx.get("finetune") else None
    net = point_model(module, bits, ratios, calib, train, ctx.get("finetune"), ctx.get("seed", 0))
    dest.mkdir(parents=True, exist_ok=True)
    torch.save(permanent_pruning(net).state_dict(), dest / "model.pt")
    (dest / "model.py").write_text(model_file_text(params, ctx, dest, bits))
    return dest / "model.py"


def _calibration(ctx: dict, module) -> np.ndarray:
    x = np.asarray(module.example_input())
    default = module.calibration_data() if callable(getattr(module, "calibration_data", None)) else None
    # the sweep's models take one input (tinygen.sweep.model quantizes single-input CNNs)
    return load_calibration(ctx.get("calib"), [tuple(x.shape)], None if default is None else np.asarray(default))[0]


def _cached_build(source, graph, board, ctx: dict, real: bool):
    """The built project for this graph and board, from the cache when built before."""
    key = hashlib.sha256(f"{graph_hash(graph)} {board.name} {__version__} {real}".encode()).hexdigest()[:16]
    root = Path(ctx["cache"]) / "firmware"
    done = root / key
    if (done / "manifest.json").is_file():
        return done, json.loads((done / "manifest.json").read_text()), True
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{key}-{uuid.uuid4().hex[:8]}"
    try:
        result = build(source, graph, board, tmp, force=True)
        (tmp / "manifest.json").write_text(json.dumps(result.manifest, default=str))
        try:
            os.rename(tmp, done)
        except OSError:            # another worker built it meanwhile: keep theirs
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done, json.loads((done / "manifest.json").read_text()), False


def _memory(manifest: dict) -> tuple[int | None, int | None]:
    use = memory_use(manifest)          # the linked image (firmware-emu.elf on ESP32 boards), else predicted
    flash, ram = use.get("flash") or {}, use.get("ram") or {}
    return flash.get("used"), ram.get("used")


def _cpu_seconds() -> float:
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_point(params: dict, ctx: dict) -> dict:
    """Build and measure one point; never raises for a failed point (status, reason)."""
    timing: dict[str, float] = {}
    row: dict = dict.fromkeys(RESULT_KEYS)
    clock = (time.perf_counter(), _cpu_seconds())

    def lap(what: str) -> None:
        """Wall seconds of a phase, and as `what`_cpu the CPU seconds of this process and
        of the programs it ran (compilers, QEMU): the cost that does not depend on the load."""
        nonlocal clock
        now = (time.perf_counter(), _cpu_seconds())
        for key, a, b in ((what, clock[0], now[0]), (f"{what}_cpu", clock[1], now[1])):
            timing[key] = round(timing.get(key, 0.0) + b - a, 3)
        clock = now

    try:
        row.update(_measure(params, ctx, lap))
        row["status"] = "ok"
    except (TinygenError, AssertionError) as e:
        row.update(status="failed", reason=str(e).splitlines()[0])
    except Exception as e:                       # a point must not stop the sweep
        row.update(status="failed", reason=f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    lap("other")
    row["timing"] = timing
    return row


def _measure(params: dict, ctx: dict, lap) -> dict:
    import warnings

    from tinygen.report.hil import energy
    from tinygen.hil.session import run_samples
    from tinygen.hil.target import open_device

    real = bool(ctx.get("real_boards"))
    board = get_board(params["board"])
    points = Path(ctx["cache"]) / "points" / point_key(params, ctx["identity"])
    model_file = write_point_model(params, ctx, points)
    lap("train")
    request = compile_request(str(model_file), params, ctx.get("calib"), ctx.get("timeout"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        source, graph = compile_model(request, board)
    lap("compile")
    x, y = load_xy(ctx["data"])
    q = quantize_input(graph, source.to_graph_layout(x))
    out = graph.outputs[0]
    preds = np.array([int(np.argmax(run(graph, q[i:i + 1])[out])) for i in range(len(q))])
    accuracy = float(np.mean(preds == y))
    lap("reference")
    project, manifest, _ = _cached_build(source, graph, board, ctx, real)
    lap("build")
    n = min(int(ctx.get("samples", 4)), len(q))
    with open_device(board, project, emulate=not real, timeout=request.timeout) as dev:
        result = run_samples(dev, graph, q[:n], y[:n], timeout=request.timeout)
    if result.mismatches:
        m = result.mismatches[0]
        raise AssertionError(f"{n - result.exact} of {n} outputs differ from the reference (sample {m.sample}: "
                             f"{m.detail})")
    # the device's own count per inference, the mean over the samples: a board's cycle counter,
    # the stand-ins' exact instruction counts (the RISC-V one's instret, the Cortex-M ones' timer
    # read to the instruction: tinygen's mps2 port)
    instructions = int(round(sum(result.counts) / n))
    lap("run")
    flash, ram = _memory(manifest)
    e = energy(board, "instructions" if not real else "cycles", instructions, None)
    return {"accuracy": accuracy, "instructions": instructions, "flash": flash, "ram": ram,
            "energy_uj": None if e is None else round(e["joules"] * 1e6, 4),
            "weights": manifest.get("weight_bytes"), "arena": manifest.get("arena_size"),
            "bit_exact": f"{result.exact}/{n}", "graph": graph_hash(graph)}
