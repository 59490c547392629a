"""Every test in this folder is about a third-party quantization toolchain (PT2E, Brevitas and
its QONNX / QCDQ exports, NNCF, onnxruntime's quantize_static, ai-edge-quantizer): marked
`toolchain`, so `make test` leaves them out and `make test-toolchains` runs them (CI runs both)."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)      # before pytest's -m deselection reads the markers
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.toolchain)
