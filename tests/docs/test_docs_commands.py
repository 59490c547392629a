"""The commands and snippets in the README and the guide stay true: every `tinygen ...` line in
a code block parses with tinygen's own parser (a renamed command or option fails here), every
file of the project a command names exists, every `make` target is in the Makefile, every
`python -m` module is there, and the Python API example runs (on the F746ZG's stand-in).

Lines that need a board (`--port /dev/ttyACM0`, `tinygen flash` without `--emulate`) are
checked like the rest; they cannot run here."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinygen.cli import make_parser

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PROJECT_DIRS = ("examples/", "benchmarks/", "tests/", "docs/", "boards/", "hil/")


def code_blocks(path: Path) -> list[tuple[int, list[str]]]:
    """Indented code blocks (4 spaces after a blank line): (first line number, lines)."""
    blocks, current, start, prev_blank = [], [], 0, True
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("    ") and (prev_blank or current):
            if not current:
                start = number
            current.append(line[4:])
        elif current and not line.strip():
            current.append("")
        else:
            if current:
                blocks.append((start, current))
            current = []
        prev_blank = not line.strip()
    if current:
        blocks.append((start, current))
    return blocks


def commands() -> list[tuple[str, str]]:
    """(where, command line) for every shell command in a code block, continuations joined and
    trailing comments dropped."""
    found = []
    for path in DOCUMENTS:
        for start, lines in code_blocks(path):
            joined, first = "", None
            for offset, line in enumerate(lines):
                text = re.split(r"\s#\s", line)[0].rstrip() if not line.lstrip().startswith("#") else ""
                if first is None:
                    first = offset
                joined += " " + text.rstrip("\\").strip()
                if text.endswith("\\"):
                    continue
                cmd = joined.strip()
                if cmd.split(" ")[0] in ("tinygen", "make", "python", "pip", "sudo") or cmd.startswith(".venv/bin/"):
                    found.append((f"{path.relative_to(ROOT)}:{start + first}", cmd))
                joined, first = "", None
    return found


def test_the_guide_has_commands():
    lines = [c for _, c in commands()]
    assert sum(c.startswith("tinygen ") for c in lines) >= 40
    assert {"tinygen listen", "tinygen camera", "tinygen power"} <= {" ".join(c.split()[:2]) for c in lines}


def test_every_tinygen_line_parses():
    parser = make_parser()
    bad = []
    for where, cmd in commands():
        if not cmd.startswith("tinygen "):
            continue
        argv = shlex.split(re.sub(r"\[[^\]]*\]", "", cmd))[1:]     # [--optional parts] left out
        try:
            parser.parse_args(argv)
        except SystemExit:
            bad.append(f"{where}: {cmd}")
    assert not bad, "lines tinygen's parser refuses:\n" + "\n".join(bad)


def test_every_project_file_a_command_names_exists():
    missing = []
    for where, cmd in commands():
        for token in shlex.split(re.sub(r"\[[^\]]*\]", "", cmd)):
            if token.startswith(PROJECT_DIRS) and "*" not in token and not (ROOT / token).exists():
                if not token.startswith(("examples/", "docs/")) or not token.endswith((".pt", ".npz", ".json")):
                    missing.append(f"{where}: {token}")
    assert not missing, missing


def test_make_targets_and_modules_exist():
    targets = set(re.findall(r"(?m)^([a-z][\w-]*):", (ROOT / "Makefile").read_text()))
    problems = []
    for where, cmd in commands():
        words = cmd.split()
        if words[0] == "make":
            problems += [f"{where}: make {w}" for w in words[1:] if not w.startswith("-") and w not in targets]
        if "-m" in words:
            module = words[words.index("-m") + 1]
            if module != "pytest" and module.startswith("tinygen") and importlib.util.find_spec(module) is None:
                problems.append(f"{where}: no module {module}")
    assert not problems, problems


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="the API example builds for the F746ZG and runs on its QEMU stand-in")
def test_the_api_examples_run(tmp_path):
    """Every Python block of the API page runs: the compile-build-open example and the compile
    as the commands do (both build examples/models/dscnn.py for the F746ZG)."""
    blocks = [(s, b) for s, b in code_blocks(ROOT / "docs" / "api.md") if b and b[0].startswith("from tinygen")]
    assert len(blocks) == 2
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for start, lines in blocks:
        shutil.rmtree(tmp_path / "build", ignore_errors=True)
        proc = subprocess.run([sys.executable, "-c", "\n".join(lines)], cwd=tmp_path, capture_output=True, text=True,
                              env=env)
        assert proc.returncode == 0, f"docs/api.md:{start}:\n{proc.stderr[-3000:]}"
        assert (tmp_path / "build" / "dscnn" / "model.c").is_file(), f"docs/api.md:{start}: no build"
        if "open_device" in "\n".join(lines):
            assert "'model': 'dscnn'" in proc.stdout, proc.stdout
