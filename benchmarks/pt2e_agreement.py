"""PT2E-quantized models (torchao's convert_pt2e, ExecuTorch's XNNPACK quantizer) against PyTorch's run of the converted program.

The DS-CNN, CNN with a residual add and MLP of tests/toolchains/pt2e_lib.py (seeded, calibrated
on noise), per channel and per tensor, saved as .pt2 and built for the host: on 50 random inputs
tinygen's input codes equal quantize_per_tensor's and the C equals tinygen's reference (checked);
against PyTorch's converted program, the outputs that differ and by how much. And the DS-CNN
trained with quantization-aware training (prepare_qat_pt2e, XNNPACK per channel), its reference
against PyTorch (docs/models.md's figure pt2e-agreement, benchmarks/figure_list.py).
--quick: the MLP only.

    .venv/bin/python benchmarks/pt2e_agreement.py [--quick] [--json out.json]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "toolchains")]

from figure_engine import rows_main  # noqa: E402
from pt2e_lib import (CONFIGS, NETS, SAMPLES, SHAPES, host_diff, qat_converted, reference_diff,  # noqa: E402
                      save_pt2)
from tinygen.compiler import compile_source, load_source  # noqa: E402

LABEL = {"dscnn": "DS-CNN", "residual": "CNN with a residual add", "mlp": "MLP"}


def _row(name: str, config: str, diff) -> dict:
    row = {"net": name, "config": config, "model": LABEL[name], "samples": SAMPLES, "values": int(diff.size),
           "differ": int((diff > 0).sum()), "max_lsb": int(diff.max())}
    print(f"{row['model']:24s} {config:12s} {row['differ']:3d} of {row['values']} outputs differ, at most "
          f"{row['max_lsb']} LSB", flush=True)
    return row


def measure(quick: bool) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for name in ["mlp"] if quick else NETS:
            for config in CONFIGS:
                work = Path(d) / f"{name}-{config}"
                work.mkdir()
                source = load_source(save_pt2(work, name, config))
                rows.append(_row(name, config, host_diff(source, compile_source(source), name, config, work)))
        if not quick:
            program = qat_converted("dscnn")
            path = Path(d) / "dscnn_qat.pt2"
            torch.export.save(torch.export.export(program, (torch.zeros(SHAPES["dscnn"]),)), str(path))
            rows.append(_row("dscnn", "qat", reference_diff(program, compile_source(load_source(path)), "dscnn")))
    return rows


if __name__ == "__main__":
    sys.exit(rows_main(__doc__, "the MLP only", measure))
