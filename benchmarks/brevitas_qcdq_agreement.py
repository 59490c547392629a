"""Brevitas' QCDQ ONNX export (export_onnx_qcdq) against onnxruntime's execution of the graph as written.

The MLP, DS-CNN and residual CNN of tests/toolchains/brevitas_models.py (seeded, calibrated),
exported by Brevitas with its defaults (dynamo=True on torch 2.13, or dynamo=False), built for
the host: the C equals tinygen's reference byte for byte (checked), and on 50 inputs, against
onnxruntime's int8 tensor the float last layer reads, the counts of values equal, within 1 LSB,
the largest difference, the samples with the same top-1 class and the first layers' kernels
(docs/lowbit.md's figure brevitas-qcdq-agreement, benchmarks/figure_list.py). --quick: the MLPs only.

    .venv/bin/python benchmarks/brevitas_qcdq_agreement.py [--quick] [--json out.json]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "toolchains")]

from brevitas_models import ARCH_NAMES, agreement_row, export, kernels, qcdq_agreement  # noqa: E402
from figure_engine import rows_main  # noqa: E402

# (arch, weight bits, dynamo: None for Brevitas' default), as tests/toolchains/test_brevitas_qcdq.py
CASES = (("mlp", 8, None), ("mlp", 8, False), ("mlp", 4, None), ("mlp", 2, None), ("dscnn", 8, None),
         ("rescnn", 8, None), ("rescnn", 4, False))


def measure(quick: bool) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for arch, bits, dynamo in [c for c in CASES if c[0] == "mlp"] if quick else CASES:
            work = Path(d) / f"{arch}-{bits}-{dynamo}"
            work.mkdir()
            path, module = export(work, arch, bits, "qcdq", 8, **({} if dynamo is None else {"dynamo": dynamo}))
            a, diff, _, report = qcdq_agreement(path, module, work)
            model = f"{ARCH_NAMES[arch]} {'int8' if bits == 8 else f'{bits}-bit weights, 8-bit inputs'}"
            rows.append(agreement_row(diff, a.top1, a.samples, arch=arch, bits=bits, model=model,
                                      export="default" if dynamo is None else f"dynamo={dynamo}",
                                      kernels=list(dict.fromkeys(kernels(report)[:2]))))
    return rows


if __name__ == "__main__":
    sys.exit(rows_main(__doc__, "the MLPs only", measure))
