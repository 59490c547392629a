"""The command line by capability: every command's --help is grouped (model, build, device,
report) and ends in examples; the capability commands (listen, camera, power) refuse a run
without their inputs in one line; `tinygen hil` still takes their options for one release and
says which command took them over."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tinygen.cli import main, make_parser

ROOT = Path(__file__).resolve().parents[2]
MLP = ROOT / "examples" / "models" / "mlp.py"
GROUPS = {
    "build": {"model", "build"},
    "inspect": {"model", "build", "report"},
    "flash": {"model", "build", "device"},
    "hil": {"model", "build", "device", "data", "report"},
    "listen": {"model", "build", "device", "audio", "report"},
    "camera": {"model", "build", "device", "camera frames", "report"},
    "power": {"model", "build", "device", "data", "energy", "report"},
    "corpus": {"corpus", "report"},
    "recording": {"recording"},
    "mlperf run": {"device", "runner"},
    "mlperf dataset": {"model", "data"},
}


def help_of(command: str, capsys) -> str:
    with pytest.raises(SystemExit) as done:
        main([*command.split(), "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", sorted(GROUPS))
def test_help_is_grouped_and_ends_in_examples(command, capsys):
    text = help_of(command, capsys)
    headings = set(re.findall(r"(?m)^([a-z][a-z ()]*):$", text))
    assert GROUPS[command] <= headings, headings
    examples = text.split("\nexamples:\n", 1)[1].splitlines()
    assert sum(line.startswith(f"  tinygen {command} ") for line in examples) >= 2, examples


def test_every_command_is_listed(capsys):
    commands = set(make_parser()._subparsers._group_actions[0].choices)
    assert {c.split()[0] for c in GROUPS} | {"boards", "sweep"} == commands


def test_hil_help_leaves_the_moved_options_out(capsys):
    text = help_of("hil", capsys)
    for option in ("--audio", "--stream", "--images", "--frames", "--meter", "--cycles"):
        assert f"  {option} " not in text, option
    assert "tinygen listen, tinygen camera, tinygen power" in text


@pytest.mark.parametrize("argv, message", [
    (["listen", str(MLP), "--board", "f746zg", "--emulate"], "give the audio: --audio WAVS"),
    (["camera", str(MLP), "--board", "host"], "give the frames: --images DIR"),
    (["power", str(MLP), "--board", "f746zg", "--emulate", "--data", "d.npz"], "say how to get the energy"),
    (["power", str(MLP), "--board", "f746zg", "--emulate", "--cycles"], "give the inputs: --data FILE"),
])
def test_capability_commands_refuse_a_run_without_their_inputs(argv, message, capsys, tmp_path):
    assert main([*argv, "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"tinygen {argv[0]}: error: {message}"), err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra, command", [
    (["--cycles", "--data", "d.npz"], "power"),
    (["--frames", "f.npz", "--limit", "0"], "camera"),
    (["--stream", "r.wav", "--data", "d.npz"], "listen"),
])
def test_hil_takes_the_old_spellings_with_a_note(extra, command, capsys, tmp_path):
    """The note comes first, before any work; here the run then stops on a usage error."""
    assert main(["hil", str(MLP), "--board", "host", "-o", str(tmp_path / "out"), *extra]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("note: `tinygen hil --") and f"is now `tinygen {command}`" in err[0], err
    assert err[1].startswith("tinygen hil: error: "), err


@pytest.mark.parametrize("module, command", [
    ("tinygen.audio.corpus", "tinygen corpus"),
    ("tinygen.audio.recording", "tinygen recording"),
    ("tinygen.hil.mlperf_runner", "tinygen mlperf run"),
])
def test_the_old_python_m_spellings_name_the_command(module, command, tmp_path):
    """The libraries no longer parse command lines: run as scripts, they say which command took over."""
    proc = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"note: `python -m {module}` is now `{command}`"), proc.stderr
    assert not list(tmp_path.iterdir())
