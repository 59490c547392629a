"""The first minutes with the command line (issue 69): `build -q` is quiet, `flash --emulate`
prints no address that is already closed, `inspect` says which board and kernels its figures
assume (and equals that board's build), and the device commands' --help shows their own
options with a pointer to the build options (--help-all: every option)."""

from __future__ import annotations

import json
import re

import pytest

from e2e import EXAMPLES, run_cli
from tinygen.cli import make_parser

MLP = EXAMPLES / "mlp.py"
CNN = EXAMPLES / "cnn.py"
DEVICE_COMMANDS = ("flash", "hil", "listen", "camera", "power")


@pytest.fixture(scope="module")
def mlp_host(tmp_path_factory):
    """mlp built for the host with -q: (folder, stdout, stderr)."""
    out = tmp_path_factory.mktemp("polish") / "mlp"
    rc, stdout, stderr = run_cli("build", MLP, "--board", "host", "-q", "-o", out)
    assert rc == 0, stderr
    return out, stdout, stderr


def test_build_quiet_prints_one_line(mlp_host):
    out, stdout, stderr = mlp_host
    assert stderr == ""
    assert stdout.splitlines() == [stdout.strip()] and re.fullmatch(
        rf"built mlp for host in \d+\.\ds → {re.escape(str(out))}", stdout.strip()), stdout


def test_build_without_quiet_prints_the_summary(tmp_path):
    rc, stdout, stderr = run_cli("build", MLP, "--board", "host", "-o", tmp_path / "mlp")
    assert rc == 0, stderr
    assert "layers 3, MACs" in stdout and "inputs:" in stdout and "model id mlp" in stdout
    assert re.search(r"\[\s*\d+\.\d+s\] loading", stderr), stderr      # the progress lines


def test_flash_emulate_without_serve_prints_no_dead_address(mlp_host, capsys):
    """The host board runs its stand-in like --emulate: booted, asked, stopped."""
    rc, stdout, stderr = run_cli("flash", "--board", "host", "-o", mlp_host[0], "-q")
    assert rc == 0, stderr
    assert "tinygen runs mlp" in stdout
    assert "serial:" not in stdout and "socket://" not in stdout
    assert "stand-in stopped after this check; --serve keeps it running" in stdout


def inspect_json(tmp_path, *extra, model=MLP) -> tuple[dict, str]:
    report = tmp_path / "inspect.json"
    rc, stdout, stderr = run_cli("inspect", model, "--json", report, *extra)
    assert rc == 0, stderr
    return json.loads(report.read_text()), stdout


def test_inspect_without_board_says_so_and_equals_the_host_build(mlp_host, tmp_path):
    data, stdout = inspect_json(tmp_path)
    assert data["board"] is None
    assert "figures for no board: --kernels tinygen, portable C without ISA extensions, as a build for " \
           "--board host" in stdout and "--board BOARD gives the figures of its build" in stdout
    manifest = json.loads((mlp_host[0] / "tinygen.json").read_text())
    assert sum(layer["param_bytes"] for layer in data["layers"]) == manifest["weight_bytes"]
    assert data["arena_size"] == manifest["arena_size"]


def test_inspect_with_board_names_it_and_equals_its_build(tmp_path):
    """A Cortex-M board's kernels store weights differently from the portable ones: the
    figures are that board's build's, and inspect says for which board."""
    extra = ("--board", "f746zg", "--kernels", "tinygen")
    data, stdout = inspect_json(tmp_path, *extra, model=CNN)
    assert data["board"] == "nucleo-f746zg"
    assert "figures for nucleo-f746zg with --kernels tinygen: what `tinygen build --board nucleo-f746zg`" in stdout
    (tmp_path / "none").mkdir()
    portable, _ = inspect_json(tmp_path / "none", model=CNN)
    rc, _, stderr = run_cli("build", CNN, *extra, "-q", "-o", tmp_path / "f746")
    if rc != 0 and "arm-none-eabi-gcc" in stderr:
        pytest.skip("no arm-none-eabi-gcc to build for the board")
    assert rc == 0, stderr
    manifest = json.loads((tmp_path / "f746" / "tinygen.json").read_text())
    weights = sum(layer["param_bytes"] for layer in data["layers"])
    assert weights == manifest["weight_bytes"] and data["arena_size"] == manifest["arena_size"]
    assert weights != sum(layer["param_bytes"] for layer in portable["layers"])    # why the board matters


def subparser(name: str):
    parser = make_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices[name]


def options(parser) -> set[str]:
    return {s for a in parser._actions for s in a.option_strings}


@pytest.mark.parametrize("command", DEVICE_COMMANDS)
def test_device_command_help_points_to_the_build_options(command, capsys):
    with pytest.raises(SystemExit) as brief:
        make_parser().parse_args([command, "--help"])
    assert brief.value.code == 0
    short = capsys.readouterr().out
    with pytest.raises(SystemExit):
        make_parser().parse_args([command, "--help-all"])
    full = capsys.readouterr().out
    assert len(short.splitlines()) < 110 < len(full.splitlines()), (len(short.splitlines()), len(full.splitlines()))
    assert "--kernels {" not in short and "--kernels {" in full
    assert "see `tinygen build --help`, or `tinygen " + command + " --help-all` for every option" in short
    for own in ("--board", "--emulate", "--timeout", "-q, --quiet", "--help-all"):
        assert own in short, own
    # what --help leaves out is what `tinygen build --help` shows
    shown = {spelling.split()[0] for invocation in re.findall(r"(?m)^  (-\S.*?)(?:\s{2,}|$)", short)
             for spelling in invocation.split(", ")}
    left_out = options(subparser(command)) - shown - {"-h"}
    hidden = {s for s in left_out if subparser(command)._option_string_actions[s].help != "==SUPPRESS=="}
    assert hidden and hidden <= options(subparser("build")), hidden - options(subparser("build"))
    count = int(re.search(r"build options: (\d+) more", short)[1])
    assert count == len({subparser(command)._option_string_actions[s] for s in hidden})


def test_camera_help_keeps_the_camera_options(capsys):
    with pytest.raises(SystemExit):
        make_parser().parse_args(["camera", "--help"])
    short = capsys.readouterr().out
    assert "--frame-max" in short and "--pixel-range" in short and "--calib" not in short.split("build options:")[0]
