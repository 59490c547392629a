"""Bad .onnx files and unsupported operators: each gives one clear ModelError /
UnsupportedOpError (exit status 1, no traceback) and `tinygen build` writes nothing: a corrupt or
truncated file, random bytes, an opset older than 13 (with the version converter's hint), external
data that is not beside the model, NaN weights, an input that is not float32 or has an unknown
dimension; unsupported operators all listed at once with their node and the rewrite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from e2e import assert_build_fails
from onnx_lib import onnx_model
from tinygen.compiler import load_source
from tinygen.errors import ModelError, UnsupportedOpError


def _model(nodes, inits=None, opset=13, in_type=TensorProto.FLOAT, in_shape=(1, 4, 6, 6), out_shape=None):
    graph = helper.make_graph(nodes, "bad", [helper.make_tensor_value_info("x", in_type, list(in_shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out_shape or in_shape))],
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _save(tmp_path: Path, name: str, model) -> Path:
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return path


def _assert_build_fails(path: Path, tmp_path: Path, capsys, *expected: str) -> str:
    return assert_build_fails(path, tmp_path, capsys, *expected, extra=("--calib", "random"))


W = np.random.default_rng(0).normal(0, 0.3, (4, 4, 3, 3)).astype(np.float32)


def _conv_relu():
    return _model([helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]), helper.make_node("Relu", ["c"], ["y"])],
                  {"w": W})


def test_onnx_truncated(tmp_path, capsys):
    data = _conv_relu().SerializeToString()
    for cut in (1, 7, len(data) // 3, len(data) // 2, len(data) - 5):
        path = tmp_path / f"cut{cut}.onnx"
        path.write_bytes(data[:cut])
        with pytest.raises(ModelError):
            load_source(path)
    err = _assert_build_fails(tmp_path / f"cut{len(data) // 2}.onnx", tmp_path, capsys, "cut")
    assert "corrupt or truncated" in err or "not an ONNX model" in err or "not a valid ONNX model" in err


@pytest.mark.parametrize("size", [0, 3, 64, 4096])
def test_onnx_random_bytes(tmp_path, size):
    path = tmp_path / "random.onnx"
    path.write_bytes(np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes())
    with pytest.raises(ModelError):
        load_source(path)


def test_onnx_old_opset_says_convert(tmp_path, capsys):
    path = _save(tmp_path, "old", _model([helper.make_node("Relu", ["x"], ["y"])], opset=11))
    _assert_build_fails(path, tmp_path, capsys, "opset 11", "opset 13 and newer", "version_converter.convert_version")


def test_onnx_external_data_missing(tmp_path, capsys):
    model = _conv_relu()
    big = np.random.default_rng(1).normal(0, 0.1, (64, 4, 3, 3)).astype(np.float32)
    model.graph.initializer[0].CopyFrom(numpy_helper.from_array(big, "w"))
    onnx.save(model, str(tmp_path / "ext.onnx"), save_as_external_data=True, location="ext.weights", size_threshold=0)
    assert load_source(tmp_path / "ext.onnx").graph.nodes          # beside it: loads
    (tmp_path / "ext.weights").unlink()
    _assert_build_fails(tmp_path / "ext.onnx", tmp_path, capsys, "external data file 'ext.weights'",
                        "save_as_external_data=False")


def test_onnx_nan_weights(tmp_path, capsys):
    model = _model([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])], {"w": np.where(W > 0.5, np.nan, W)})
    _assert_build_fails(_save(tmp_path, "nan", model), tmp_path, capsys, "initializer 'w'", "NaN or Inf")


def test_onnx_input_not_float_or_unknown(tmp_path, capsys):
    ints = _model([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], in_type=TensorProto.INT64)
    _assert_build_fails(_save(tmp_path, "ints", ints), tmp_path, capsys, "input 'x' is int64", "float32")
    dyn = _model([helper.make_node("Relu", ["x"], ["y"])], in_shape=(1, 4, "h", 6))
    _assert_build_fails(_save(tmp_path, "dyn", dyn), tmp_path, capsys, "dimension 2 of unknown size (h)")


def test_onnx_unsupported_ops_all_listed(tmp_path, capsys):
    """A grouped ConvTranspose, Elu, Selu, Erf, a product of two activations:
    one refusal, every node named, each with its rewrite."""
    n = helper.make_node
    nodes = [n("ConvTranspose", ["x", "wt"], ["a"], strides=[2, 2], group=2), n("Elu", ["a"], ["b"]),
             n("Selu", ["b"], ["c"], name="selu"), n("MatMul", ["c", "c"], ["d"]), n("Erf", ["d"], ["y"])]
    model = _model(nodes, {"wt": np.zeros((4, 2, 2, 2), np.float32)}, opset=13, out_shape=(1, 4, 12, 12))
    err = _assert_build_fails(_save(tmp_path, "ops", model), tmp_path, capsys, "5 nodes tinygen does not compile",
                              "ConvTranspose, Elu, Erf, MatMul, Selu", "node 'selu'",
                              "a transposed convolution with group=2", "use Relu or HardSwish",
                              "does not map a product of two activations yet")
    with pytest.raises(UnsupportedOpError):
        load_source(tmp_path / "ops.onnx")
    assert err.count("\n  - ") == 5


def test_onnx_asymmetric_weights_out_of_int8_refused(tmp_path, capsys):
    path = onnx_model(tmp_path, "mlp", "qoperator", weights="uint8", reduce_range=False)  # 7 bits would fit int8
    _assert_build_fails(path, tmp_path, capsys, "zero points", "leave int8", "WeightSymmetric")


def test_onnx_dynamic_quantization_refused(tmp_path, capsys):
    n = helper.make_node
    nodes = [n("DynamicQuantizeLinear", ["x"], ["q", "s", "z"]), n("DequantizeLinear", ["q", "s", "z"], ["y"])]
    err = _assert_build_fails(_save(tmp_path, "dyn", _model(nodes)), tmp_path, capsys, "DynamicQuantizeLinear",
                              "quantize_static")
    assert "dynamic quantization" in err


KWS_QDQ = Path(__file__).resolve().parent.parent / "data" / "fuzz" / "kws_qdq.onnx"


def _kws_qdq_edited(tmp_path: Path, name: str, edit) -> Path:
    """The fuzz test's QDQ model (tests/data/fuzz/) with one node edited, as its mutants are."""
    model = onnx.load(str(KWS_QDQ))
    edit(model.graph)
    return _save(tmp_path, name, model)


def _node(graph, op_type: str, output_prefix: str = ""):
    return next(n for n in graph.node if n.op_type == op_type and n.output[0].startswith(output_prefix))


def test_onnx_gemm_features_differ_from_input(tmp_path, capsys):
    """The global pooling before the classifier turned into a Relu (fuzz seed 979): the Gemm's
    weights take 16 features, the flattened input has 2080; refused by the ONNX checks' strict
    shape inference (frontend/onnx/check_graph.py), naming the Gemm, before the importer's own
    check at the Gemm (which a model with no shape to infer still meets)."""
    path = _kws_qdq_edited(tmp_path, "gemm", lambda g: setattr(_node(g, "GlobalAveragePool"), "op_type", "Relu"))
    _assert_build_fails(path, tmp_path, capsys, "is not a valid ONNX model", "op_type:Gemm",
                        "between 16 and 2080")


def test_onnx_bias_overflows_accumulator(tmp_path, capsys):
    """A convolution's int32 bias set to int32's minimum: the accumulator would overflow in C."""
    def edit(graph):
        conv = _node(graph, "Conv")
        bias_dq = next(n for n in graph.node if n.output[0] == conv.input[2])
        init = next(t for t in graph.initializer if t.name == bias_dq.input[0])
        values = numpy_helper.to_array(init).copy()
        values[0] = -(1 << 31)
        init.CopyFrom(numpy_helper.from_array(values, init.name))
    path = _kws_qdq_edited(tmp_path, "bias", edit)
    _assert_build_fails(path, tmp_path, capsys, "the int32 bias -2147483648 of output channel 0 overflows the int32 "
                        "accumulator")
