"""Brevitas' QONNX export (export_qonnx) against qonnx's own execution of the graph.

The MLP, residual CNN and DS-CNN of tests/toolchains/brevitas_models.py (seeded, calibrated),
exported by Brevitas' export_qonnx with its defaults (dynamo=True on torch 2.13), built for the
host with the model's calibration data: the C equals tinygen's reference byte for byte (checked),
and on 50 inputs, against qonnx.core.onnx_exec's outputs put on the output grid, the counts of
output values equal, within 1 LSB, the largest difference, the samples with the same top-1 class
and the first layers' kernels (docs/lowbit.md's figure qonnx-agreement, benchmarks/figure_list.py).
--quick: the MLPs only.

    .venv/bin/python benchmarks/qonnx_agreement.py [--quick] [--json out.json]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "toolchains")]

from brevitas_models import ARCH_NAMES, SAMPLES, agreement_row, export, kernels, qonnx_agreement  # noqa: E402
from figure_engine import rows_main  # noqa: E402

# (arch, weight bits), as test_qonnx_brevitas_export_host in tests/toolchains/test_brevitas.py
CASES = (("mlp", 8), ("mlp", 4), ("mlp", 1), ("rescnn", 8), ("rescnn", 4), ("dscnn", 8))
KIND = {8: "int8", 4: "4-bit", 1: "binary"}


def measure(quick: bool) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for arch, bits in [c for c in CASES if c[0] == "mlp"] if quick else CASES:
            work = Path(d) / f"{arch}-{bits}"
            work.mkdir()
            path, module = export(work, arch, bits, "qonnx")
            report, diff, same = qonnx_agreement(path, module, work)
            rows.append(agreement_row(diff, same, SAMPLES, arch=arch, bits=bits, model=f"{ARCH_NAMES[arch]} {KIND[bits]}",
                                      kernels=list(dict.fromkeys(kernels(report)[:2]))))
    return rows


if __name__ == "__main__":
    sys.exit(rows_main(__doc__, "the MLPs only", measure))
