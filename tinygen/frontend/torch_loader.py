"""Load a user's PyTorch model and export it with `torch.export`.

Two forms are accepted:

* a Python file defining `model()` (returns an `nn.Module`), `example_input()`
  (a tensor: NCHW for images, [N, F] for MLPs; a tuple of tensors, one per
  forward() argument, for a model with several inputs) and optionally
  `calibration_data()` (an array of inputs, same layout; a tuple of arrays,
  one per input and the same number of samples each, for several inputs);
* a program saved with `torch.export.save` (`.pt2`), loaded with
  `torch.export.load`; its recorded example inputs are used.

The module is put in eval mode and exported on batch 1 of the example inputs,
without decompositions, so that the graph keeps `aten.conv2d`, `aten.linear`,
`aten.batch_norm` and friends. Every failure becomes a `ModelError` that says
what to do; no raw traceback reaches the user.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinygen.frontend import nchw_to_ir
import torch
import torch.ao.quantization.fx._decomposed  # noqa: F401  (registers the quantized_decomposed ops of PT2E programs)

from tinygen.errors import ModelError
from tinygen.frontend import torch_brevitas
from tinygen.frontend.user_module import import_file, no_bytecode
import tinygen.nn  # (also registers the tinygen.qconv2d / qlinear ops a .pt2 program may hold)

# what importing torchao (a PT2E model file does) logs on a CPU-only torch: the CUDA kernels it
# cannot load, a deprecation
TORCHAO_LOGS = ("torchao", "torch.utils._pytree")
MODEL_FILE_HELP = (
    "a model file is a Python file defining model() (returns a torch.nn.Module), "
    "example_input() (returns a tensor, NCHW for images or [N, features]; a tuple of tensors "
    "for a model with several inputs) and, optionally, calibration_data() (an array of ~100 "
    "representative inputs; a tuple of arrays, one per input)"
)


@dataclass
class LoadedModel:
    """A user model after export. Arrays are in the model's own (torch) layout."""

    name: str
    path: Path
    program: "torch.export.ExportedProgram"
    example_inputs: list[np.ndarray]       # one per forward() argument, batch 1, float32
    # [N, ...] float32 (one input) or a tuple of them, one per input with the same N; None if not given
    calibration: np.ndarray | tuple[np.ndarray, ...] | None = None
    # a switchable-precision model: (switch name, its program) per switch, highest precision
    # first (`program` is the first's); empty for a plain model
    switches: list[tuple[str, "torch.export.ExportedProgram"]] = field(default_factory=list)
    input_names: list[str] = field(default_factory=list)    # forward()'s argument names
    # feature_gains(): what the audio front end multiplies each input feature by before the int8
    # quantization (one per element of the input's last axis), None if not given
    feature_gains: tuple[float, ...] | None = None

    @property
    def example_input(self) -> np.ndarray:
        """The (first) example input."""
        return self.example_inputs[0]

    def calibration_ir(self) -> np.ndarray | tuple[np.ndarray, ...] | None:
        """The calibration inputs in the IR's layout (NHWC for 4-D inputs)."""
        if isinstance(self.calibration, tuple):
            return tuple(to_ir_layout(c) for c in self.calibration)
        return None if self.calibration is None else to_ir_layout(self.calibration)


def to_ir_layout(x: np.ndarray) -> np.ndarray:
    """Torch-layout batch (NCHW, or [N, C, L]) -> IR layout (NHWC, [N, 1, L, C])."""
    return nchw_to_ir(x)


def load(path: str | Path) -> LoadedModel:
    """Load and export the model at `path` (a .py model file or a .pt2 program)."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"model file {str(path)!r} does not exist",
                         hint="give the path of a .py model file or a .pt2 exported program")
    if path.suffix == ".pt2":
        return _load_pt2(path)
    if path.suffix == ".py":
        return _load_py(path)
    raise ModelError(f"cannot load {str(path)!r}: expected a .py model file or a .pt2 program",
                     hint=MODEL_FILE_HELP)


def _load_pt2(path: Path) -> LoadedModel:
    program = _deserialize(path)
    example = program.example_inputs
    args = example[0] if example else ()
    if not args or not all(isinstance(a, torch.Tensor) for a in args) or (example[1] if example else None):
        raise ModelError(f"{str(path)!r}: the exported program must take input tensors (positional "
                         f"arguments) and record its example inputs",
                         hint="export with torch.export.export(model.eval(), (x[:1],)), or (a[:1], b[:1]) "
                              "for a model with several inputs")
    xs = [_to_numpy(a.detach()[:1], "the example input") for a in args]
    return LoadedModel(path.stem, path, program, xs, input_names=_input_names(program))


def _deserialize(path: Path):
    """torch.export.load, with torch's log of a failure kept from the user and its cause said in
    one line (an operator nobody registered: by its name)."""
    try:
        return _quiet_load(path)
    except _Unresolved as e:
        if e.op.startswith("torch.ops.torchao."):
            raise ModelError(f"cannot load exported program {str(path)!r}: it uses torchao's operator {e.op}, which "
                             "tinygen does not compile",
                             hint="quantize with prepare_pt2e / convert_pt2e and an int8 quantizer (XNNPACK's): "
                                  "its program holds quantized_decomposed operators, which tinygen reads") from None
        raise ModelError(f"cannot load exported program {str(path)!r}: it uses operator {e.op}, which is not "
                         "registered in this Python",
                         hint="tinygen loads programs of aten and quantized_decomposed (PT2E) operators; export "
                              "the model without custom operators") from None


class _Unresolved(Exception):
    def __init__(self, op: str):
        super().__init__(op)
        self.op = op


def _quiet_load(path: Path):
    with _captured_logs("torch.export", "torch._export") as records, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return torch.export.load(str(path))
        except Exception as e:  # torch raises many types here
            cause = _logged_cause(records) or _first_line(e)
    found = re.search(r"failed to resolve (\S+) to an operator", cause)
    if found:
        raise _Unresolved(found.group(1).removesuffix(".default"))
    raise ModelError(f"cannot load exported program {str(path)!r}: {cause}",
                     hint="save it with torch.export.save(torch.export.export(model, (x,)), 'model.pt2')")


def _logged_cause(records: list) -> str | None:
    """The first line of the innermost exception torch logged while loading."""
    for record in records:
        err = record.exc_info[1] if record.exc_info else None
        while err is not None and (err.__cause__ or err.__context__) is not None:
            err = err.__cause__ or err.__context__
        if err is not None:
            return _first_line(err).split(". ")[0]
    return None


@contextlib.contextmanager
def _captured_logs(*names: str):
    """The records of loggers `names` kept in a list, not printed."""
    records: list = []
    handler = logging.Handler()
    handler.emit = records.append
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg.propagate, lg.handlers) for lg in loggers]
    for lg in loggers:
        lg.propagate, lg.handlers = False, [handler]
    try:
        yield records
    finally:
        for lg, (propagate, handlers) in zip(loggers, saved):
            lg.propagate, lg.handlers = propagate, handlers


def _load_py(path: Path) -> LoadedModel:
    module = _import_file(path)
    for fn in ("model", "example_input"):
        if not callable(getattr(module, fn, None)):
            raise ModelError(f"{str(path)!r} has no {fn}() function", hint=MODEL_FILE_HELP)

    net = _call(module.model, path, "model()")
    if not isinstance(net, torch.nn.Module):
        raise ModelError(f"{str(path)!r}: model() returned {type(net).__name__}, "
                         f"not a torch.nn.Module", hint=MODEL_FILE_HELP)
    net = _eval(permanent_pruning(net))

    xs = _tensors(_call(module.example_input, path, "example_input()"), path, "example_input()")
    for k, x in enumerate(xs):
        if x.dim() < 2:
            which = "" if len(xs) == 1 else f" input {k}"
            raise ModelError(f"{str(path)!r}: example_input(){which} has shape {list(x.shape)}; "
                             f"it needs a leading batch dimension",
                             hint="return e.g. torch.randn(1, 3, 32, 32) or torch.randn(1, 64)")
    xs = [x[:1].float() for x in xs]
    if torch_brevitas.is_brevitas(net):         # read through Brevitas' quantizers, as tinygen.nn ops
        net = torch_brevitas.lower(net, xs)

    switches = [(name, _export(net, xs, path, switch=name)) for name in _switch_names(net)]
    program = switches[0][1] if switches else _export(net, xs, path)
    names = _input_names(program)

    calibration = None
    if callable(getattr(module, "calibration_data", None)):
        cs = _tensors(_call(module.calibration_data, path, "calibration_data()"), path, "calibration_data()")
        if len(cs) != len(xs):
            raise ModelError(f"{str(path)!r}: calibration_data() returned {len(cs)} array(s), but the model "
                             f"takes {len(xs)} input(s) ({', '.join(names)})",
                             hint="return one array [N, ...] per input, in forward()'s order, as a tuple "
                                  "with the same N for every input")
        for k, (c, x) in enumerate(zip(cs, xs)):
            if tuple(c.shape[1:]) != tuple(x.shape[1:]) or c.shape[0] == 0:
                which = "" if len(xs) == 1 else f" for input {k} ({names[k]})"
                raise ModelError(
                    f"{str(path)!r}: calibration_data(){which} has shape {list(c.shape)}, expected "
                    f"[N, {', '.join(str(d) for d in x.shape[1:])}] like example_input()")
        if len({c.shape[0] for c in cs}) > 1:
            raise ModelError(f"{str(path)!r}: calibration_data() has {', '.join(str(c.shape[0]) for c in cs)} "
                             f"samples for the inputs {', '.join(names)}",
                             hint="give the same number of samples for every input (sample i of each "
                                  "input goes into the model together)")
        arrays = tuple(_to_numpy(c, "calibration_data()") for c in cs)
        calibration = arrays[0] if len(arrays) == 1 else arrays
    gains = None
    if callable(getattr(module, "feature_gains", None)):
        gains = _feature_gains(_call(module.feature_gains, path, "feature_gains()"), xs, path)
    return LoadedModel(path.stem, path, program, [_to_numpy(x, "example_input()") for x in xs], calibration,
                       switches, names, gains)


def _feature_gains(value, xs: list[torch.Tensor], path: Path) -> tuple[float, ...]:
    """feature_gains()'s values: one positive, finite number per element of the (one) input's
    last axis (for the MFCC front end, per coefficient)."""
    width = int(xs[0].shape[-1])
    try:
        gains = np.asarray(value.detach().numpy() if isinstance(value, torch.Tensor) else value,
                           np.float64).reshape(-1)
    except (TypeError, ValueError):
        gains = np.zeros(0)
    if len(xs) != 1 or gains.size != width or not np.all(np.isfinite(gains)) or not np.all(gains > 0):
        raise ModelError(f"{str(path)!r}: feature_gains() must give one positive number per element of the "
                         f"input's last axis ({width}) of a model with one input",
                         hint="return e.g. [0.125] + [1.0] * 9: the MFCC front end multiplies coefficient k by "
                              "gain k before quantizing, and the model's input is the features so scaled")
    return tuple(float(g) for g in gains)


def _eval(net: torch.nn.Module) -> torch.nn.Module:
    """net in eval mode. A module torch.export made (ExportedProgram.module(), and so PT2E's
    convert_pt2e result) refuses eval(): its graph was traced in one mode already, and is
    taken as it is."""
    try:
        return net.eval()
    except NotImplementedError:
        return net


def _input_names(program) -> list[str]:
    """The exported program's user inputs: forward()'s argument names, in order."""
    return [str(n) for n in program.graph_signature.user_inputs]


def _switch_names(net: torch.nn.Module) -> list[str]:
    """The switches of a switchable-precision model (tinygen.nn), [] for a plain model."""
    if not any(type(m).__module__.startswith("tinygen.nn") for m in net.modules()):
        return []

    return tinygen.nn.switches(net)


def _export(net: torch.nn.Module, xs: list[torch.Tensor], path: Path, switch: str | None = None):
    """torch.export of `net` on the inputs `xs` (after selecting `switch` in a switchable model)."""
    what = "" if switch is None else f" (switch {switch!r})"
    try:
        if switch is not None:
            tinygen.nn.set_switch(net, switch)
        with torch.no_grad(), _quiet_torch_logs():
            program = torch.export.export(net, tuple(xs))
        if switch is not None:
            # the program holds the module's buffers by reference; the next switch rewrites
            # them (e.g. the integer weights), so this switch keeps copies of its own
            for store in (program.state_dict, program.constants):
                for key, value in list(store.items()):
                    if isinstance(value, torch.Tensor):
                        store[key] = value.detach().clone()
        return program
    except ModelError:
        raise
    except Exception as e:
        raise ModelError(
            f"{str(path)!r}: exporting the model{what} with {_shapes(xs)} failed: {_first_line(e)}",
            hint="check that example_input() has the shape the model expects "
                 "(NCHW for images, [N, features] for MLPs) and that forward() uses "
                 "only tensor operations (no data-dependent Python control flow)") from None


def _shapes(xs: list[torch.Tensor]) -> str:
    if len(xs) == 1:
        return f"an input of shape {list(xs[0].shape)}"
    return f"{len(xs)} inputs of shapes " + ", ".join(str(list(x.shape)) for x in xs)


def permanent_pruning(net: torch.nn.Module) -> torch.nn.Module:
    """A module pruned with torch.nn.utils.prune (weight_orig, weight_mask and a forward
    pre-hook) as a copy with the masks multiplied in (prune.remove), so that it exports as
    plain layers with zeros in place; an unpruned module is returned as it is."""
    from torch.nn.utils import prune

    def pruned(m):
        return [h._tensor_name for h in m._forward_pre_hooks.values() if isinstance(h, prune.BasePruningMethod)]

    masked = [getattr(m, name) for m in net.modules() for name in pruned(m)]
    if not masked:
        return net
    # the masked tensors the hooks computed are not graph leaves, which deepcopy refuses
    net = copy.deepcopy(net, {id(t): t.detach().clone() for t in masked})
    for m in net.modules():
        for name in pruned(m):
            prune.remove(m, name)
    return net


def _import_file(path: Path):
    try:
        # torchao, which PT2E model files import, logs the CUDA kernels it cannot load on a CPU-only torch
        with _captured_logs(*TORCHAO_LOGS):
            module = import_file(path, "_tinygen_model_")
    except Exception as e:
        raise ModelError(f"importing {str(path)!r} failed: {type(e).__name__}: {_first_line(e)}",
                         hint="run `python " + str(path) + "` to see the full error") from None
    if module is None:
        raise ModelError(f"cannot import {str(path)!r}", hint=MODEL_FILE_HELP)
    return module


def _call(fn, path: Path, what: str):
    try:
        with no_bytecode():                     # what the model file imports as it runs
            return fn()
    except Exception as e:
        raise ModelError(f"{str(path)!r}: {what} raised {type(e).__name__}: {_first_line(e)}",
                         hint=MODEL_FILE_HELP) from None


def _tensors(value, path: Path, what: str) -> list[torch.Tensor]:
    """What a model file's function returned: one tensor or array, or a tuple / list of them
    (a model with several inputs, in forward()'s order)."""
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, (torch.Tensor, np.ndarray)) for v in value):
        return [_as_tensor(v, path, f"{what} item {k}") for k, v in enumerate(value)]
    return [_as_tensor(value, path, what)]


def _as_tensor(value, path: Path, what: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        t = value.detach()
    else:
        try:
            t = torch.as_tensor(np.asarray(value))
        except Exception:
            raise ModelError(f"{str(path)!r}: {what} returned {type(value).__name__}, "
                             f"not a tensor or array", hint=MODEL_FILE_HELP) from None
    if not (t.is_floating_point() or t.dtype in (torch.int8, torch.uint8, torch.int16,
                                                 torch.int32, torch.int64)):
        raise ModelError(f"{str(path)!r}: {what} has dtype {t.dtype}; expected a real tensor")
    return t.float()


def _to_numpy(t: torch.Tensor, what: str) -> np.ndarray:
    a = t.detach().cpu().float().numpy().astype(np.float32, copy=False)
    if not np.isfinite(a).all():
        raise ModelError(f"{what} contains NaN or Inf values")
    return a


@contextlib.contextmanager
def _quiet_torch_logs():
    """Keep torch from logging its own tracebacks when an export fails."""
    loggers = [logging.getLogger(n) for n in ("torch._subclasses.fake_tensor", "torch.export",
                                              "torch._export", "torch._dynamo")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
