"""`tinygen hil` and `tinygen flash` refuse what cannot work before the long work starts
(loading the model, calibrating, measuring kernels, building firmware, booting QEMU):
an empty or unreadable data set, a serial port that is not there (the board's, the
meter's), a meter whose Python package is missing, a missing flash tool. Each case
fails in one error line with a hint; `compile_model` is replaced by one that fails the
test if it is reached, and no build folder appears."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from e2e import EXAMPLES, compile_example
from tinygen.cli import common as cli_common
from tinygen.cli import hil as cli_hil
from tinygen.cli import main
from tinygen.errors import UsageError
from tinygen.hil.session import check_labels, load_inputs

MLP = EXAMPLES / "mlp.py"


@pytest.fixture
def no_compile(monkeypatch):
    """compile_model fails the test: the refusal must come before it."""
    def compile_model(*args, **kwargs):
        raise AssertionError("the model was compiled before the bad input was refused")

    monkeypatch.setattr(cli_common, "compile_model", compile_model)


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x=np.zeros((3, 64), np.float32))
    return path


def hil_fails(capsys, tmp_path, *argv, rc: int, command: str = "hil") -> str:
    got = main([command, str(MLP), "-q", "-o", str(tmp_path / "build"), *map(str, argv)])
    err = capsys.readouterr().err
    assert got == rc, err
    assert "Traceback" not in err and err.startswith(f"tinygen {command}: error: "), err
    assert len(err.strip().splitlines()) == 2 and "\n  hint: " in err, f"not one error line and its hint:\n{err}"
    assert not (tmp_path / "build").exists(), "a refused run wrote its build folder"
    return err


# -- the data --------------------------------------------------------------------------


def test_hil_empty_data_is_refused_before_the_compile(tmp_path, capsys, no_compile):
    """x of shape [0, 64]: one line saying the data set is empty (before: an IndexError at
    profile_layers, after building the firmware and booting the stand-in)."""
    np.savez(tmp_path / "empty.npz", x=np.zeros((0, 64), np.float32), y=np.zeros(0, np.int64))
    err = hil_fails(capsys, tmp_path, "--board", "f746zg", "--emulate", "--data", tmp_path / "empty.npz", rc=2)
    assert "the data set" in err and "is empty" in err and "x has shape [0, 64]" in err


def test_hil_load_inputs_refuses_an_empty_input(tmp_path):
    """The check after the compile (where the model says which arrays are its inputs)."""
    source, graph = compile_example("mlp")
    np.savez(tmp_path / "empty.npz", x=np.zeros((0, 64), np.float32))
    with pytest.raises(UsageError, match=r"the data set is empty: data has shape \[0, 64\]"):
        load_inputs(tmp_path / "empty.npz", None, source, graph)


@pytest.mark.parametrize("name, says", [
    ("text.npz", "is not an .npz archive (not a zip archive; numpy.savez writes one)"),
    ("text.npy", "is not a .npy file (no numpy header; numpy.save writes one)"),
])
def test_hil_data_that_is_not_numpy_says_so(tmp_path, capsys, no_compile, name, says):
    """A text file named .npz: not numpy's "contains pickled (object) data"."""
    (tmp_path / name).write_text("x,y\n0.1,1\n")
    err = hil_fails(capsys, tmp_path, "--board", "host", "--data", tmp_path / name, rc=2)
    assert f"data file {str(tmp_path / name)!r} {says}" in err
    assert "pickled" not in err


def test_hil_data_folder_is_refused_as_a_folder(tmp_path, capsys, no_compile):
    """--data DIR: a folder, not "does not exist"."""
    (tmp_path / "samples").mkdir()
    err = hil_fails(capsys, tmp_path, "--board", "host", "--data", tmp_path / "samples", rc=2)
    assert f"data file {str(tmp_path / 'samples')!r} is a folder" in err
    assert "does not exist" not in err


def test_hil_labels_outside_the_models_classes_refused_before_the_build(tmp_path, capsys, monkeypatch):
    """The mlp has 10 classes (its output's size): labels 100 and -5 are refused in one line
    naming the first bad one and the range, after the compile, before the firmware build."""
    def build_project(*args, **kwargs):
        raise AssertionError("the firmware was built before the bad labels were refused")

    monkeypatch.setattr(cli_hil, "build_project", build_project)
    np.savez(tmp_path / "data.npz", x=np.zeros((3, 64), np.float32), y=np.asarray([1, 100, -5]))
    err = hil_fails(capsys, tmp_path, "--board", "host", "--data", tmp_path / "data.npz", rc=2)
    assert "label 100 (sample 1) is not a class of the model" in err and "has 10 classes, 0..9" in err
    assert "(2 labels out of range)" in err


@pytest.mark.parametrize("labels, first", [(np.arange(11), r"label 10 \(sample 10\)"),
                                           ([-5, 2, 3], r"label -5 \(sample 0\)"),
                                           ([1.0, 2.5, 3.0], r"label 2.5 \(sample 1\)")])
def test_hil_check_labels_names_the_first_label_outside_the_classes(labels, first):
    _, graph = compile_example("mlp")
    check_labels(graph, np.arange(10))                          # every class, as ints
    check_labels(graph, np.asarray([0.0, 9.0]))                 # whole floats
    with pytest.raises(UsageError, match=first + r" is not a class of the model: .* has 10 classes, 0..9"):
        check_labels(graph, np.asarray(labels))


# -- serial ports -------------------------------------------------------------------------


def test_hil_board_port_that_is_not_there(tmp_path, capsys, no_compile, data):
    err = hil_fails(capsys, tmp_path, "--board", "f746zg", "--data", data,
                    "--port", tmp_path / "ttyACM7", rc=1)
    assert f"no device on {tmp_path / 'ttyACM7'} (--port)" in err
    assert "python -m serial.tools.list_ports" in err


def test_hil_meter_port_that_is_not_there(tmp_path, capsys, no_compile, data):
    """--meter lpm01a --meter-port /dev/ttyACM7 (no such port): before, two chained
    serial.SerialException tracebacks after the build."""
    err = hil_fails(capsys, tmp_path, "--board", "f746zg", "--emulate", "--data", data, "--meter", "lpm01a",
                    "--meter-port", tmp_path / "ttyACM7", rc=1, command="power")
    assert f"no device on {tmp_path / 'ttyACM7'} (--meter-port)" in err
    assert "python -m serial.tools.list_ports" in err and "--meter-port" in err.split("hint:")[1]


def test_lpm01a_port_that_will_not_open_is_one_line(tmp_path):
    """The meter's own open (a port that vanished after the check): no chained tracebacks."""
    from tinygen.energy.lpm01a import LPM01A
    from tinygen.energy.trace import EnergyError

    with pytest.raises(EnergyError) as e:
        LPM01A(str(tmp_path / "ttyACM7"), 3.3)
    assert e.value.message == f"cannot open the LPM01A's port {tmp_path / 'ttyACM7'}: No such file or directory"
    assert "python -m serial.tools.list_ports" in e.value.hint
    assert e.value.__cause__ is None and e.value.__suppress_context__


# -- meter packages and flash tools -----------------------------------------------------------


@pytest.mark.parametrize("meter, package", [("joulescope", "joulescope"), ("ppk2", "ppk2-api")])
def test_hil_meter_without_its_package(tmp_path, capsys, monkeypatch, no_compile, data, meter, package):
    """--meter joulescope|ppk2 without the optional package: refused before the build
    (before: after it, when the meter was opened)."""
    real = builtins.__import__

    def no_drivers(name, *args, **kwargs):
        if name.split(".")[0] in ("joulescope", "ppk2_api"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_drivers)
    err = hil_fails(capsys, tmp_path, "--board", "f746zg", "--emulate", "--data", data, "--meter", meter, rc=2,
                    command="power")
    assert f"--meter {meter} needs the Python package {package!r}" in err and f"pip install {package}" in err


def test_hil_flash_without_a_flash_tool(tmp_path, capsys, monkeypatch, no_compile, data):
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    port = tmp_path / "ttyACM0"
    port.touch()
    err = hil_fails(capsys, tmp_path, "--board", "f746zg", "--data", data, "--port", port, "--flash", rc=1)
    assert "no flash tool for nucleo-f746zg is installed (looked for st-flash, openocd, pyocd)" in err
    assert "install one: st-flash:" in err


def test_flash_command_without_its_probe_tool(tmp_path, capsys, monkeypatch, no_compile):
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    rc = main(["flash", str(MLP), "--board", "f746zg", "--probe", "openocd", "-q", "-o", str(tmp_path / "build")])
    err = capsys.readouterr().err
    assert rc == 1 and "tinygen flash: error: openocd is not installed" in err and "Traceback" not in err
    assert not (tmp_path / "build").exists()
