"""The four MLPerf Tiny reference models shipped in examples/mlperf-tiny/ (Apache-2.0,
provenance in its README). A missing model is a failure, never a skip: the tests that
compare against TFLite Micro and the README's numbers depend on them."""

from __future__ import annotations

from pathlib import Path

MLPERF_DIR = Path(__file__).resolve().parents[1] / "examples" / "mlperf-tiny"
NAMES = ("kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder")


def mlperf_model(name: str) -> Path:
    """The path of `name` ("kws_dscnn", ...); AssertionError if the project lacks it."""
    path = MLPERF_DIR / f"{name}_int8.tflite"
    assert path.is_file(), f"{path} is missing: the MLPerf Tiny models ship in examples/mlperf-tiny/ (git checkout it)"
    return path
