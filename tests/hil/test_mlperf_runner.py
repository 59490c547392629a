"""The MLPerf Tiny runner (mlcommons/tiny benchmark/runner) against tinygen firmware on
the f746zg stand-in, through a pseudo-terminal as the runner opens a board's port.

The runner's command sequence is re-enacted here, written from reading the runner
(device_under_test.py, serial_device.py, script.py), not copied: `name%`, `profile%`,
`db load N%` and `db HEX%` in 31-byte chunks, `infer N W%`, each answer read up to the
line containing m-ready, parsed with the runner's patterns. The real runner runs too
(on a data set written by `tinygen mlperf dataset`) when
MLPERF_TINY_RUNNER names its benchmark/runner folder or the unmodified copy is beside the
checkout (../shared/third_party/mlperf-tiny-runner).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from mlperf_models import mlperf_model
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.client import Device
from tinygen.hil.link import Link
from tinygen.hil.mlperf_dataset import read_dataset
from tinygen.hil.pty import PtyBridge
from tinygen.hil.session import as_millis, result_millis, sample_inputs
from tinygen.passes import CompileOptions
from tinygen.run.qemu import Emulator

ROOT = Path(__file__).resolve().parents[2]
BOARD = get_board("f746zg")
CHUNK = 31              # bytes per `db HEX%`: the runner's, without a power manager
SAMPLES = 6
# the runner's patterns (device_under_test.py, script.py)
NAME = re.compile(r"^m-(name)-dut-\[([^]]+)]$")
PROFILE = re.compile(r"^m-(model|profile)-\[([^]]+)]$")
RESULTS = re.compile(r"^m-results-\[([^]]+)\]$")
LAP_US = re.compile(r"^m-lap-us-([0-9]+)$")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                 reason="needs qemu-system-arm and arm-none-eabi-gcc (make toolchain)")]


@pytest.fixture(scope="module")
def kws(tmp_path_factory):
    """The KWS reference model built for the F746ZG, with no --model-id."""
    source = load_source(mlperf_model("kws_dscnn"))
    graph = compile_source(source, None, CompileOptions(features=BOARD.isa_features))
    result = build(source, graph, BOARD, tmp_path_factory.mktemp("mlperf") / "kws")
    inputs = sample_inputs(source, graph, SAMPLES, seed=14)
    return source, graph, result, inputs


@contextmanager
def standin_pty(project: Path):
    """The stand-in running the project's firmware, served on a pseudo-terminal, its boot
    lines read (as `tinygen flash --serve` and the launcher do): the runner takes every line
    up to an m-ready for the answer to its command."""
    with Emulator(BOARD, project / "firmware-emu.elf") as url, PtyBridge(url) as path:
        with Link.open(path) as link:
            assert Device(link).connect() == "tinygen"
        yield path


class RunnerPort:
    """The device as the runner sees it: serial.Serial(path, 115200, timeout=0.1); a command
    is its text and `%`; its answer every line (\\r and \\0 dropped) up to the first one that
    contains m-ready."""

    def __init__(self, path: str):
        import serial

        self.port = serial.Serial(path, 115200, timeout=0.1)
        self.buf = b""

    def close(self) -> None:
        self.port.close()

    def line(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            assert time.monotonic() < deadline, f"no line within {timeout} s; partial: {self.buf[-100:]!r}"
            self.buf += self.port.read(4096)
        raw, self.buf = self.buf.split(b"\n", 1)
        return raw.replace(b"\r", b"").replace(b"\0", b"").decode()

    def command(self, text: str, timeout: float = 30.0) -> list[str]:
        self.port.write((text + "%").encode())
        lines = []
        while not lines or "m-ready" not in lines[-1]:
            lines.append(self.line(timeout))
        return lines

    def identify(self) -> dict[str, str]:
        """name% and profile%, matched as the runner matches them."""
        found = {}
        for text, pattern in (("name", NAME), ("profile", PROFILE)):
            for line in self.command(text):
                m = pattern.match(line)
                if m:
                    found[m.group(1)] = m.group(2)
        return found

    def load(self, data: bytes) -> list[list[str]]:
        """The runner's download: db load N, then db HEX with CHUNK bytes each."""
        replies = [self.command(f"db load {len(data)}")]
        for i in range(0, len(data), CHUNK):
            replies.append(self.command("db " + data[i:i + CHUNK].hex()))
        return replies

    def infer(self, runs: int, warmups: int) -> dict:
        """infer N W, its answer gathered as the runner gathers it."""
        got: dict = {"lines": self.command(f"infer {runs} {warmups}")}
        for line in got["lines"]:
            m = RESULTS.match(line)
            if m:
                got["results"] = [float(v) for v in m.group(1).split(",") if v.strip()]
            m = LAP_US.match(line)
            if m:
                got["end_time" if "start_time" in got else "start_time"] = int(m.group(1))
        if "start_time" in got and "end_time" in got:
            got["elapsed_time"] = got["end_time"] - got["start_time"]
        return got


def value(lines: list[str], prefix: str) -> str:
    (line,) = [line for line in lines if line.startswith(prefix + "[")]
    return line[len(prefix) + 1:-1]


def prepared(path: str) -> RunnerPort:
    """A port after what tinygen.hil.mlperf_runner does before the runner starts: laps in
    emulated microseconds."""
    port = RunnerPort(path)
    assert port.command("tg lap us") == ["m-tg-lap-[us]", "m-ready"]
    return port


def test_runner_sequence_identifies_kws01_emulated_f746zg(kws):
    _, _, result, _ = kws
    mhz = BOARD.clock_hz // 1_000_000
    with standin_pty(result.out_dir) as path:
        for attempt in range(2):           # the runner opens the port more than once
            port = prepared(path) if attempt else RunnerPort(path)
            try:
                found = port.identify()
            finally:
                port.close()
            assert found["name"] == "tinygen" and found["model"] == "kws01"      # by sha256, no flag
            unit = "m-lap-us = instructions at" if attempt else "m-lap-instr = executed instructions"
            assert found["profile"].startswith(f"tinygen {result.manifest['tinygen_version']}, emulated: {unit}")
            if attempt:
                assert found["profile"].endswith(f"at {mhz} MHz")


def test_runner_sequence_accuracy_kws_f746zg(kws):
    """Accuracy mode: download, infer 1 0 per sample; the results equal the numpy reference."""
    _, graph, result, inputs = kws
    nbytes = inputs[0].nbytes
    with standin_pty(result.out_dir) as path:
        port = prepared(path)
        try:
            for i, x in enumerate(inputs):
                replies = port.load(np.ascontiguousarray(x, dtype=np.int8).tobytes())
                assert f"m-[Expecting {nbytes} bytes]" in replies[0]
                assert len(replies) == 1 + -(-nbytes // CHUNK) and "m-load-done" in replies[-1]
                assert not [line for r in replies for line in r if line.startswith("e-")], replies
                got = port.infer(1, 0)
                assert np.array_equal(as_millis(got["results"]), result_millis(graph, x[None])), \
                    f"sample {i}: {got['lines']}"
                assert got["elapsed_time"] > 0
        finally:
            port.close()


def test_runner_sequence_performance_kws_f746zg(kws):
    """Performance mode (tests_performance.yaml's infer 20 5 and infer 70 10): the lap
    difference is the instructions of the runs at the board's clock, which tg counts confirm."""
    _, graph, result, inputs = kws
    x = np.ascontiguousarray(inputs[0], dtype=np.int8)
    hz = BOARD.clock_hz
    with standin_pty(result.out_dir) as path:
        port = prepared(path)
        try:
            port.load(x.tobytes())
            invoke = int(value(port.command("tg invoke"), "m-tg-count-"))        # instructions of one invoke
            for runs, warmups in ((20, 5), (70, 10)):
                got = port.infer(runs, warmups)
                assert np.array_equal(as_millis(got["results"]), result_millis(graph, x[None]))
                assert port.command("tg lap instr") == ["m-tg-lap-[instr]", "m-ready"]
                laps = [int(line.rsplit("-", 1)[1]) for line in port.command(f"infer {runs} {warmups}")
                        if line.startswith("m-lap-instr-")]
                assert port.command("tg lap us") == ["m-tg-lap-[us]", "m-ready"]
                instructions = laps[1] - laps[0]
                # one lap is exact to the counter's 40-instruction step: both windows are the same runs
                assert abs(got["elapsed_time"] - instructions * 1e6 / hz) <= 1 + 2 * 40 * 1e6 / hz, \
                    (got["elapsed_time"], instructions)
                # each run is the invoke plus copying the input buffer into the model
                per_run = instructions / runs - invoke
                assert 0 < per_run <= 8 * x.nbytes, (instructions, invoke)
                print(f"infer {runs} {warmups}: m-lap-us difference {got['elapsed_time']} us = {instructions} "
                      f"instructions at {hz / 1e6:g} MHz; tg invoke {invoke} + {per_run:.0f} per run; "
                      f"the runner's throughput {runs / (got['elapsed_time'] / 1e6):.3f} inf./s")
        finally:
            port.close()


def test_standin_laps_and_infer_arguments_f746zg(kws):
    """The stand-in's default stays m-lap-instr (tinygen's harness), tg info says so;
    infer's numbers are checked as the protocol says."""
    _, _, result, _ = kws
    with standin_pty(result.out_dir) as path:
        port = RunnerPort(path)
        try:
            info = value(port.command("tg info"), "m-tg-info-")
            fields = dict(kv.split("=", 1) for kv in info.split(","))
            assert fields["lap"] == "instr" and fields["counter"] == "instructions"
            assert fields["board_clock_hz"] == str(BOARD.clock_hz) and fields["id"] == "kws01"
            assert re.fullmatch(r"m-lap-instr-\d+", port.command("timestamp")[0])
            assert port.command("tg lap") == ["m-tg-lap-[instr]", "m-ready"]
            assert port.command("tg lap us") == ["m-tg-lap-[us]", "m-ready"]
            assert LAP_US.match(port.command("timestamp")[0])
            for text, error in (("infer abc", "e-[bad number: abc]"),
                                ("infer 99999999999", "e-[bad number: 99999999999]"),
                                ("infer 1 abc", "e-[bad number: abc]"),
                                ("infer 0", "e-[Inference iterations must be >0]"),
                                ("tg lap cycles", "e-[usage: tg lap [us|instr]]")):
                assert port.command(text) == [error, "m-ready"], text
        finally:
            port.close()


# -- the real runner, when there is one ------------------------------------------------------------

SHARED_RUNNER = ROOT.parent / "shared" / "third_party" / "mlperf-tiny-runner"    # the unmodified copy
RUNNER = os.environ.get("MLPERF_TINY_RUNNER") or (str(SHARED_RUNNER) if (SHARED_RUNNER / "main.py").is_file() else None)


def write_dataset(folder: Path, project: Path, graph, inputs: np.ndarray, classes: int) -> float:
    """The runner's data set, written by `tinygen mlperf dataset` from an .npz
    of the inputs as floats (dequantized: they quantize back to themselves) and labels: the
    reference's predictions, except the last samples', which take the classes never predicted
    (the runner's AUC needs every class). Returns the Top-1 the runner must report."""
    predictions = [int(np.argmax(result_millis(graph, x[None]))) for x in inputs]
    labels = list(predictions)
    for i, c in enumerate(c for c in range(classes) if c not in predictions):
        labels[-1 - i] = c
    q = graph.tensor(graph.inputs[0]).qparams
    x = (inputs.astype(np.float32) - np.float32(q.zero_point[0])) * np.float32(q.scale[0])
    np.savez(folder.parent / "test.npz", x=x, y=np.asarray(labels))
    proc = subprocess.run([sys.executable, "-m", "tinygen", "mlperf", "dataset", "--project", str(project),
                           "--data", str(folder.parent / "test.npz"), "--out", str(folder), "--runner", RUNNER],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
    assert proc.returncode == 0, proc.stderr
    for i, row in enumerate(read_dataset(folder / "kws01")):          # the bytes the runner will send
        assert row["data"] == np.ascontiguousarray(inputs[i], dtype=np.int8).tobytes()
    return 100.0 * float(np.mean(np.asarray(predictions) == np.asarray(labels)))


def run_runner(path: str, workdir: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "tinygen", "mlperf", "run", "--runner", RUNNER, "--port", path,
                           "--workdir", str(workdir), "--", *args], capture_output=True, text=True, env=env,
                          timeout=600)
    print(proc.stdout[-3000:], proc.stderr[-3000:])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.skipif(RUNNER is None, reason=f"MLPERF_TINY_RUNNER is not set and {SHARED_RUNNER} is absent: point "
                                           "it at a mlcommons/tiny checkout's benchmark/runner folder to run the "
                                           "real runner")
def test_real_runner_accuracy_and_performance_kws_f746zg(kws, tmp_path):
    source, graph, result, _ = kws
    classes = int(np.prod(graph.tensor(graph.outputs[0]).shape))
    inputs = sample_inputs(source, graph, 2 * classes, seed=5)
    top1 = write_dataset(tmp_path / "data", result.out_dir, graph, inputs, classes)
    with standin_pty(result.out_dir) as path:
        out = run_runner(path, tmp_path / "work", "--mode", "a", "--dataset_path", str(tmp_path / "data"))
        assert float(re.search(r"Top 1% = ([\d.]+)", out).group(1)) == pytest.approx(top1, abs=0.05)
        assert re.search(r"AUC = [\d.]+", out)
        out = run_runner(path, tmp_path / "work", "--mode", "p", "--dataset_path", str(tmp_path / "data"))
    throughputs = [float(v) for v in re.findall(r"Throughput: ([\d.]+) inf\./sec\.", out)]
    assert len(throughputs) == 5, out[-2000:]
    # the stand-in's emulated throughput: the board's clock over one run's instructions
    with Emulator(BOARD, result.out_dir / "firmware-emu.elf") as url:
        with Link.open(url) as link:
            dev = Device(link)
            dev.connect()
            dev.load_hex(np.ascontiguousarray(inputs[4], dtype=np.int8).tobytes())   # the 5th window's file
            per_run = dev.infer(70, 10).total / 70
    assert throughputs[-1] == pytest.approx(BOARD.clock_hz / per_run, rel=1e-3)
    # the runner's verdict also counts host seconds: a stand-in may finish the loop sooner
    assert "Median throughput is" in out or "ERROR 2 - loop exited before 10 seconds elapsed" in out
