"""A typed client for the on-device protocol (firmware/runtime/PROTOCOL.md).

    with Link.open("socket://127.0.0.1:4444") as link:
        dev = Device(link)
        dev.connect()                       # resync + name
        info = dev.info()                   # {"model": ..., "counter": "instructions", ...}
        out, count = dev.run(x.tobytes())   # one inference, raw int8 outputs
        dev.upload_input(1, imu.tobytes())  # a model with several inputs: input 1 alone
        dev.invoke(); head = dev.output(0)  # ... and output 0 alone

Every command is read up to its `m-ready`; `e-[...]` lines become a
DeviceError carrying the device's message. The client knows nothing about how
the firmware was built: only the protocol.

Deadlines: each line of an answer may take `timeout` seconds on the link's
clock (tinygen.hil.deadline) plus what the command's known work costs at the
device's Pace: the bytes sent, and the inferences it runs times the counter
units the last inference took (`tg run`, `tg invoke`, `tg layers` and `infer`
report them); before the first count, `timeout` per inference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tinygen.errors import TinygenError
from tinygen.hil.deadline import ANY, DEFAULT_TIMEOUT, Pace
from tinygen.hil.link import READY, TIMEOUT_HINT, Link, LinkError

HEX_CHUNK = 64              # bytes per `db HEX%` line: 128 hex digits, well under TG_CMD_MAX (255)
RESYNC_SLACK = 2.0          # seconds to answer `name%` beyond the device's own upload timeout

_BRACKET = re.compile(r"^(m-[a-z-]+?)-\[(.*)\]$")
_LAP = re.compile(r"^m-lap-(us|instr)-(\d+)$")


class DeviceError(TinygenError):
    """The device answered a command with `e-[...]`."""

    def __init__(self, command: str, message: str):
        super().__init__(f"device rejected `{command}`: {message}")
        self.command = command
        self.device_message = message


class ProtocolError(LinkError):
    """The device's answer does not follow the protocol."""


@dataclass
class Reply:
    command: str
    lines: list[str]

    def value(self, key: str) -> str:
        """The bracketed value of the first `KEY-[value]` line."""
        for line in self.lines:
            m = _BRACKET.match(line)
            if m and m.group(1) == key:
                return m.group(2)
        raise ProtocolError(f"no {key}-[...] line in the answer to `{self.command}`: {self.lines[:6]}",
                            "is the device running a tinygen firmware of the same version?")

    def values(self, key: str) -> list[str]:
        return [m.group(2) for m in map(_BRACKET.match, self.lines) if m and m.group(1) == key]


@dataclass
class Layer:
    index: int
    name: str
    count: int


@dataclass
class InferResult:
    """`infer N W`: the counter difference over N timed runs and the dequantized outputs."""
    runs: int
    unit: str                   # "us" (real boards) or "instr" (stand-ins)
    total: int
    results: list[float] = field(default_factory=list)

    @property
    def per_inference(self) -> float:
        return self.total / self.runs


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ProtocolError(f"bad {what} from the device: {text!r}") from None


def _hex(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ProtocolError(f"bad hex in {what} from the device: {text[:40]!r}") from None


def parse_info(text: str) -> dict:
    """`key=value,...` → dict; integers become int, `a/b` lists of sizes become lists."""
    info: dict = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        if re.fullmatch(r"\d+(/\d+)*", value) and "/" in value:
            info[key] = [int(v) for v in value.split("/")]
        elif re.fullmatch(r"-?\d+", value):
            info[key] = int(value)
        else:
            info[key] = value
    for key in ("inputs", "outputs"):             # one tensor: a list of one size
        if isinstance(info.get(key), int):
            info[key] = [info[key]]
    return info


def describe_laps(info: dict) -> str:
    """What the device's lap lines (timestamp%, infer%) report, from `tg info`, for people."""
    if info.get("lap") == "instr":
        return "laps: m-lap-instr, executed instructions (after tg lap us: m-lap-us, for benchmark runners)"
    if info.get("counter") == "instructions":
        mhz = int(info.get("board_clock_hz", 0)) / 1e6
        return (f"laps: m-lap-us, emulated: executed instructions at the board's {mhz:g} MHz clock "
                "(as if each took one cycle), not measured time")
    return "laps: m-lap-us from " + ("the cycle counter" if info.get("counter") == "cycles" else "the host's clock")


class Device:
    """A tinygen firmware at the other end of a Link. `timeout`: seconds per answer on
    the link's clock beyond the known work; `pace`: what that work costs there
    (tinygen.hil.target picks it for the board, stand-in or host process)."""

    def __init__(self, link: Link, timeout: float = DEFAULT_TIMEOUT, pace: Pace = ANY):
        self.link = link
        self.timeout = timeout
        self.pace = pace
        self.name_: str | None = None
        self.last_count: int | None = None      # counter units of the last whole inference

    # -- plumbing --------------------------------------------------------------------------------
    def budget(self, sent: int = 0, inferences: float = 0, timeout: float | None = None) -> float:
        """Seconds on the link's clock for one answer line: `timeout` (default the
        device's) plus the known work's cost; before any inference was counted, each
        inference may take `timeout` too."""
        slack = self.timeout if timeout is None else timeout
        if self.last_count is None:
            return self.pace.budget(slack * (1 + inferences), sent)
        return self.pace.budget(slack, sent, inferences * self.last_count)

    def command(self, cmd: str, payload: bytes = b"", timeout: float | None = None, inferences: float = 0) -> Reply:
        """Send `cmd%` (+ raw payload) and read the answer up to `m-ready`, which may
        take `timeout` seconds per line plus the time its bytes and `inferences` take."""
        data = cmd.encode("ascii") + b"%" + payload
        self.link.write(data)
        return self.read_reply(cmd, self.budget(len(data), inferences, timeout))

    def read_reply(self, cmd: str, timeout: float | None = None) -> Reply:
        """The answer up to `m-ready`, each line within `timeout` seconds on the link's
        clock (default: the device's timeout)."""
        lines: list[str] = []
        hint = f"{TIMEOUT_HINT}; it is {self.timeout:g} s beyond the known work"
        while True:
            line = self.link.readline(self.timeout if timeout is None else timeout,
                                      awaiting=f"the answer to `{cmd}`", hint=hint)
            if line == READY:
                break
            lines.append(line)
        errors = [line for line in lines if line.startswith("e-")]
        if errors:
            message = errors[0][2:]
            if message.startswith("[") and message.endswith("]"):
                message = message[1:-1]
            raise DeviceError(cmd, message)
        return Reply(cmd, lines)

    def connect(self, booting: bool = False) -> str:
        """Get in step with the device (whatever it was doing) and return its name.
        `booting`: the device was started for this link (a QEMU stand-in, which boots once the
        link connects): its boot lines (m-init-done, m-ready) are awaited first. Otherwise
        `name%` can arrive before the firmware enabled its UART, and QEMU's serial multiplexer
        holds such bytes until the next write: the first resync attempt would time out."""
        if booting:
            self.link.await_line(READY, self.pace.device_timeout + RESYNC_SLACK)
        self.name_ = self.link.resync(timeout=self.pace.device_timeout + RESYNC_SLACK)
        return self.name_

    def upload_timeout(self) -> float:
        """Seconds on the link's clock to wait for the answer to an upload that stopped
        short: the device's own upload timeout, then `timeout`."""
        return self.pace.device_timeout + self.timeout

    # -- EEMBC / MLPerf Tiny commands ------------------------------------------------------------
    def name(self) -> str:
        return self.command("name").value("m-name-dut")

    def profile(self) -> dict:
        reply = self.command("profile")
        return {"profile": reply.value("m-profile"), "model": reply.value("m-model")}

    def timestamp(self) -> tuple[str, int]:
        for line in self.command("timestamp").lines:
            m = _LAP.match(line)
            if m:
                return m.group(1), int(m.group(2))
        raise ProtocolError("no m-lap-* line in the answer to `timestamp`")

    def load_hex(self, data: bytes, chunk: int = HEX_CHUNK) -> None:
        """EEMBC-style input load: `db load N%` then `db HEX%` lines."""
        self.command(f"db load {len(data)}")
        done = False
        for i in range(0, len(data), chunk):
            done = "m-load-done" in self.command("db " + data[i:i + chunk].hex()).lines
        if not done:
            raise ProtocolError(f"the device did not confirm the {len(data)}-byte load with m-load-done")

    def infer(self, runs: int, warmup: int = 0, timeout: float | None = None) -> InferResult:
        """EEMBC `infer N W`: W warm-up runs then N timed runs on the loaded input."""
        reply = self.command(f"infer {runs} {warmup}", timeout=timeout, inferences=runs + warmup)
        laps = [m for m in map(_LAP.match, reply.lines) if m]
        if len(laps) != 2:
            raise ProtocolError(f"`infer` answered {len(laps)} lap lines, expected 2: {reply.lines[:8]}")
        unit = laps[0].group(1)
        results = [float(v) for v in reply.value("m-results").split(",") if v]
        result = InferResult(runs, unit, int(laps[1].group(2)) - int(laps[0].group(2)), results)
        if unit == "instr":         # the counter's own units (laps in us are not: boards count cycles)
            self.last_count = max(int(result.per_inference), 1)
        return result

    def results(self) -> list[float]:
        return [float(v) for v in self.command("results").value("m-results").split(",") if v]

    # -- tinygen extensions ----------------------------------------------------------------------
    def info(self) -> dict:
        return parse_info(self.command("tg info").value("m-tg-info"))

    def lap(self, unit: str | None = None) -> str:
        """`tg lap [us|instr]`: set (or, with None, ask) the unit of the lap lines; returns it.
        Stand-ins count instructions (instr, their default) and give `us` as instructions at
        the real board's clock; real boards and the host only have `us`."""
        reply = self.command("tg lap" if unit is None else f"tg lap {unit}")
        got = reply.value("m-tg-lap")
        if unit is not None and got != unit:
            raise ProtocolError(f"asked for laps in {unit}, the device answered m-tg-lap-[{got}]")
        return got

    def upload(self, data: bytes) -> None:
        """Binary input upload (`tg load N%` + N raw bytes)."""
        if "m-load-done" not in self.command(f"tg load {len(data)}", data).lines:
            raise ProtocolError("the device did not confirm `tg load` with m-load-done")

    def upload_input(self, index: int, data: bytes) -> None:
        """Binary upload of model input `index` alone (`tg load N I%` + N raw bytes); the
        device keeps the other inputs' bytes."""
        if "m-load-done" not in self.command(f"tg load {len(data)} {index}", data).lines:
            raise ProtocolError(f"the device did not confirm `tg load {len(data)} {index}` with m-load-done")

    def out_count(self, reply: Reply) -> tuple[bytes, int]:
        """A reply's m-tg-out and m-tg-count: (raw int8 outputs back to back, counter units)."""
        out, count = _hex(reply.value("m-tg-out"), "m-tg-out"), _int(reply.value("m-tg-count"), "m-tg-count")
        self.last_count = count
        return out, count

    def run(self, data: bytes, timeout: float | None = None) -> tuple[bytes, int]:
        """Upload, one inference, its outputs: (raw int8 outputs back to back, counter units)."""
        return self.out_count(self.command(f"tg run {len(data)}", data, timeout, inferences=1))

    def invoke(self, timeout: float | None = None) -> tuple[bytes, int]:
        return self.out_count(self.command("tg invoke", timeout=timeout, inferences=1))

    def out(self) -> bytes:
        return _hex(self.command("tg out").value("m-tg-out"), "m-tg-out")

    def output(self, index: int) -> bytes:
        """Output `index` of the last inference alone (`tg out I`)."""
        got, _, data = self.command(f"tg out {index}").value("m-tg-output").partition(",")
        if _int(got, "output index") != index:
            raise ProtocolError(f"asked for output {index}, the device sent output {got}")
        return _hex(data, "m-tg-output")

    def dynamic(self) -> tuple[int, list[int]]:
        """`tg dyn`: the last inference's exit and each gate's kept channels (-1: not run)."""
        values = [int(v) for v in self.command("tg dyn").value("m-tg-dyn").split(",")]
        return values[0], values[1:]

    def reset_state(self) -> tuple[int, bool]:
        """`tg reset`: the recurrent layers' state to its initial value (a new sequence starts);
        (the persistent region's bytes, whether any layer's state carries over between inferences)."""
        size, stateful = self.command("tg reset").value("m-tg-reset").split(",")
        return _int(size, "state bytes"), stateful == "1"

    def layers(self, timeout: float | None = None) -> tuple[list[Layer], bytes, int]:
        """One inference layer by layer on the loaded input: per-layer counts, outputs, total."""
        reply = self.command("tg layers", timeout=timeout, inferences=1)
        layers = []
        for value in reply.values("m-tg-layer"):
            index, name, count = value.split(",")
            layers.append(Layer(_int(index, "layer index"), name, _int(count, "layer count")))
        out, total = self.out_count(reply)
        return layers, out, total

    def layer_out(self, index: int, timeout: float | None = None) -> bytes:
        value = self.command(f"tg layer-out {index}", timeout=timeout, inferences=1).value("m-tg-layer-out")
        got, _, data = value.partition(",")
        if _int(got, "layer index") != index:
            raise ProtocolError(f"asked for layer {index}'s output, the device sent layer {got}'s")
        return _hex(data, "m-tg-layer-out")

    def libm_functions(self) -> tuple[list[str], int]:
        """`tg libm`: the C library functions the firmware evaluates (those its kernels call) and
        the most bytes one request carries. DeviceError where the firmware has none."""
        names, _, size = self.command("tg libm").value("m-tg-libm-functions").partition(",")
        return names.split("/"), _int(size, "libm request bytes")

    def libm(self, name: str, values: bytes) -> bytes:
        """`tg libm NAME N` + N raw bytes: the device's C library function `name` on float32
        values (little endian), the results' bytes."""
        got, _, data = self.command(f"tg libm {name} {len(values)}", values).value("m-tg-libm").partition(",")
        out = _hex(data, "m-tg-libm")
        if got != name or len(out) != len(values):
            raise ProtocolError(f"asked for {name} of {len(values)} bytes, the device sent {got} of {len(out)}")
        return out

    def switch(self, k: int | None = None) -> tuple[int, str, int]:
        """Select precision switch k (None: ask for the current one): (k, name, switches)."""
        value = self.command("switch" if k is None else f"switch {k}").value("m-switch")
        parts = value.split(",")
        if len(parts) != 3:
            raise ProtocolError(f"m-switch-[{value}]: expected K,NAME,N")
        got, name, count = _int(parts[0], "switch"), parts[1], _int(parts[2], "switch count")
        if k is not None and got != k:
            raise ProtocolError(f"asked for switch {k}, the device selected {got}")
        return got, name, count

    def exit(self, code: int = 0) -> None:
        """Leave the firmware with a status: a stand-in or the host process exits
        with it, a real board resets. The device answers m-tg-exit-[CODE] and no
        m-ready: it is gone."""
        cmd = f"tg exit {code}"
        self.link.write(cmd.encode("ascii") + b"%")
        while True:
            line = self.link.readline(self.timeout, awaiting=f"the answer to `{cmd}`")
            if line.startswith("e-"):
                self.read_reply(cmd)                  # the rest, up to m-ready
                raise DeviceError(cmd, line[2:].strip("[]"))
            if line.startswith("m-tg-exit-"):
                return


__all__ = ["Device", "DeviceError", "describe_laps", "InferResult", "Layer", "ProtocolError", "Reply", "parse_info"]
