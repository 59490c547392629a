"""Brevitas models against tinygen: how many outputs equal Brevitas' own, put on the output grid.

The MLP, residual CNN and DS-CNN of tests/toolchains/brevitas_models.py (seeded, calibrated),
each with int8, 4-bit and binary middle layers, built for the host: on 50 random inputs the C
equals tinygen's reference byte for byte (checked), and against the Brevitas model's outputs
rounded onto the output grid, the counts of output values equal, within 1 LSB, the largest
difference and the samples with the same top-1 class (docs/lowbit.md's figure
brevitas-agreement, benchmarks/figure_list.py). --quick: the MLPs only.

    .venv/bin/python benchmarks/brevitas_agreement.py [--quick] [--json out.json]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "toolchains")]

from brevitas_models import SAMPLES, agreement, agreement_row, write_model  # noqa: E402
from figure_engine import rows_main  # noqa: E402

ARCHS = (("mlp", "MLP"), ("rescnn", "residual CNN"), ("dscnn", "DS-CNN"))
BITS = ((8, "int8"), (4, "4-bit"), (1, "binary"))


def measure(quick: bool) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for arch, label in ARCHS[:1] if quick else ARCHS:
            for bits, kind in BITS:
                work = Path(d) / f"{arch}-{bits}"
                work.mkdir()
                _, diff, top1 = agreement(write_model(work, arch, bits), work)
                rows.append(agreement_row(diff, top1, SAMPLES, arch=arch, bits=bits, model=f"{label} {kind}"))
    return rows


if __name__ == "__main__":
    sys.exit(rows_main(__doc__, "the MLPs only", measure))
