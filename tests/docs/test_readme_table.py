"""benchmarks/readme_table.py: the README's MLPerf Tiny table comes from a benchmark run's JSON."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("readme_table", ROOT / "benchmarks" / "readme_table.py")
readme_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(readme_table)


def result(model="kws_dscnn", kernels="tinygen", instructions=4_000_000, equal=True) -> dict:
    return {"model": model, "kernels": kernels, "instructions": instructions,
            "instructions_per_mac": instructions / 2_656_768, "arena": 13_120, "flash": 88_900,
            "equals_tflm": equal, "tflm": {"cmsis_nn": 7_642_160, "arena": 22_820},
            "targets": {"speedup": 7_642_160 / instructions, "speedup_met": True, "arena_ratio": 13_120 / 22_820,
                        "arena_met": True}, "commit": "abc1234", "cmsis_nn_version": None}


def test_the_table_orders_rows_by_model_and_kernels():
    lines = readme_table.render([result("ad_autoencoder", "cmsis-nn", 600_000, False), result(kernels="auto"),
                                 result(instructions=3_000_000)]).splitlines()
    assert lines[:2] == readme_table.HEADER.splitlines()
    assert [line.split(" | ")[:2] for line in lines[2:]] == [["| KWS", "tinygen"], ["| KWS", "auto"],
                                                            ["| AD", "cmsis-nn"]]
    assert "3,000,000 (1.13)" in lines[2] and "2.55x met" in lines[2] and "| abc1234 |" in lines[2]
    assert "4,000,000" in lines[3]
    assert "**no**" in lines[4]                     # a mismatch with TFLM shows


def test_the_readme_holds_the_measured_table():
    """README.md's MLPerf table is the figure mlperf-f746zg: every model with tinygen's and auto's kernels."""
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- figure mlperf-f746zg:", 1)[1].split("<!-- /figure mlperf-f746zg -->", 1)[0]
    rows = {tuple(c.strip() for c in line.strip("|").split("|")[:2]) for line in block.splitlines()
            if line.startswith("| ") and not line.startswith("| model")}
    assert {(readme_table.SHORT[m], k) for m in readme_table.ORDER for k in ("tinygen", "auto")} <= rows
