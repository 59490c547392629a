"""The README's Quick start runs as written, top to bottom, on a fresh copy of the examples: every
line, in order, in an empty working folder, its data made by the lines before it.

Left out, each named here and checked to be what it is said to be: the install line (the suite
runs in the installed tinygen: `tinygen` is this interpreter's `-m tinygen`), and the lines that
need a board on USB (a serial --port, or `tinygen flash` without --emulate). The `--serve` line
serves the stand-in until Ctrl-C: it runs until it says so, then gets a Ctrl-C and stops cleanly."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "pip install -e '.[all]'"
BOARD_LINES = ("tinygen flash --board f746zg -o build/dscnn",
               "tinygen hil examples/mlperf-tiny/kws_dscnn_int8.tflite --board f746zg --port /dev/ttyACM0 --flash "
               "--data kws.npz")
SERVING = "serving until Ctrl-C"


def quick_start() -> list[str]:
    """The Quick start's code block: one command per line, trailing comments dropped."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Quick start\n"):]
    section = section[:section.index("\n## ", 1)]
    lines = [line[4:] for line in section.splitlines() if line.startswith("    ")]
    return [re.split(r"\s+#\s", line)[0].strip() for line in lines]


def test_quick_start_leaves_out_only_the_install_and_board_lines():
    lines = quick_start()
    assert lines[0] == INSTALL
    for line in BOARD_LINES:
        assert line in lines
        words = line.split()
        assert "--port" in words or (words[1] == "flash" and "--emulate" not in words), line
    runs = [line for line in lines[1:] if line not in BOARD_LINES]
    assert all(line.split()[0] in ("tinygen", "python") for line in runs), runs
    assert not any("--port" in line or (" flash " in line and "--emulate" not in line) for line in runs)


def argv(line: str) -> list[str]:
    words = shlex.split(line)
    return [sys.executable, *(["-m", "tinygen"] if words[0] == "tinygen" else [])] + words[1:]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="the Quick start builds for the F746ZG and runs it on its QEMU stand-in")
def test_quick_start_runs_as_written(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ran = []
    for line in quick_start()[1:]:
        if line in BOARD_LINES:
            continue
        if "--serve" in line.split():
            proc = subprocess.Popen(argv(line), cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, start_new_session=True)
            out = []
            for text in proc.stdout:                    # until it serves (or ends)
                out.append(text)
                if SERVING in text:
                    break
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            rest, err = proc.communicate(timeout=60)
            assert SERVING in "".join(out), f"{line}\n{''.join(out)}{rest}{err[-3000:]}"
            # Ctrl-C while it serves: "stopped", status 0; in the instant before its loop: "interrupted", 130
            assert (proc.returncode, err.strip().splitlines()[-1]) in ((0, "stopped"), (130, "interrupted")), \
                f"{line}: {proc.returncode}\n{err[-3000:]}"
        else:
            proc = subprocess.run(argv(line), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200)
            assert proc.returncode == 0, f"{line}\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}"
        ran.append(line)
    assert len(ran) == len(quick_start()) - 1 - len(BOARD_LINES)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["samples"] == 64 and report["bit_exact"] == 64
    assert (tmp_path / "build" / "sweep" / "results.json").is_file()
