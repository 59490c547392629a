"""The serial link to the QEMU stand-ins: upload speed and command round trips.

    .venv/bin/python benchmarks/serial_link.py [--boards f746zg f446re esp32-c3] [--bytes 32000]
                                               [--repeat 5] [--json out.json]

Builds a small model (examples/models/mlp.py) for each board, boots its stand-in through
tinygen.run.qemu and talks to it through the same pyserial link and protocol client as
a real board (tinygen.hil). An upload is `tg load N` and N raw bytes of the wrong size:
the firmware reads every byte through its upload path (tg_input_receive, the path of
`tg stream N` and `tg audio N`) and drops them, answering how many it discarded, so the
figure is the link's alone. A round trip is one `name` command and its answer.

Printed per board: KB/s of wall time (min / median / max over --repeat uploads), KB/s on
QEMU's own clock (wall time less its waits for a CPU: tinygen.hil.deadline.ProcessClock),
host CPU time QEMU spent per byte (all its threads), round trips per second, and the load
average, since wall figures on a loaded machine measure the machine as much as the link.
16 kHz int16 audio needs 32 KB/s. A benchmark, not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODEL = ROOT / "examples" / "models" / "mlp.py"
BOARDS = ("nucleo-f746zg", "nucleo-f446re", "esp32-c3")
AUDIO_BYTES_PER_S = 32_000       # 16 kHz int16 mono
ROUND_TRIPS = 50


def cpu_seconds(pid: int) -> float:
    """User + system time of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def upload(dev, payload: bytes) -> None:
    """`tg load N` with N not the model's input size: the device reads and drops the bytes."""
    from tinygen.hil.client import DeviceError

    n = len(payload)
    try:
        dev.command(f"tg load {n}", payload)
    except DeviceError as e:
        if f"(discarded {n} bytes)" not in str(e):
            raise
    else:
        raise AssertionError(f"`tg load {n}` was accepted: pick a size other than the model's input")


def measure(board, project: Path, nbytes: int, repeat: int) -> dict:
    from tinygen.hil.client import Device
    from tinygen.hil.deadline import STANDIN
    from tinygen.hil.link import Link
    from tinygen.run.qemu import Emulator

    payload = bytes(range(256)) * (nbytes // 256) + bytes(range(nbytes % 256))
    emu = Emulator(board, project / "firmware-emu.elf")
    wall, own, cpu = [], [], []
    with emu as url, Link.open(url, clock=emu.clock) as link:
        dev = Device(link, 10.0, STANDIN)
        dev.connect()
        for _ in range(repeat):
            t0, c0, u0 = time.perf_counter(), emu.clock.now(), cpu_seconds(emu.proc.pid)
            upload(dev, payload)
            wall.append(nbytes / (time.perf_counter() - t0))
            own.append(nbytes / (emu.clock.now() - c0))
            cpu.append((cpu_seconds(emu.proc.pid) - u0) / nbytes)
        t0 = time.perf_counter()
        for _ in range(ROUND_TRIPS):
            dev.name()
        trips = ROUND_TRIPS / (time.perf_counter() - t0)
        t0, c0 = time.perf_counter(), emu.clock.now()
        link.write(f"tg load {nbytes}%".encode() + payload[:5])
        truncated(dev, nbytes)
        timeout_s = (time.perf_counter() - t0, emu.clock.now() - c0)
    return {"wall KB/s": [round(v / 1e3, 1) for v in wall], "own-clock KB/s": [round(v / 1e3, 1) for v in own],
            "QEMU CPU us/byte": round(statistics.median(cpu) * 1e6, 1), "round trips/s": round(trips),
            "upload timeout s (wall, own clock)": [round(v, 2) for v in timeout_s]}


def truncated(dev, n: int) -> None:
    """Wait for the device to give up an upload of `n` bytes that stopped after 5."""
    from tinygen.hil.client import DeviceError

    try:
        reply = dev.read_reply("tg load", dev.upload_timeout())
    except DeviceError as e:
        if "(discarded 5 bytes)" not in str(e):
            raise
    else:
        raise AssertionError(f"expected the upload to time out after 5 bytes, the device said {reply.lines}")


def spread(values: list[float]) -> str:
    return f"{min(values):g} / {statistics.median(values):g} / {max(values):g}"


def main() -> int:
    from tinygen.board import get_board
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.report import table

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--boards", nargs="+", default=list(BOARDS))
    p.add_argument("--bytes", type=int, default=AUDIO_BYTES_PER_S, help="bytes per upload (default 32000: 1 s of audio)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--json", metavar="FILE")
    args = p.parse_args()

    source = load_source(MODEL)
    graph = compile_source(source)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.boards:
            board = get_board(name)
            project = build(source, graph, board, Path(tmp) / board.name).out_dir
            results[board.name] = {"machine": board.emulator["machine"],
                                   **measure(board, project, args.bytes, args.repeat),
                                   "load average": round(os.getloadavg()[0], 1)}
    rows = [[b, r["machine"], spread(r["wall KB/s"]), spread(r["own-clock KB/s"]), r["QEMU CPU us/byte"],
             r["round trips/s"], "{} / {}".format(*r["upload timeout s (wall, own clock)"]), r["load average"]]
            for b, r in results.items()]
    print(f"uploads of {args.bytes} bytes, min / median / max of {args.repeat}; audio needs "
          f"{AUDIO_BYTES_PER_S / 1e3:g} KB/s; {os.cpu_count()} CPUs")
    print(table(["board", "stand-in", "KB/s wall", "KB/s QEMU's clock", "QEMU CPU us/B", "round trips/s",
                 "timeout s (wall / QEMU's)", "load"], rows, "llrrrrrr"))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
