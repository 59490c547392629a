"""Import an ONNX model (.onnx) into the IR: a float model (tinygen quantizes it from
--calib, as a PyTorch model), or a quantized one, QDQ (QuantizeLinear / DequantizeLinear
around float ops) or QOperator (QLinearConv, QLinearMatMul, QGemm, ...), whose own scales
are kept (graph.meta["quantized"] = "onnx", as an int8 .tflite's).

- The file is read with the `onnx` package (tinygen/frontend/onnx/reader.py): opset 13 and
  newer; corrupt, truncated or invalid files, older opsets and missing external data are
  one ModelError each.
- NCHW values live in the IR as NHWC (tinygen/frontend/layout.py, as for PyTorch), reshapes
  and transposes in ONNX's element order; passes/fold_transpose.py and fold_layout.py fold
  what remains (in a quantized graph too).
- Nodes of constants (Constant, Identity, Shape arithmetic, ...) are folded with onnx's
  reference evaluator; BatchNormalization folds into the Conv before it (passes/fold_bn.py);
  initializers are the weights.
- Quantized models: tinygen/frontend/onnx/quantized.py says how onnxruntime's arithmetic
  maps onto tinygen's kernels. Their float32 inputs are quantized as onnxruntime's
  QuantizeLinear does (round half to even: graph.meta["input_rounding"]), their float
  outputs are the int8 tensors DequantizeLinear reads (graph.meta["float_outputs"]).

This package is the only place that imports `onnx` (with tinygen/frontend/torch_pt2e.py, which
writes a PT2E program as the ONNX QDQ graph import_graph reads); tinygen/hil/onnx_check.py runs
onnxruntime (the reference `tinygen hil` and the tests compare with).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinygen.errors import ModelError, TinygenError
from tinygen.frontend import check_size
from tinygen.frontend.onnx import check_graph, ops_bn, ops_conv, ops_gelu, ops_nn, ops_shape, ops_transpose, qdq, qonnx, qoperator  # noqa: F401  (register their handlers)
from tinygen.frontend.onnx.advice import SUPPORTED_FLOAT, SUPPORTED_QUANT
from tinygen.frontend.onnx.importer import Importer
from tinygen.frontend.onnx.reader import graph_inputs, read_model
from tinygen.ir import Graph, validate
from tinygen.quant.check_params import check_graph_qparams, check_requant


@dataclass
class OnnxModel:
    name: str
    graph: Graph
    input_shapes: list[tuple[int, ...]]     # the model's own (NCHW) input shapes, batch 1
    input_names: list[str]
    kind: str                               # "float", "qdq" or "qoperator"


def load(path: str | Path, rounding: str = "onnxruntime") -> OnnxModel:
    """Read and import an .onnx file; every problem with it is a ModelError or UnsupportedOpError.
    rounding (--onnx-rounding, quantized.ROUNDINGS): how a quantized model's requantization rounds."""
    path = Path(path)
    model = read_model(path)
    name = _c_name(path.stem)
    inputs = graph_inputs(model, path.name)
    graph = import_graph(model, name, path.name, rounding)
    check_graph.runs(model, path.name)
    return OnnxModel(name, graph, [s for _, s in inputs], [n for n, _ in inputs], graph.meta["onnx_kind"])


def import_graph(model, name: str, filename: str, rounding: str = "onnxruntime",
                 check_hint: str = "check it with onnx.checker.check_model(onnx.load(path), full_check=True)") -> Graph:
    """The IR graph of an ONNX model held in memory (a file read, or a QDQ graph written from
    another format: tinygen/frontend/torch_pt2e.py), validated; graph.meta["onnx_kind"] is
    "float", "qdq" or "qoperator". Problems are ModelError or UnsupportedOpError naming
    `filename`; `check_hint` is the hint for a graph the importer fails on; `rounding` as load's."""
    try:
        graph = Importer(model, name, filename, rounding).run()
        validate(graph)
        check_size.check_graph(graph, f"{filename}: ")
        check_graph_qparams(graph, f"{filename}: ")
        check_requant(graph, f"{filename}: ")
    except TinygenError:
        raise
    except Exception as e:      # a malformed graph the checker let through
        raise ModelError(f"{filename}: cannot import the graph ({type(e).__name__}: {e})", check_hint) from None
    ops = {n.op_type for n in model.graph.node}
    kind = "float" if not graph.meta.get("quantized") else ("qdq" if "DequantizeLinear" in ops and not any(
        op.startswith(("QLinear", "QGemm")) or op.endswith("Integer") for op in ops) else "qoperator")
    graph.meta["onnx_kind"] = kind
    if graph.meta.get("quantized"):
        graph.meta["onnx_rounding"] = rounding
    return graph


def _c_name(stem: str) -> str:
    ident = "".join(c if c.isalnum() or c == "_" else "_" for c in stem).strip("_") or "model"
    return "m_" + ident if ident[0].isdigit() else ident


__all__ = ["OnnxModel", "SUPPORTED_FLOAT", "SUPPORTED_QUANT", "import_graph", "load"]
