"""`tinygen hil` and `tinygen flash --emulate` end to end: compile, build, run
every sample on the host process or a QEMU stand-in, compare with the reference,
report. The stand-in runs are marked slow."""

from __future__ import annotations

import json
import os
import re
import shutil
from contextlib import contextmanager

import numpy as np
import pytest

from e2e import EXAMPLES, compile_example, example_source
from tinygen.cli import main
from tinygen.hil import session
from tinygen.report.hil import ESTIMATE
from tinygen.ref.interpreter import quantize_input, run

SAMPLES = 20


def write_data(path, name: str, count: int = SAMPLES, seed: int = 0, classes: int = 10, one_hot: bool = False):
    """Float inputs in the model's own layout (calibration-like), labels in y."""
    source = example_source(name)
    rng = np.random.default_rng(seed)
    base = source.default_calibration
    if base is not None:
        x = base[rng.integers(len(base), size=count)] + rng.normal(0, 0.2, (count,) + base.shape[1:])
    else:
        x = rng.standard_normal((count,) + tuple(source.input_shape[1:]))
    y = rng.integers(0, classes, count)
    np.savez(path, x=x.astype(np.float32), y=np.eye(classes)[y] if one_hot else y)
    return x.astype(np.float32), y


def hil(tmp_path, model: str, board: str, *extra: str, data=None, count: int = SAMPLES, command: str = "hil"):
    data = data or tmp_path / "data.npz"
    if not data.exists():
        write_data(data, model, count)
    report = tmp_path / "report.json"
    rc = main([command, str(EXAMPLES / f"{model}.py"), "--board", board, "--data", str(data), "-q",
               "-o", str(tmp_path / "build"), "--json", str(report), *extra])
    return rc, (json.loads(report.read_text()) if report.exists() else None)


def check_standin_report(summary: dict, samples: int) -> None:
    assert summary["samples"] == samples and summary["bit_exact"] == samples, summary["mismatches"][:3]
    lat = summary["latency"]
    assert lat["unit"] == "instructions" and "ms" not in lat
    assert 0 < lat["min"] <= lat["mean"] <= lat["max"]
    assert summary["energy"]["estimate"] == ESTIMATE
    counts = [layer["count"] for layer in summary["layers"]]
    assert all(c > 0 for c in counts) and sum(counts) == summary["layers_total"]
    assert abs(summary["layers_total"] - lat["mean"]) <= 0.05 * lat["mean"]
    regions = {m["region"]: m for m in summary["memory"]}
    assert regions["flash (firmware.elf)"]["used"] > summary["device"]["weights"]
    assert regions["ram (firmware.elf)"]["used"] > summary["device"]["arena"]


def test_hil_cli_host_accuracy_and_report(tmp_path, capsys):
    """On the host process: bit-exact, accuracy equals the reference's own
    agreement with the labels, times in real nanoseconds, one-hot labels."""
    x, y = write_data(tmp_path / "data.npz", "mlp", 24, seed=3, one_hot=True)
    rc, summary = hil(tmp_path, "mlp", "host", "--plot", str(tmp_path / "layers.png"))
    out = capsys.readouterr()
    assert rc == 0, out.err
    source, graph = compile_example("mlp")
    q = quantize_input(graph, source.to_graph_layout(x))
    predictions = np.array([run(graph, xi)[graph.outputs[0]].argmax() for xi in q])
    assert summary["accuracy"] == pytest.approx(float(np.mean(predictions == y)))
    assert summary["bit_exact"] == summary["samples"] == 24
    assert summary["latency"]["unit"] == "ns" and summary["latency"]["ms"]["mean"] > 0
    assert summary["energy"] is None
    assert re.search(r"bit-exact vs reference +24/24", out.out) and "accuracy (labels)" in out.out
    assert (tmp_path / "layers.png").read_bytes()[:4] == b"\x89PNG"


def test_hil_cli_limit_and_separate_labels(tmp_path, capsys):
    x, y = write_data(tmp_path / "data.npz", "mlp", 30, seed=4)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "labels.npy", y)
    rc, summary = hil(tmp_path, "mlp", "host", "--labels", str(tmp_path / "labels.npy"), "--limit", "21",
                      data=tmp_path / "x.npy")
    assert rc == 0, capsys.readouterr().err
    assert summary["samples"] == 21 and summary["accuracy"] is not None


def test_hil_cli_long_run_says_its_estimated_time_first(tmp_path, capsys, monkeypatch):
    """A run expected to take over a minute (a clock that moves 10 s per reading: 20 s a
    sample) says its estimated time once, on stderr, even with -q; the run goes on."""
    ticks = iter(range(0, 100_000, 10))
    monkeypatch.setattr(session, "monotonic", lambda: float(next(ticks)))
    rc, summary = hil(tmp_path, "mlp", "host", count=24)
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert summary["samples"] == 24
    assert out.err.count("estimated time: about") == 1, out.err
    assert "about 8 min for 24 samples (20000 ms each, from the first 1)" in out.err
    assert "estimated time" not in out.out


def test_hil_cli_mismatch_lists_samples_and_fails(tmp_path, capsys, monkeypatch):
    """A device that disagrees with the reference: exit 1 and the first
    mismatching samples named. The disagreement is made on the reference side
    (sample 2 and 5 perturbed); the device is the real host process."""
    from tinygen.hil import session

    calls = {"n": 0}

    def skewed(graph, x, *args, **kw):
        out = run(graph, x, *args, **kw)
        calls["n"] += 1
        if calls["n"] in (3, 6):
            name = graph.outputs[0]
            out[name] = out[name].copy()
            out[name].flat[1] ^= 1
        return out

    monkeypatch.setattr(session, "run", skewed)
    rc, summary = hil(tmp_path, "mlp", "host")
    out = capsys.readouterr()
    assert rc == 1
    assert [m["sample"] for m in summary["mismatches"]] == [2, 5]
    assert "MISMATCH" in out.out and "sample 2, output" in out.out and "[1]" in out.out
    assert "2 of 20 samples differ from the reference" in out.err


def test_hil_cli_no_standin_suggests_esp32_c3(tmp_path, capsys):
    rc, _ = hil(tmp_path, "mlp", "esp32", "--emulate")
    err = capsys.readouterr().err
    assert rc == 2 and "esp32-devkitc has no emulated stand-in" in err and "esp32-c3 --emulate" in err


def test_hil_cli_bad_data(tmp_path, capsys):
    np.savez(tmp_path / "data.npz", x=np.zeros((4, 3), np.float32))
    rc, _ = hil(tmp_path, "mlp", "host")
    err = capsys.readouterr().err
    assert rc == 2 and "data samples have shape [3], the model takes" in err
    np.savez(tmp_path / "other.npz", inputs=np.zeros((4, 3), np.float32))
    rc, _ = hil(tmp_path, "mlp", "host", data=tmp_path / "other.npz")
    assert rc == 2 and "has no array named x" in capsys.readouterr().err


needs_arm = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                               reason="needs qemu-system-arm and arm-none-eabi-gcc (make toolchain)")
needs_riscv = pytest.mark.skipif(shutil.which("qemu-system-riscv32") is None
                                 or shutil.which("riscv64-unknown-elf-gcc") is None,
                                 reason="needs qemu-system-riscv32 and riscv64-unknown-elf-gcc (make toolchain)")


# The one of these runs built with every option at its default: --kernels auto, which measures its
# candidates on the stand-in first (most of a run with a cold cache). The others build the preferred
# kernels: the same hil report (--kernels auto has its own tests, tests/fit/test_autotune*.py).
DEFAULT_BUILD = ("dscnn", "f746zg")


@pytest.mark.slow
@needs_arm
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
@pytest.mark.parametrize("model", ["dscnn", "resnet8"])
def test_hil_cli_standin_cortexm(tmp_path, capsys, board, model):
    kernels = () if (model, board) == DEFAULT_BUILD else ("--kernels", "tinygen")
    rc, summary = hil(tmp_path, model, board, "--emulate", *kernels)
    out = capsys.readouterr()
    assert rc == 0, out.err
    check_standin_report(summary, SAMPLES)
    assert " ms" not in out.out and "instructions" in out.out


ARDUINO_BUILDS = {   # board: (PlatformIO platform, board, upload protocol; `make flash`'s command)
    "nano33ble": ("nordicnrf52", "nano33ble", "sam-ba", "bossac -U -i -e -w -v -R firmware.bin"),
    "portenta-h7": ("ststm32", "portenta_h7_m7", "dfu",
                    "dfu-util --device 2341:035b -a 0 --dfuse-address 0x08040000:leave -D firmware.bin"),
    "nicla-vision": ("ststm32", "nicla_vision", "dfu",
                     "dfu-util --device 2341:035f -a 0 --dfuse-address 0x08040000:leave -D firmware.bin"),
}


@needs_arm
@pytest.mark.parametrize("board", sorted(ARDUINO_BUILDS))
def test_hil_cli_standin_arduino_boards(tmp_path, capsys, board):
    """The Arduino boards (nRF52840 on the M4 stand-in, STM32H747 on the M7's): the mlp built
    for the part (its image linked after the Arduino bootloader) and for the stand-in, run
    there bit-exact; the firmware's flash and RAM are counted against what the board leaves;
    the project flashes through the Arduino bootloader (make flash, platformio.ini)."""
    import configparser
    import subprocess

    from tinygen.board import get_board

    rc, summary = hil(tmp_path, "mlp", board, "--emulate", count=4)
    assert rc == 0, capsys.readouterr().err
    check_standin_report(summary, 4)
    regions = {m["region"]: m for m in summary["memory"]}
    b = get_board(board)
    assert regions["flash (firmware.elf)"]["size"] == b.region("flash")["size"]
    assert regions["ram (firmware.elf)"]["size"] == b.region("ram")["size"]
    assert (tmp_path / "build" / "firmware.elf").is_file(), "the real part's image is built too"
    platform, pio_board, upload, flash = ARDUINO_BUILDS[board]
    ini = configparser.ConfigParser()
    ini.read(tmp_path / "build" / "platformio.ini")
    env = ini[f"env:{board.replace('-', '_')}"]
    assert (env["platform"], env["board"], env["upload_protocol"]) == (platform, pio_board, upload)
    dry = subprocess.run(["make", "-n", "-C", str(tmp_path / "build"), "flash"], capture_output=True, text=True)
    assert flash in dry.stdout, dry.stdout + dry.stderr


@pytest.mark.slow
@needs_riscv
def test_hil_cli_standin_esp32_c3(tmp_path, capsys):
    rc, summary = hil(tmp_path, "dscnn", "esp32-c3", "--emulate")
    assert rc == 0, capsys.readouterr().err
    assert summary["device"]["port"].lower().find("virt") >= 0
    lat = summary["latency"]
    assert summary["bit_exact"] == summary["samples"] == SAMPLES and lat["unit"] == "instructions"


@pytest.fixture(scope="module")
def mlp_f746(tmp_path_factory):
    from tinygen.board import get_board
    from tinygen.compiler import build

    source, graph = compile_example("mlp")
    out = tmp_path_factory.mktemp("flash_emu") / "mlp"
    build(source, graph, get_board("f746zg"), out)
    return out


@needs_arm
def test_flash_cli_emulate_boots_and_answers(mlp_f746, capsys):
    assert main(["flash", "--board", "f746zg", "-o", str(mlp_f746), "--emulate", "-q"]) == 0
    out = capsys.readouterr().out
    assert "tinygen runs mlp" in out and "counting instructions" in out
    # without --serve the stand-in stops with the command: no address that nothing answers at
    assert "serial:" not in out and "socket://" not in out and "--serve keeps it running" in out


def serve_lines(proc, most: int = 8) -> list[str]:
    """`tinygen flash --serve`'s lines up to `serving until Ctrl-C`."""
    lines = []
    while not lines or "serving until Ctrl-C" not in lines[-1]:
        assert len(lines) < most, lines
        lines.append(proc.stdout.readline())
        assert lines[-1], f"flash --serve ended: {lines} {proc.stderr.read()}"
    return lines


@contextmanager
def serving(project, *extra: str):
    """`tinygen flash --emulate --serve EXTRA` in a process started with SIGINT ignored (as a
    test runner's worker or a background job may start it): yields its lines up to `serving`;
    on the way out Ctrl-C must stop it and its QEMU."""
    import signal
    import subprocess
    import sys

    from standin_lib import alive, children
    from tinygen.hil.deadline import wait_exit

    proc = subprocess.Popen([sys.executable, "-m", "tinygen", "flash", "--board", "f746zg", "-o", str(project),
                             "--emulate", "--serve", "-q", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        text = "".join(serve_lines(proc))
        qemu_pids = children(proc.pid)
        yield text
        proc.send_signal(signal.SIGINT)
        assert wait_exit(proc, 10) == 0
        assert qemu_pids and not any(alive(p) for p in qemu_pids)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@needs_arm
def test_flash_cli_emulate_serve_until_ctrl_c(mlp_f746):
    """--serve: an external runner connects (twice) to the printed URL; Ctrl-C
    stops the command and its QEMU."""
    from tinygen.hil.client import Device
    from tinygen.hil.link import Link

    with serving(mlp_f746) as text:
        url = re.search(r"serial: (socket://\S+)", text).group(1)
        for _ in range(2):
            with Link.open(url) as link:
                dev = Device(link)
                assert dev.connect() == "tinygen" and dev.info()["model"] == "mlp"


@needs_arm
def test_flash_cli_emulate_serve_pty_lap_us(mlp_f746):
    """--pty --lap us: the stand-in on a pseudo-terminal that a program opens as a serial
    port (twice), its laps emulated microseconds, marked in profile%; Ctrl-C stops it all."""
    import time

    import serial

    with serving(mlp_f746, "--pty", "--lap", "us") as text:
        assert "laps: m-lap-us, emulated: executed instructions at the board's 216 MHz clock" in text
        path = re.search(r"serial: (/dev/\S+) \(a pseudo-terminal relayed to socket://127\.0\.0\.1:\d+\)",
                         text).group(1)
        for _ in range(2):
            with serial.Serial(path, 115200, timeout=0.1) as port:
                port.write(b"profile%timestamp%")
                got, deadline = b"", time.monotonic() + 10
                while got.count(b"m-ready") < 2 and time.monotonic() < deadline:
                    got += port.read(256)
            lines = got.decode().split("\r\n")
            assert lines[0].startswith("m-profile-[tinygen ") and \
                lines[0].endswith(", emulated: m-lap-us = instructions at 216 MHz]"), lines
            assert lines[1] == "m-model-[mlp]" and re.fullmatch(r"m-lap-us-\d+", lines[3]), lines


@pytest.mark.parametrize("extra, says", [
    (["--pty"], "--pty serves a stand-in on a pseudo-terminal"),
    (["--emulate", "--pty"], "--pty serves a stand-in on a pseudo-terminal"),
    (["--lap", "us"], "--lap sets the unit of a stand-in's lap lines"),
])
def test_flash_cli_pty_and_lap_need_a_standin(tmp_path, capsys, extra, says):
    assert main(["flash", "--board", "f746zg", "-o", str(tmp_path), *extra]) == 2
    assert says in capsys.readouterr().err


def test_hil_cli_real_board_without_device(tmp_path, capsys):
    """The real-board path up to the port: a clear error naming the port, before the build."""
    rc, _ = hil(tmp_path, "mlp", "f746zg", "--port", str(tmp_path / "ttyACM7"))
    err = capsys.readouterr().err
    assert rc == 1 and f"no device on {tmp_path / 'ttyACM7'}" in err and "--port" in err
    assert "python -m serial.tools.list_ports" in err
    assert not (tmp_path / "build").exists(), "the port is checked before the build"


def test_hil_cli_device_running_another_model():
    from tinygen.board import get_board
    from tinygen.errors import TinygenError
    from tinygen.cli.device import check_model

    manifest = {"model": "kws", "model_hash": "aaaa"}
    check_model({"model": "kws", "hash": "aaaa"}, manifest, get_board("f746zg"), "build/kws")
    with pytest.raises(TinygenError, match=r"the device runs model vww \(hash bbbb\), not this build") as err:
        check_model({"model": "vww", "hash": "bbbb"}, manifest, get_board("f746zg"), "build/kws")
    assert "tinygen flash --board nucleo-f746zg -o build/kws" in err.value.hint


def test_hil_cli_timeout_reaches_the_device(tmp_path, monkeypatch):
    """--timeout is the Device's allowance per answer, and the host process is timed on its own
    clock (tg_device's and this process's waits for a CPU left out) where the system reports them."""
    from tinygen.hil import target
    from tinygen.hil.deadline import WALL, ProcessClock, clock_for

    seen = []
    real = target.open_device

    def spy(*args, **kwargs):
        with real(*args, **kwargs) as dev:
            seen.append(dev)
            yield dev

    monkeypatch.setattr(target, "open_device", target.contextmanager(spy))
    rc, summary = hil(tmp_path, "mlp", "host", "--timeout", "7.5")
    assert rc == 0 and summary["bit_exact"] == SAMPLES
    (dev,) = seen
    assert dev.timeout == 7.5 and dev.pace == target.HOST
    want = ProcessClock if clock_for([os.getpid()], "me") is not WALL else type(WALL)
    assert type(dev.link.clock) is want


@pytest.mark.parametrize("board, emulate", [("host", ()), pytest.param("f746zg", ("--emulate",), marks=pytest.mark.slow)])
def test_hil_cli_meter_fake_end_to_end(tmp_path, capsys, monkeypatch, board, emulate):
    """`tinygen hil --meter` through the whole path with a fake meter standing in
    for the driver: the firmware frames each timed run on the timestamp pin
    (2 edges per run, counted by the runtime), the fake's trace is cut into
    inferences with the known energy, the report and the plot carry it."""
    from energy_fakes import FakeMeter, window_energy
    from tinygen.energy import drivers as meter

    runs = 7
    made = []
    monkeypatch.setitem(meter.METERS, "joulescope", lambda port, supply_v: made.append(FakeMeter(runs, supply_v))
                        or made[-1])
    plot = tmp_path / "current.png"
    rc, summary = hil(tmp_path, "mlp", board, *emulate, "--meter", "joulescope", "--meter-runs", str(runs),
                      "--meter-plot", str(plot), count=3, command="power")
    out = capsys.readouterr()
    assert rc == 0, out.err
    e = summary["energy_measured"]
    assert e["measured"] and e["meter"] == "fake" and e["runs"] == runs and e["inferences"] == runs
    assert e["pin_edges"] == 2 * runs and not e["flags"]
    assert e["energy_j"]["mean"] == pytest.approx(window_energy())
    assert e["idle_power_w"] == pytest.approx(0.005 * 3.3)
    assert made[0].calls == ["start", "stop", "close"]
    assert "energy per inference (measured, fake)" in out.out and "idle power between inferences" in out.out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "plot skipped" in out.err, "without matplotlib the plot is skipped with the reason"
    else:
        assert plot.stat().st_size > 1000


def test_hil_cli_meter_needs_a_timestamp_pin(tmp_path, capsys):
    write_data(tmp_path / "data.npz", "mlp", 2)
    rc = main(["power", str(EXAMPLES / "mlp.py"), "--board", "esp32-s3-eye", "--data", str(tmp_path / "data.npz"),
               "--meter", "ppk2", "-q", "-o", str(tmp_path / "b"), "--port", "/dev/null"])
    assert rc != 0
    assert "names no timestamp pin" in capsys.readouterr().err


@pytest.mark.slow
def test_hil_cli_standin_cycles_estimate(tmp_path, capsys):
    """--cycles on the M4 stand-in: per-layer instructions from the log agree with
    the device's counter (to its 40-instruction steps plus the counter call's own
    instructions, which the device's reading includes), estimates are labelled."""
    rc, summary = hil(tmp_path, "mlp", "f446re", "--emulate", "--cycles", count=2, command="power")
    out = capsys.readouterr()
    assert rc == 0, out.err
    est = summary["cycles_estimate"]
    assert est["label"].startswith("estimate") and "Cortex-M4" in est["model"]
    for row in est["layers"]:
        assert abs(row["instructions"] - row["device_count"]) <= 80
        assert row["cycles"] > 0.5 * row["instructions"] and row["ms"] > 0 and row["energy_j"] > 0
    assert "ESTIMATED cycles" in out.out and "instructions (exact)" in out.out


def test_hil_cli_cycles_needs_a_standin(tmp_path, capsys):
    write_data(tmp_path / "data.npz", "mlp", 2)
    rc = main(["power", str(EXAMPLES / "mlp.py"), "--board", "host", "--data", str(tmp_path / "data.npz"),
               "--cycles", "-q", "-o", str(tmp_path / "b")])
    assert rc != 0 and "--cycles estimates cycles on a stand-in" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["power", "hil"])
def test_hil_cli_meter_without_pin_channel_uses_the_laps(tmp_path, capsys, monkeypatch, command):
    """A meter that records no digital input (the LPM01A): the run is framed by the
    device's own m-lap-us laps (the host's here), mean only, and says so. `tinygen hil --meter`,
    the spelling before `tinygen power`, still works for one release, with a note."""
    from energy_fakes import RATE, FakeMeter
    from tinygen.energy import drivers as meter
    from tinygen.energy.trace import Trace

    class NoPin(FakeMeter):
        def stop(self):
            return Trace(RATE, np.full(RATE * 5, 0.020), self.supply_v, None, meter="nopin")

    runs = 3000
    monkeypatch.setitem(meter.METERS, "lpm01a", lambda port, supply_v: NoPin(runs, supply_v))
    rc, summary = hil(tmp_path, "mlp", "host", "--meter", "lpm01a", "--meter-runs", str(runs), count=2,
                      command=command)
    err = capsys.readouterr().err
    assert rc == 0, err
    note = "note: `tinygen hil --meter` is now `tinygen power` (same options); this spelling goes in the next release"
    assert (note in err.splitlines()) == (command == "hil"), err
    e = summary["energy_measured"]
    samples = round(e["lap_seconds"] * RATE)
    assert samples >= 1, "the host's 3000 runs last at least one meter sample"
    assert e["energy_j"]["mean"] == pytest.approx(0.020 * 3.3 * samples / RATE / runs)
    assert e["energy_j"]["min"] == e["energy_j"]["max"] == e["energy_j"]["mean"]
    assert any("min = max = mean" in f for f in e["flags"]) and e["pin_edges"] == 2 * runs


@pytest.mark.slow
def test_build_energy_runner_boots_in_eembc_framing(tmp_path, capsys):
    """tinygen build --energy-runner: the stand-in boots with the pin in EEMBC framing."""
    from tinygen.board import for_energy_runner, get_board
    from tinygen.energy.run import pin
    from tinygen.hil.target import open_device

    out = tmp_path / "runner"
    assert main(["build", str(EXAMPLES / "mlp.py"), "--board", "f746zg", "--energy-runner", "-q", "-o", str(out)]) == 0
    assert "#define TG_BOARD_BAUD 9600u" in (out / "tg_board.h").read_text()
    with open_device(for_energy_runner(get_board("f746zg")), out, emulate=True) as dev:
        assert pin(dev)[0] == "eembc"
