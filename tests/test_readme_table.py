"""benchmarks/readme_table.py: the README's MLPerf Tiny table comes from a benchmark run's JSON."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("readme_table", ROOT / "benchmarks" / "readme_table.py")
readme_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(readme_table)


def result(model="kws_dscnn", kernels="tinygen", instructions=4_000_000, equal=True) -> dict:
    return {"model": model, "kernels": kernels, "instructions": instructions,
            "instructions_per_mac": instructions / 2_656_768, "arena": 13_120, "flash": 88_900,
            "equals_tflm": equal, "tflm": {"cmsis_nn": 7_642_160, "arena": 22_820},
            "targets": {"speedup": 7_642_160 / instructions, "speedup_met": True, "arena_ratio": 13_120 / 22_820,
                        "arena_met": True}, "commit": "abc1234", "cmsis_nn_version": None}


def test_the_readme_has_the_generated_table():
    text = (ROOT / "README.md").read_text()
    assert readme_table.BEGIN in text and readme_table.END in text
    table = text.split(readme_table.BEGIN, 1)[1].split(readme_table.END, 1)[0]
    keys = [readme_table._key(line) for line in table.splitlines() if readme_table._key(line)]
    assert len(keys) == len(set(keys)) >= 8, keys           # tinygen and auto rows at least, once each


def test_update_replaces_measured_rows_and_keeps_the_others(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{readme_table.BEGIN}\n{readme_table.render([result(), result(kernels='auto')])}\n"
                      f"{readme_table.END}\nafter\n")
    readme_table.update(readme, [result(instructions=3_000_000), result("ad_autoencoder", "cmsis-nn", 600_000, False)])
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith(f"{readme_table.END}\nafter\n")
    lines = [line for line in text.splitlines() if readme_table._key(line)]
    assert [readme_table._key(line) for line in lines] == [("kws_dscnn", "tinygen"), ("kws_dscnn", "auto"),
                                                             ("ad_autoencoder", "cmsis-nn")]
    assert "3,000,000 (1.13)" in lines[0] and "2.55x met" in lines[0] and "| abc1234 |" in lines[0]
    assert "4,000,000" in lines[1]                  # not in the new run: kept as it was
    assert "**no**" in lines[2]                     # a mismatch with TFLM shows
    before = readme.read_text()
    readme_table.update(readme, [])
    assert readme.read_text() == before
