"""An .onnx file checked as onnxruntime would check it, before tinygen imports anything.

- before: the graph has outputs; its opset is one the installed `onnx` knows (onnxruntime
  refuses a newer one); every tensor it declares (inputs, outputs, value_info, initializers)
  fits the largest board (tinygen/frontend/check_size.py), its dimensions read, not allocated;
- valid: onnx.checker.check_model and strict shape inference, as full_check runs them (a
  Softmax or Flatten axis out of range, a kernel dimension of 0, pads that leave no output),
  then the shapes inferred for every intermediate and output: positive (a dilation larger than
  the input leaves none) and within the limits too (pads of a million make a convolution's
  output two million pixels wide).
- runs: once imported, a graph onnxruntime refuses (its session, graph optimizations off,
  fails to load: an operator version or a type it has no kernel for) is refused too, where
  onnxruntime is installed: it is the reference `tinygen hil` compares with, and a model no
  runtime executes has no meaning to reproduce. Graphs with operators of a custom domain
  (onnxruntime has none of them) are not checked.
Each problem is one ModelError naming the file.
"""

from __future__ import annotations

import importlib.util

import onnx
from onnx import shape_inference

from tinygen.errors import ModelError
from tinygen.frontend.check_size import check_tensor

_EXPORT_HINT = "export the model again; onnx.checker.check_model(onnx.load(path), full_check=True) shows the problem"


def first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _known_dims(value: onnx.ValueInfoProto) -> list[int] | None:
    t = value.type.tensor_type
    if not value.type.HasField("tensor_type") or not t.HasField("shape"):
        return None
    return [int(d.dim_value) if d.HasField("dim_value") else 1 for d in t.shape.dim]


def _check_values(values, filename: str, inferred: bool = False) -> None:
    for v in values:
        dims = _known_dims(v)
        if dims is None:
            continue
        if inferred and any(d < 0 for d in dims):         # an empty constant ([0], a Resize roi) is fine
            raise ModelError(f"{filename}: {v.name!r} would have shape {dims}: its operator's kernel, pads, strides "
                             "or dilations leave no output",
                             "export the model with shapes that leave every operator an output")
        check_tensor(v.name, dims, "ram", 8, f"{filename}: ")


def before(model: onnx.ModelProto, filename: str, version: int) -> None:
    """Outputs, opset and declared sizes (nothing read but the graph's declarations)."""
    if not model.graph.output:
        raise ModelError(f"{filename}: the graph has no outputs",
                         "export the model with the tensors it computes as outputs")
    newest = onnx.defs.onnx_opset_version()
    if version > newest:
        raise ModelError(f"{filename} uses ONNX opset {version}; tinygen reads opsets up to {newest}, the newest "
                         f"the installed onnx {onnx.__version__} knows (onnxruntime refuses newer ones)",
                         f"export the model with opset_version={newest} or older")
    _check_values(list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info), filename)
    for t in model.graph.initializer:
        check_tensor(t.name, list(t.dims), "flash", 8, f"{filename}: ")


def valid(model: onnx.ModelProto, filename: str) -> None:
    """onnx's full check (check_model, then strict shape inference, as full_check runs them), then
    the inferred intermediates' sizes. Shapes the file declares for outputs and intermediates are
    left out of the inference: onnxruntime merges them leniently with the inferred ones (and
    tinygen uses the inferred ones), so a stale declaration is not an error."""
    try:
        onnx.checker.check_model(model)
    except Exception as e:
        raise ModelError(f"{filename} is not a valid ONNX model: {first_line(e)}", _EXPORT_HINT) from None
    declared = [onnx.ValueInfoProto.FromString(v.SerializeToString()) for v in model.graph.value_info]
    outputs = [onnx.TypeProto.FromString(o.type.SerializeToString()) for o in model.graph.output]
    del model.graph.value_info[:]
    for o in model.graph.output:
        o.type.tensor_type.ClearField("shape")
    try:
        inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    except Exception as e:
        raise ModelError(f"{filename} is not a valid ONNX model: {first_line(e)}", _EXPORT_HINT) from None
    finally:
        model.graph.value_info.extend(declared)
        for o, t in zip(model.graph.output, outputs):
            o.type.CopyFrom(t)
    _check_values(list(inferred.graph.value_info) + list(inferred.graph.output), filename, inferred=True)


# the operator domains onnxruntime's CPU session implements
ORT_DOMAINS = ("", "ai.onnx", "ai.onnx.ml", "com.microsoft")


def runs(model: onnx.ModelProto, filename: str) -> None:
    """Refuse a graph onnxruntime's session (graph optimizations off) cannot load; nothing
    without onnxruntime, or with operators of another domain."""
    if importlib.util.find_spec("onnxruntime") is None or any(n.domain not in ORT_DOMAINS for n in model.graph.node):
        return
    import onnxruntime      # optional and heavy: only where an .onnx file is built

    opts = onnxruntime.SessionOptions()
    opts.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.log_severity_level = 4
    try:
        onnxruntime.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    except Exception as e:
        text = first_line(e)        # "[ONNXRuntimeError] : 9 : NOT_IMPLEMENTED : the message"
        parts = text.split(" : ", 3)
        raise ModelError(f"{filename}: onnxruntime {onnxruntime.__version__} refuses this graph: "
                         f"{parts[3] if text.startswith('[ONNXRuntimeError]') and len(parts) == 4 else text}",
                         "export it as onnxruntime runs it (an older opset_version, the types its operators "
                         "take); onnxruntime.InferenceSession(path) shows the problem") from None
