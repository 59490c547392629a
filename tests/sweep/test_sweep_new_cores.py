"""tinygen sweep on the Cortex-M55 and Cortex-M33 boards (stm32n6570-dk, b-u585i-iot02a, pico2)
as on the others: the digits CNN with layer 3's weights at 8 or 4 bits, every point built for
the part and run on its board's QEMU stand-in, bit-exact, its instructions counted; the M55's
points run its Helium kernels (the int8 and the 4-bit layers: fewer instructions than the
M33's, which runs the DSP kernels; the two M33 boards within a few instructions)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tinygen.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed"),
              pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")]
BOARDS = ["n6570", "u585", "pico2"]


def test_sweep_on_the_new_cores(tmp_path):
    raw = {"model": str(ROOT / "examples" / "lowbit" / "float_digits.py"),
           "data": f"{ROOT / 'examples' / 'sweep' / 'digits_data.py'}:test_set",
           "space": {"bits": {"3": [8, 4]}, "kernels": ["tinygen"], "board": BOARDS},
           "samples": 2, "objectives": ["max accuracy", "min instructions"],
           "constraints": [{"ram": "128K", "flash": "512K"}]}
    spec = tmp_path / "digits.yaml"
    spec.write_text(yaml.safe_dump(raw))
    result = run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    assert len(result.rows) == 2 * len(BOARDS)
    failed = [(r["params"], r["reason"]) for r in result.rows if r["status"] != "ok"]
    assert not failed, failed
    assert all(r["bit_exact"] == "2/2" and r["instructions"] > 0 for r in result.rows)
    count = {(r["params"]["board"], r["params"]["bits:3"]): r["instructions"] for r in result.rows}
    for bits in {b for _, b in count}:
        assert count["n6570", bits] < count["u585", bits], (bits, count)
        # the two Cortex-M33 boards run the same kernels; their ports and memory maps differ, which
        # moves a count by a few instructions at most
        assert abs(count["u585", bits] - count["pico2", bits]) <= count["u585", bits] // 1000, (bits, count)
