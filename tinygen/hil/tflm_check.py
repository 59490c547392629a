"""TFLite Micro as a second reference for a .tflite model: `tinygen hil` runs TFLM's own
interpreter (the `tflite_micro` package) on the same inputs as the device and reports,
per model output, whether the device's bytes equal TFLM's; where they differ, the first
layer (in graph order) whose tensor differs between tinygen's reference interpreter and
TFLM's tensor of the same .tflite index (graph.meta["tflite_tensors"]). The tests and
benchmarks measure with the same functions.

    tensors = run_tflm(model_bytes, graph, samples, [indices])   # per sample: index -> array
    report = tflm_agreement(source, graph, samples, run)         # what hil's JSON holds

What is compared, exactly:

- inputs: the int8 or int16 samples the device got, every input of a model with several. A
  .tflite input that is float32 followed by QUANTIZE (graph.meta["float_inputs"]) is fed those
  values dequantized, (q - zp) * scale in float32, which TFLM's QUANTIZE turns back into the
  same values; the port is compared too (it is the first layer of the walk), so an input that
  did not survive would be named. An input that only gives a TRANSPOSE_CONV its output shape
  is fed the shape the file records (graph.meta["tflite_shape_inputs"]); an input taken as NHWC
  (--fold-input-transpose) is fed back in the file's NCHW.
- outputs: at the int8 (int16) port, value for value: the device's output against TFLM's
  tensor of the same index (for a float32 output, the int8 tensor its DEQUANTIZE reads). A float32 output
  is also compared as DEQUANTIZE makes it: TFLM's float32 values against (q - zp) * scale of
  the device's bytes (tinygen.ref.interpreter.dequantize), bit for bit.
- layers: only where an output differs, on the first such sample: every IR tensor with a
  .tflite index, in graph order, whose size is TFLM's (a layer compaction shrank is left out
  and counted).
- recurrent layers (LSTM, SVDF): a .tflite model's state carries over from one invocation to
  the next on the device as in TFLM's variable tensors (tinygen/passes/stateful.py), so TFLM
  runs the samples in order from a fresh state, and the layer walk replays the samples before
  the one it walks (the reference with its `state`).

TFLM runs in a child process: its interpreter ends the process on some models (an arena too
small, a malformed file) and writes its complaints to the C stderr, which the child keeps so
that a model TFLM cannot run is one line (the op it lacks), never a traceback or a crash.
`tflite_micro`, an optional and heavy dependency, is imported there, when the check runs.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import tempfile
from pathlib import Path

import numpy as np

from tinygen.ir import Graph
from tinygen.optional import install_line
from tinygen.hil.session import SampleRun, carries_state
from tinygen.kernels.float_table import LIBM_FUNCTIONS
from tinygen.ref.detection import written_slots
from tinygen.ref.interpreter import dequantize, run as run_reference

PACKAGE = "tflite_micro"
INSTALL = install_line(PACKAGE)
ARENA_FLOOR = 1 << 20           # bytes of TFLM arena beyond the model's tensors
TIMEOUT_S = 120.0               # per TFLM child run, beyond 1 s per sample
SHOW_BYTES = 5                  # differing elements named in the first difference


class TFLMUnavailable(Exception):
    """TFLM could not run the model: the message is the one line the report shows."""


def missing() -> str | None:
    """Why the check cannot run here (the package is not installed), else None."""
    try:
        found = importlib.util.find_spec(PACKAGE) is not None
    except (ImportError, ValueError):
        found = False
    return None if found else f"the {PACKAGE} package is not installed ({INSTALL})"


def _arena_bytes(runtime, model: bytes) -> int:
    """Every tensor of the model at once (all are preserved) and a margin for TFLM's own
    structures: TFLM ends the process when its arena is too small."""
    sizes = {0: 4, 1: 2, 2: 4, 3: 1, 4: 8, 6: 1, 7: 2, 9: 1, 10: 8, 15: 4, 16: 2}     # schema TensorType -> bytes
    total = 0
    for sg in runtime.convert_bytearray_to_object(bytearray(model)).subgraphs or []:
        for t in sg.tensors or []:
            shape = [] if t.shape is None else list(t.shape)
            total += int(np.prod([max(int(d), 1) for d in shape])) * sizes.get(int(t.type), 8)
    return 2 * total + ARENA_FLOOR


def _invoke(model: bytes, feeds: list[np.ndarray], indices: list[list[int]], keep_state: bool) -> list[dict]:
    """In the child: per sample, the requested tensors (index -> array) and the model outputs
    (key "outputs"); a recurrent state carried from sample to sample with `keep_state`."""
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as e:
        raise TFLMUnavailable(f"{PACKAGE} does not import ({e}); reinstall it: {INSTALL}") from None
    try:
        interp = runtime.Interpreter.from_bytes(model, arena_size=_arena_bytes(runtime, model),
                                                intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    except RuntimeError as e:
        raise TFLMUnavailable(str(e)) from None
    graph = runtime.convert_bytearray_to_object(bytearray(model)).subgraphs[0]
    details = [interp.get_input_details(k) for k in range(len(graph.inputs))]
    got = []
    for feed, wanted in zip(feeds, indices):
        if not keep_state:      # each sample from the initial state, as the reference runs it
            interp.reset()
        for k, (x, d) in enumerate(zip(feed, details)):
            interp.set_input(np.ascontiguousarray(x, dtype=np.dtype(d["dtype"])).reshape(tuple(d["shape"])), k)
        interp.invoke()
        values = {i: np.array(interp.GetTensor(i, 0)["tensor_data"]) for i in wanted}
        values["outputs"] = [np.array(interp.get_output(k)) for k in range(len(graph.outputs))]
        got.append(values)
    return got


def _child(conn, log: str, model: bytes, feeds, indices, keep_state: bool) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)        # TFLM's C++ messages, for the one-line reason
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    try:
        conn.send(("ok", _invoke(model, feeds, indices, keep_state)))
    except TFLMUnavailable as e:
        conn.send(("error", str(e)))
    except Exception as e:      # whatever the bound interpreter raises: the parent words it
        conn.send(("error", f"{type(e).__name__}: {e}"))


def _reason(log: str, fallback: str) -> str:
    """TFLM's own first complaint (e.g. "Didn't find op for builtin opcode 'GELU'"), else `fallback`."""
    lines = [line.strip() for line in Path(log).read_text(errors="replace").splitlines() if line.strip()]
    return lines[0] if lines else fallback


def run_tflm(model: bytes, feeds: list[list[np.ndarray]], indices: list[list[int]],
             keep_state: bool = False) -> list[dict]:
    """TFLM on each feed (one array per .tflite input, in the file's order: what it takes, int8
    or int16, float32 before its QUANTIZE, an output shape), in a child process: per feed, the tensors `indices[k]` (all tensors are preserved) and
    "outputs", the model outputs; `keep_state`: recurrent state carried from feed to feed (else
    reset before each). TFLMUnavailable (one line) where TFLM cannot run the model."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        log = f.name
    try:
        child = ctx.Process(target=_child, args=(send, log, model, feeds, indices, keep_state), daemon=True)
        child.start()
        send.close()
        deadline = TIMEOUT_S + len(feeds)
        message = None
        if receive.poll(deadline):
            try:
                message = receive.recv()
            except EOFError:        # it ended without a word: killed by a signal
                pass
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join()
        if message is None:
            why = (f"stopped by signal {-child.exitcode}" if child.exitcode and child.exitcode < 0
                   else f"gave no answer in {deadline:.0f} s" if child.exitcode is None
                   else f"ended with status {child.exitcode}")
            raise TFLMUnavailable(_reason(log, f"its interpreter {why}"))
        status, value = message
        if status != "ok":
            raise TFLMUnavailable(_reason(log, value))
        return value
    finally:
        receive.close()
        os.unlink(log)


def per_input(graph: Graph, sample) -> tuple[np.ndarray, ...]:
    """One sample as hil holds it (an array, or a tuple of one per input) -> one array per
    graph input, of the input's type."""
    xs = sample if isinstance(sample, (tuple, list)) else (sample,)
    return tuple(np.asarray(x).astype(graph.tensor(n).np_dtype, copy=False) for x, n in zip(xs, graph.inputs))


def feeds_for(graph: Graph, samples) -> list[list[np.ndarray]]:
    """What the .tflite inputs take for each sample, in the file's order: the sample's values,
    at a float32 input (graph.meta["float_inputs"]) those dequantized, which its QUANTIZE turns
    back into them, at an output-shape input the shape the file records."""
    shapes = graph.meta.get("tflite_shape_inputs", {})
    order = graph.meta.get("tflite_inputs") or [graph.meta["tflite_tensors"][graph.inputs[0]]]
    feeds = []
    for sample in samples:
        data = iter(zip(graph.inputs, per_input(graph, sample)))
        feed = []
        for index in order:
            if index in shapes:
                feed.append(np.asarray(shapes[index], np.int32))
                continue
            name, x = next(data)
            if name in graph.meta.get("input_transposes", {}):      # --fold-input-transpose: the file's NCHW
                x = np.transpose(x.reshape(graph.tensor(name).shape), np.argsort(graph.meta["input_transposes"][name]))
            feed.append(dequantize(graph, name, x) if name in graph.meta.get("float_inputs", []) else x)
        feeds.append(feed)
    return feeds


def _levels(a: np.ndarray) -> np.ndarray:
    """A tensor's values as int64 steps: int8 / int16 as they are, float32 by its bit pattern
    (sign and magnitude made monotonic), so a difference counts units in the last place."""
    a = np.asarray(a).reshape(-1)
    if a.dtype == np.float32:
        bits = a.view(np.int32).astype(np.int64)
        return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)
    return a.astype(np.int64)


def _bytes_diff(ours: np.ndarray, theirs: np.ndarray) -> tuple[int, int]:
    """(elements that differ, the largest difference: LSB, or ulp of float32) of two tensors."""
    diff = np.abs(_levels(ours) - _levels(theirs))
    return int(np.count_nonzero(diff)), int(diff.max(initial=0))


def _shown(ours: np.ndarray, theirs: np.ndarray) -> str:
    a, b = np.asarray(ours).reshape(-1), np.asarray(theirs).reshape(-1)
    idx = np.flatnonzero(_levels(a) != _levels(b))[:SHOW_BYTES]
    return ", ".join(f"[{i}] {a[i]} (TFLM {b[i]})" for i in idx)


def written_only(graph: Graph, name: str, ours: np.ndarray, theirs: np.ndarray, tensors: dict) -> np.ndarray:
    """TFLM's tensor `name` with the elements it leaves unwritten (DETECTION_POSTPROCESS's slots
    past its detections, graph.meta["tflm_unwritten"]: arena contents) taken from ours."""
    spec = graph.meta.get("tflm_unwritten", {}).get(name)
    theirs = np.asarray(theirs)
    if spec is None or theirs.size != np.asarray(ours).size:
        return theirs
    count = int(np.asarray(tensors[graph.meta["tflite_tensors"][spec["count"]]]).reshape(-1)[0])
    mask = np.repeat(written_slots(spec, theirs.size // spec["width"], count), spec["width"])
    return np.where(mask, theirs.reshape(-1), np.asarray(ours).reshape(-1)).reshape(theirs.shape)


def compare_outputs(graph: Graph, device: list[list[np.ndarray]], tflm: list[dict]) -> list[dict]:
    """Per model output: the samples whose bytes equal TFLM's, the elements that differ, the
    largest difference (LSB), and for a float32 output the DEQUANTIZE values that differ."""
    index = graph.meta["tflite_tensors"]
    floats = set(graph.meta.get("float_outputs", []))
    rows = []
    for k, name in enumerate(graph.outputs):
        row = {"index": k, "name": name, "tflite_tensor": index[name], "samples_equal": 0, "bytes": 0,
               "bytes_differing": 0, "max_diff": 0, "first_sample": None,
               "float32": {"values": 0, "values_differing": 0} if name in floats else None}
        for i, (ours, theirs) in enumerate(zip(device, tflm)):
            q = np.asarray(ours[k])
            want = written_only(graph, name, q, theirs[index[name]], theirs)
            off, worst = _bytes_diff(q, want) if q.size == want.size else (q.size, 255)
            row["bytes"] += q.size
            row["bytes_differing"] += off
            row["max_diff"] = max(row["max_diff"], worst)
            row["samples_equal"] += off == 0
            if off and row["first_sample"] is None:
                row["first_sample"] = i
            if row["float32"] is not None:
                real = dequantize(graph, name, q.astype(graph.tensor(name).np_dtype)).reshape(-1).view(np.uint32)
                got = np.asarray(theirs["outputs"][k], np.float32).reshape(-1).view(np.uint32)
                row["float32"]["values"] += real.size
                row["float32"]["values_differing"] += (int(np.count_nonzero(real != got)) if real.size == got.size
                                                       else real.size)
        row["equal"] = row["bytes_differing"] == 0 and not (row["float32"] or {}).get("values_differing")
        rows.append(row)
    return rows


def walk_order(graph: Graph) -> list[str]:
    """The IR tensors with a .tflite index, in graph order: the input, then each node's output."""
    index = graph.meta.get("tflite_tensors", {})
    names = list(graph.inputs) + [n.outputs[0] for n in graph.nodes]
    return [t for t in dict.fromkeys(names) if t in index and graph.tensor(t).dtype in ("int8", "int16", "float32")]


def first_differing_layer(graph: Graph, xs: np.ndarray, tflm: dict) -> dict:
    """Walk the reference's tensors for the last input of `xs` against TFLM's (`tflm`: index ->
    array, every walk_order tensor): the first that differs, and what was compared. The inputs
    before it only carry a recurrent state over (carries_state), else only the last is run."""
    index = graph.meta["tflite_tensors"]
    state = {} if carries_state(graph) else None
    for x in (xs[:-1] if state is not None else []):
        run_reference(graph, per_input(graph, x), state=state)
    ours = run_reference(graph, per_input(graph, xs[-1]), keep_all=True, state=state)
    compared, skipped = 0, []
    for name in walk_order(graph):
        mine = np.asarray(ours[name])
        theirs = written_only(graph, name, mine, tflm[index[name]], tflm)
        if mine.size != theirs.size:        # compaction removed channels of this tensor
            skipped.append(name)
            continue
        compared += 1
        off, worst = _bytes_diff(mine, theirs)
        if off:
            node = graph.producer(name)
            return {"tensor": name, "layer": node.name if node else "input", "op": node.op if node else "input",
                    "source": getattr(node, "source", None) if node else None, "tflite_tensor": index[name],
                    "bytes": int(mine.size), "bytes_differing": off, "max_diff": worst,
                    "first": _shown(mine, theirs), "compared": compared, "skipped": skipped}
    return {"tensor": None, "compared": compared, "skipped": skipped}


def tflm_agreement(source, graph: Graph, samples, run: SampleRun, device_libm: bool = False) -> dict | None:
    """TFLM on the device's inputs (`samples`: [N, ...], or N tuples of one per input) against the device's outputs
    (run.outputs); None for a model that is not .tflite. A run that cannot happen is
    {"status": "skipped" | "not_run", "reason": one line}. `device_libm`: the device's C library
    is not this computer's (the reference computes with the device's: tinygen.hil.device_libm),
    and TFLM here calls this computer's: the layers calling it are named ("libm_layers")."""
    if Path(source.path).suffix != ".tflite":
        return None
    why = missing()
    if why:
        return {"status": "skipped", "reason": why}
    index = graph.meta.get("tflite_tensors", {})
    lost = [o for o in graph.outputs if o not in index]
    if lost:
        return {"status": "not_run", "reason": f"output {lost[0]!r} has no .tflite tensor to compare with"}
    n = len(run.outputs)
    xs = list(samples)[:n]
    model = Path(source.path).read_bytes()
    if graph.meta.get("float_tflite") and graph.meta.get("quantized") != "float32":
        return quantized_agreement(model, graph, xs, run)
    ports = [index[o] for o in graph.outputs]
    try:
        keep = carries_state(graph)
        tflm = run_tflm(model, feeds_for(graph, xs), [ports] * n, keep)
        outputs = compare_outputs(graph, run.outputs, tflm)
        first = None
        bad = [o["first_sample"] for o in outputs if o["first_sample"] is not None]
        if bad or not all(o["equal"] for o in outputs):
            i = min(bad) if bad else 0
            walk = [index[t] for t in walk_order(graph)]
            replay = xs[:i + 1] if keep else xs[i:i + 1]        # a state carried over: the samples before
            every = run_tflm(model, feeds_for(graph, replay), [[]] * (len(replay) - 1) + [walk], keep)[-1]
            first = {"sample": i, **first_differing_layer(graph, replay, every)}
    except TFLMUnavailable as e:
        return {"status": "not_run", "reason": f"TFLite Micro cannot run {Path(source.path).name}: {e}"}
    libm = [{"layer": node.name, "functions": list(LIBM_FUNCTIONS[node.kernel])}
            for node in graph.nodes if device_libm and node.kernel in LIBM_FUNCTIONS]
    return {"status": "compared", "samples": n, "equal": all(o["equal"] for o in outputs), "libm_layers": libm,
            "input": ", ".join(f"float32 (the device's {graph.tensor(n).dtype} input, dequantized)"
                               if n in graph.meta.get("float_inputs", []) else graph.tensor(n).dtype
                               for n in graph.inputs),
            "outputs": outputs, "first_difference": first}


def quantized_agreement(model: bytes, graph: Graph, xs: list, run: SampleRun) -> dict:
    """A float .tflite that tinygen quantized (--calib): TFLM runs the float model on the
    device's inputs dequantized (what the quantized input stands for); per output, the largest
    difference of the device's dequantized values from TFLM's and the samples with the same
    top-1 (argmax). Not bit for bit: the arithmetic differs by design."""
    feeds = [[dequantize(graph, n, x) for n, x in zip(graph.inputs, per_input(graph, s))] for s in xs]
    try:
        tflm = run_tflm(model, feeds, [[]] * len(xs), carries_state(graph))
    except TFLMUnavailable as e:
        return {"status": "not_run", "reason": f"TFLite Micro cannot run the float model: {e}"}
    outputs = []
    for k, name in enumerate(graph.outputs):
        ours = [dequantize(graph, name, np.asarray(o[k])).reshape(-1) for o in run.outputs]
        theirs = [np.asarray(t["outputs"][k], np.float32).reshape(-1) for t in tflm]
        outputs.append({"index": k, "name": name,
                        "max_abs_diff": float(max(np.max(np.abs(a - b)) for a, b in zip(ours, theirs))),
                        "same_top1": int(sum(int(np.argmax(a)) == int(np.argmax(b)) for a, b in zip(ours, theirs)))})
    return {"status": "quantized", "samples": len(xs), "outputs": outputs,
            "input": "float32 (the device's quantized input, dequantized)"}


def agreement_rows(a: dict | None) -> list[list[str]]:
    """The report's rows for the TFLM comparison (none without it)."""
    if not a:
        return []
    if a["status"] == "quantized":
        several = len(a["outputs"]) > 1
        return [[f"vs TFLite Micro (float model){', output ' + str(o['index']) if several else ''}",
                 f"quantized by tinygen: largest difference {o['max_abs_diff']:.4g}, same top-1 on "
                 f"{o['same_top1']}/{a['samples']} samples"] for o in a["outputs"]]
    if a["status"] != "compared":
        return [["vs TFLite Micro", f"{'skipped' if a['status'] == 'skipped' else 'not run'}: {a['reason']}"]]
    rows = []
    several = len(a["outputs"]) > 1
    for o in a["outputs"]:
        label = f"vs TFLite Micro, output {o['index']}" if several else "vs TFLite Micro"
        if o["equal"]:
            text = f"equal: {o['samples_equal']}/{a['samples']} samples, every byte"
            if o["float32"]:
                text += " and every float32 value"
        else:
            text = (f"different: {o['bytes_differing']} of {o['bytes']} bytes differ (largest {o['max_diff']} LSB), "
                    f"{o['samples_equal']}/{a['samples']} samples equal")
            if o["float32"] and o["float32"]["values_differing"]:
                text += f", {o['float32']['values_differing']} float32 values differ"
        rows.append([label, text])
    libm = a.get("libm_layers")
    if libm and not a["equal"]:
        rows.append(["TFLite Micro's libm", libm_text(libm)])
    first = a.get("first_difference")
    if first:
        text = first_layer_text(first)
        calls = next((x["functions"] for x in libm or () if x["layer"] == first.get("layer")), None)
        if calls:
            text += f" (it calls {'/'.join(calls)}: the C libraries' rounding)"
        rows.append(["first differing layer (TFLM)", text])
    return rows


def libm_text(libm: list[dict]) -> str:
    """Why a float model calling the C library may differ from TFLM on the host."""
    names = ", ".join(x["layer"] for x in libm[:4]) + (" ..." if len(libm) > 4 else "")
    fns = "/".join(dict.fromkeys(f for x in libm for f in x["functions"]))
    return (f"{names} call the C library's {fns}: TFLite Micro here is built with this computer's (the "
            "tflite-micro package), which rounds some of their values unlike the device's; from those layers on "
            "the outputs may differ by that rounding")


def first_layer_text(first: dict) -> str:
    if first["tensor"] is None:
        return (f"none: on sample {first['sample']} the reference equals TFLite Micro on all {first['compared']} "
                "tensors, so the device differs from the reference")
    return (f"{first['layer']} ({first['op']}, tensor {first['tensor']}, .tflite tensor {first['tflite_tensor']}), "
            f"sample {first['sample']}: {first['bytes_differing']} of {first['bytes']} bytes differ "
            f"(largest {first['max_diff']} LSB); first: {first['first']}")


def skip_note(a: dict | None) -> str | None:
    """The one line hil prints when the check did not run, else None."""
    if not a or a["status"] in ("compared", "quantized"):
        return None
    return f"tinygen hil: TFLite Micro check {'skipped' if a['status'] == 'skipped' else 'not run'}: {a['reason']}"
