"""Reading an .onnx file with the `onnx` package: every problem with the file itself (not
there, corrupt or truncated, no graph, an opset older than 13, external data that is not
beside it, an input tinygen cannot feed) is one ModelError naming the file; and the
per-node helpers the importer uses (attributes, opsets, output shapes from onnx's own
shape inference)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

from tinygen.errors import ModelError
from tinygen.frontend.onnx import check_graph
from tinygen.frontend.onnx.check_graph import first_line as _first_line

MIN_OPSET = 13
DEFAULT_DOMAINS = ("", "ai.onnx")
CONTRIB_DOMAIN = "com.microsoft"
QONNX_DOMAIN = "qonnx.custom_op.general"     # Quant, BipolarQuant, Trunc (tinygen/frontend/onnx/qonnx.py)

# ONNX element types of the tensors tinygen reads, by name
ELEM_NAMES = {TensorProto.FLOAT: "float32", TensorProto.UINT8: "uint8", TensorProto.INT8: "int8",
              TensorProto.INT32: "int32", TensorProto.INT64: "int64", TensorProto.FLOAT16: "float16",
              TensorProto.DOUBLE: "float64", TensorProto.BOOL: "bool", TensorProto.INT16: "int16",
              TensorProto.UINT16: "uint16"}
NUMPY_ELEM = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.uint8): TensorProto.UINT8,
              np.dtype(np.int8): TensorProto.INT8, np.dtype(np.int32): TensorProto.INT32,
              np.dtype(np.int64): TensorProto.INT64, np.dtype(np.float64): TensorProto.DOUBLE,
              np.dtype(np.bool_): TensorProto.BOOL, np.dtype(np.int16): TensorProto.INT16,
              np.dtype(np.float16): TensorProto.FLOAT16}

CONVERT_HINT = ("convert it first: onnx.version_converter.convert_version(onnx.load(path), 13), then "
                "onnx.save; or export again with opset_version=13 or newer")


def read_model(path: Path) -> onnx.ModelProto:
    """The model of an .onnx file, checked, with its external data loaded."""
    if not path.exists():
        raise ModelError(f"model file {str(path)!r} does not exist")
    data = path.read_bytes()
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:      # protobuf's decoder fails in many ways on corrupt input
        raise ModelError(f"{path.name} is corrupt or truncated: it is not an ONNX protobuf "
                         f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else 'cannot parse'})",
                         "export the model again (torch.onnx.export, tf2onnx, skl2onnx)") from None
    if not model.HasField("graph") or not model.graph.node:
        raise ModelError(f"{path.name} is not an ONNX model, or is truncated: it has no graph",
                         "export the model again (torch.onnx.export, tf2onnx, skl2onnx)")
    _check_opset(model, path.name)
    check_graph.before(model, path.name, opset(model, ""))
    _load_external(model, path)
    check_graph.valid(model, path.name)
    return model


def opset(model: onnx.ModelProto, domain: str = "") -> int | None:
    for entry in model.opset_import:
        if (entry.domain or "") == domain or (domain == "" and entry.domain == "ai.onnx"):
            return int(entry.version)
    return None


def _check_opset(model: onnx.ModelProto, filename: str) -> None:
    version = opset(model, "")
    if version is None:
        raise ModelError(f"{filename} imports no version of the standard ONNX operator set",
                         "export the model again with opset_version=13 or newer")
    if version < MIN_OPSET:
        raise ModelError(f"{filename} uses ONNX opset {version}; tinygen reads opset {MIN_OPSET} and newer",
                         CONVERT_HINT)
    used = {n.domain for n in model.graph.node}     # an import no node uses is harmless (quant_pre_process
    for entry in model.opset_import:                # writes ai.onnx.ml's)
        if entry.domain in used and entry.domain not in DEFAULT_DOMAINS + (CONTRIB_DOMAIN, QONNX_DOMAIN):
            raise ModelError(f"{filename} imports operator set domain {entry.domain!r}; tinygen reads the "
                             f"standard ONNX operators, onnxruntime's {CONTRIB_DOMAIN} quantized ones and "
                             f"QONNX's {QONNX_DOMAIN}",
                             "export without custom operators")


def _load_external(model: onnx.ModelProto, path: Path) -> None:
    """Initializers kept in files beside the model (external data): read them, or say which is missing."""
    from onnx.external_data_helper import uses_external_data

    missing = []
    for t in model.graph.initializer:
        if uses_external_data(t):
            info = {e.key: e.value for e in t.external_data}
            where = path.parent / info.get("location", "")
            if not where.is_file():
                missing.append((t.name, info.get("location", "?")))
    if missing:
        name, location = missing[0]
        more = f" (and {len(missing) - 1} more tensors)" if len(missing) > 1 else ""
        raise ModelError(f"{path.name} keeps initializer {name!r}{more} in the external data file {location!r}, "
                         f"which is not in {str(path.parent)!r}",
                         "put the external data file beside the .onnx file, or save the model with "
                         "onnx.save(model, path, save_as_external_data=False)")
    try:
        onnx.load_external_data_for_model(model, str(path.parent))
    except Exception as e:
        raise ModelError(f"{path.name}: cannot read its external data: {_first_line(e)}",
                         "save the model with onnx.save(model, path, save_as_external_data=False)") from None


def attrs(node: onnx.NodeProto) -> dict:
    """A node's attributes as Python values (bytes as str)."""
    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        elif isinstance(v, TensorProto):
            v = numpy_helper.to_array(v)
        out[a.name] = v
    return out


def to_array(t: TensorProto) -> np.ndarray:
    return numpy_helper.to_array(t)


def type_proto(elem: int, shape) -> onnx.TypeProto:
    return helper.make_tensor_type_proto(elem, [int(d) for d in shape])


def infer_shapes(node: onnx.NodeProto, opset_version: int, input_types: dict, input_data: dict) -> list:
    """The output shapes of one standard-domain node, by onnx's shape inference, from its
    inputs' types (name -> TypeProto) and the constant inputs' values (name -> ndarray);
    None for an output whose shape is not known."""
    schema = onnx.defs.get_schema(node.op_type, opset_version, "")
    data = {k: numpy_helper.from_array(np.asarray(v), k) for k, v in input_data.items()}
    out = shape_inference.infer_node_outputs(schema, node, input_types, data,
                                             opset_imports=[helper.make_opsetid("", opset_version)])
    shapes = []
    for name in node.output:
        t = out.get(name)
        if t is None or not t.tensor_type.HasField("shape"):
            shapes.append(None)
            continue
        dims = t.tensor_type.shape.dim
        shapes.append(tuple(int(d.dim_value) for d in dims) if all(d.HasField("dim_value") for d in dims) else None)
    return shapes


def graph_inputs(model: onnx.ModelProto, filename: str) -> list[tuple[str, tuple[int, ...]]]:
    """The model's inputs that are not initializers: (name, shape), a symbolic or unknown
    batch dimension taken as 1. Each must be float32 with known dimensions."""
    inits = {t.name for t in model.graph.initializer}
    out = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        if tt.elem_type != TensorProto.FLOAT:
            raise ModelError(f"{filename}: input {vi.name!r} is {ELEM_NAMES.get(tt.elem_type, tt.elem_type)}; "
                             "tinygen compiles models whose inputs are float32 (quantized models quantize them "
                             "with QuantizeLinear)", "export the model with a float32 input")
        dims = list(tt.shape.dim)
        shape = []
        for k, d in enumerate(dims):
            if d.HasField("dim_value") and d.dim_value > 0:
                shape.append(int(d.dim_value))
            elif k == 0:
                shape.append(1)                 # a batch dimension left symbolic ("N", "batch_size")
            else:
                raise ModelError(f"{filename}: input {vi.name!r} has dimension {k} of unknown size "
                                 f"({d.dim_param or '?'})", "export the model with a fixed input shape "
                                 "(only the batch dimension may be symbolic)")
        if len(shape) < 2 or shape[0] != 1:
            raise ModelError(f"{filename}: input {vi.name!r} has shape {shape}; tinygen needs a batched input "
                             "with batch 1 (e.g. [1, C, H, W] or [1, features])",
                             "export the model with batch size 1")
        out.append((vi.name, tuple(shape)))
    if not out:
        raise ModelError(f"{filename} has no input", "tinygen compiles models computed from an input tensor")
    return out
