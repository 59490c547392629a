"""examples/onnx/digits_onnx.py, shortened (24 test images): the shipped digits CNN exported
with torch.onnx.export, quantized by onnxruntime's quantize_static, built for the f746zg
stand-in; its outputs bit-exact with the reference, equal to the host build's and
to onnxruntime's graph as written, its accuracy beside the PyTorch path's (slow: two stand-in runs)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from standin_lib import needs_qemu

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "onnx" / "digits_onnx.py"


@pytest.mark.slow
@needs_qemu
def test_onnx_digits_example(tmp_path):
    spec = importlib.util.spec_from_file_location("digits_onnx", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    assert example.main(["--out", str(tmp_path), "--limit", "24"]) == 0
    r = json.loads((tmp_path / "results.json").read_text())
    assert r["samples"] == 24
    assert r["onnx_bit_exact"] == "24/24" and r["onnx_device_equals_host"] == "24/24"
    assert r["pytorch_bit_exact"] == "24/24"
    assert r["onnx_vs_onnxruntime"]["exact"] == 24
    # the fused session's agreement is kept apart, reported, never asserted (CPU-dependent)
    assert "fused" not in r["onnx_vs_onnxruntime"] and r["onnx_vs_onnxruntime_fused"]["samples"] == 24
    assert abs(r["tinygen_onnx_accuracy"] - r["onnxruntime_qdq_accuracy"]) <= 1 / 24
    assert r["tinygen_pytorch_accuracy"] > 0.5 and r["tinygen_onnx_accuracy"] > 0.5
    assert r["onnx_instructions"] > 0 and r["pytorch_instructions"] > 0
