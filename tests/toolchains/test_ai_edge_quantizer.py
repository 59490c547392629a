"""ai-edge-quantizer (Google's quantizer for .tflite models, `pip install ai-edge-quantizer`) on
float .tflite models written in the test (tests/tflite_builder.py, with the serving_default
signature the quantizer reads): a DS-CNN (conv, depthwise, pointwise, average pool, fully
connected) and an MLP, quantized with its static recipes, int8 (`static_wi8_ai8`) and 16x8
(`static_wi8_ai16`), calibrated on random inputs. tinygen builds what it writes, as it is, and
`tinygen hil` on the host equals TFLite Micro's execution of the same file in every byte."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ai_edge_quantizer import quantizer, recipe
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.Padding import Padding

from tflite_builder import ModelBuilder
from tinygen.cli import main

SAMPLES = 50
SIGNATURE = "serving_default"


def _dscnn(b: ModelBuilder, rng) -> tuple[list[int], list[int], list[int]]:
    def f32(name, shape):
        return b.tensor(name, shape, "float32")

    def const(name, shape, s=0.3):
        return b.tensor(name, shape, "float32", data=rng.normal(0, s, shape).astype(np.float32))

    x, c, d = f32("x", [1, 10, 8, 1]), f32("conv", [1, 5, 4, 8]), f32("dw", [1, 5, 4, 8])
    p, g, r, y = f32("pw", [1, 5, 4, 12]), f32("pool", [1, 1, 1, 12]), f32("flat", [1, 12]), f32("y", [1, 4])
    b.op("CONV_2D", [x, const("w1", [8, 3, 3, 1]), const("b1", [8], 0.1)], [c], "Conv2DOptions",
         Padding=Padding.SAME, StrideW=2, StrideH=2, FusedActivationFunction=Act.RELU)
    b.op("DEPTHWISE_CONV_2D", [c, const("w2", [1, 3, 3, 8]), const("b2", [8], 0.1)], [d], "DepthwiseConv2DOptions",
         Padding=Padding.SAME, StrideW=1, StrideH=1, DepthMultiplier=1, FusedActivationFunction=Act.RELU)
    b.op("CONV_2D", [d, const("w3", [12, 1, 1, 8]), const("b3", [12], 0.1)], [p], "Conv2DOptions",
         Padding=Padding.VALID, StrideW=1, StrideH=1, FusedActivationFunction=Act.RELU)
    b.op("AVERAGE_POOL_2D", [p], [g], "Pool2DOptions", Padding=Padding.VALID, StrideW=4, StrideH=5,
         FilterWidth=4, FilterHeight=5)
    b.op("RESHAPE", [g, b.tensor("shape", [2], "int32", data=np.array([1, 12], np.int32))], [r])
    b.op("FULLY_CONNECTED", [r, const("w4", [4, 12]), const("b4", [4], 0.1)], [y], "FullyConnectedOptions")
    return [x], [y], [10, 8, 1]


def _mlp(b: ModelBuilder, rng) -> tuple[list[int], list[int], list[int]]:
    x, h, y = (b.tensor(n, s, "float32") for n, s in (("x", [1, 20]), ("hidden", [1, 16]), ("y", [1, 5])))
    for src, dst, shape, act in ((x, h, [16, 20], Act.RELU), (h, y, [5, 16], Act.NONE)):
        w = b.tensor(f"w{dst}", shape, "float32", data=rng.normal(0, 0.3, shape).astype(np.float32))
        bias = b.tensor(f"b{dst}", shape[:1], "float32", data=rng.normal(0, 0.1, shape[:1]).astype(np.float32))
        b.op("FULLY_CONNECTED", [src, w, bias], [dst], "FullyConnectedOptions", FusedActivationFunction=act)
    return [x], [y], [20]


MODELS = {"dscnn": _dscnn, "mlp": _mlp}
RECIPES = {"int8": recipe.static_wi8_ai8, "16x8": recipe.static_wi8_ai16}


def quantized(name: str, scheme: str, seed: int = 0) -> tuple[bytes, list[int]]:
    """The float model `name`, quantized by ai-edge-quantizer's `scheme` recipe; its sample shape."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    inputs, outputs, sample = MODELS[name](b, rng)
    q = quantizer.Quantizer(b.finish(inputs, outputs, signature=SIGNATURE))
    q.load_quantization_recipe(RECIPES[scheme]())
    calibration = {SIGNATURE: [{"x": rng.normal(0, 1, (1, *sample)).astype(np.float32)} for _ in range(16)]}
    return q.quantize(q.calibrate(calibration)).quantized_model, sample


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("scheme", sorted(RECIPES))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_ai_edge_quantizer_model_equals_tflite_micro(name, scheme, tmp_path, capsys):
    model, sample = quantized(name, scheme)
    path = tmp_path / f"{name}_{scheme}.tflite"
    path.write_bytes(model)
    data = tmp_path / "data.npz"
    np.savez(data, x=np.random.default_rng(1).normal(0, 1, (SAMPLES, *sample)).astype(np.float32))
    report = tmp_path / "report.json"
    assert main(["hil", str(path), "--board", "host", "--data", str(data), "-o", str(tmp_path / "build"), "-q",
                 "--json", str(report)]) == 0, capsys.readouterr().err
    r = json.loads(report.read_text())
    assert r["samples"] == SAMPLES and r["bit_exact"] == SAMPLES           # C = tinygen's reference
    tflm = r["tflite_micro"]
    assert tflm["status"] == "compared" and tflm["samples"] == SAMPLES
    assert tflm["equal"] and all(o["bytes_differing"] == 0 for o in tflm["outputs"]), tflm
    manifest = json.loads((tmp_path / "build" / "tinygen.json").read_text())
    assert {"int8": "int8", "16x8": "int16"}[scheme] in {p["dtype"] for p in manifest["outputs"]}, manifest["outputs"]
