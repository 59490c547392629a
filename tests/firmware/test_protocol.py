"""The on-device protocol (firmware/runtime/PROTOCOL.md) on the host's tg_device:
the runtime and the stdio port built by `tinygen build --board host`, driven
over pipes. Every command, bit-exactness against the numpy reference, and
robustness to malformed input (the device must answer and keep serving). The
robustness tests (malformed commands, random bytes, truncated and wrong-size
uploads) also run on the QEMU stand-ins of the Cortex-M55 and Cortex-M33 boards
(mps3-an547, mps2-an505), over their serial sockets.
"""

from __future__ import annotations

import random
import time

import numpy as np
import pytest

from _protocol import PipeDevice, booted, booted_standin, field, layer_bytes, out_bytes, results_text, tg_run
from e2e import build_host, compile_example, random_inputs
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.compiler import build, compile_source
from tinygen.passes import CompileOptions

MODEL = "mlp"
RUNS = 24          # inputs checked bit for bit through `tg run`
HEX_CHUNK = 100    # bytes per `db HEX%` command (at most 126 fit TG_CMD_MAX)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    source, graph = compile_example(MODEL)
    out = tmp_path_factory.mktemp("proto") / MODEL
    host = build_host(source, graph, out)
    inputs = random_inputs(source, graph, RUNS, seed=21)
    return graph, host, out, inputs


@pytest.fixture
def device(built):
    with booted(built[2] / "tg_device") as client:
        yield client


# the robustness tests' targets: the host's tg_device, and the new cores' stand-ins (the firmware
# built for the board with its own kernels)
STANDINS = ("stm32n6570-dk", "b-u585i-iot02a")


@pytest.fixture(scope="module")
def standin_builds(built, tmp_path_factory):
    graph, host, out, inputs = built
    source, _ = compile_example(MODEL)
    found = {}
    for name in STANDINS:
        board = get_board(name)
        g = compile_source(source, options=CompileOptions(features=board.isa_features))
        found[name] = build(source, g, board, tmp_path_factory.mktemp(name) / MODEL).out_dir / "firmware-emu.elf"
    return found


@pytest.fixture(params=("host",) + tuple(pytest.param(n, marks=needs_qemu) for n in STANDINS))
def any_device(request, built):
    """The host's tg_device, or a stand-in's firmware, past its boot lines."""
    if request.param == "host":
        with booted(built[2] / "tg_device") as client:
            yield client
        return
    elf = request.getfixturevalue("standin_builds")[request.param]
    with booted_standin(get_board(request.param), elf) as client:
        yield client


def info(client) -> dict[str, str]:
    (line,) = client.command("tg info")
    return dict(kv.split("=", 1) for kv in field(line, "m-tg-info-").split(","))


def db_load(client, data: bytes) -> None:
    assert client.command(f"db load {len(data)}") == [f"m-[Expecting {len(data)} bytes]"]
    for i in range(0, len(data), HEX_CHUNK):
        reply = client.command("db " + data[i:i + HEX_CHUNK].hex())
        assert reply == (["m-load-done"] if i + HEX_CHUNK >= len(data) else [])


def test_boot_name_profile_help_host(device, built):
    graph, host, _, _ = built
    assert device.command("name") == ["m-name-dut-[tinygen]"]
    # the host is no stand-in: its profile is not marked emulated; the model id is the model's name
    assert host.manifest["model_id"] == host.manifest["model"] == MODEL
    assert device.command("profile") == [f"m-profile-[tinygen {host.manifest['tinygen_version']}]",
                                         f"m-model-[{host.manifest['model_id']}]"]
    helps = [field(line, "m-help-") for line in device.command("help")]
    for cmd in ("name", "profile", "help", "timestamp", "db load N", "infer", "results", "tg info",
                "tg load N", "tg run N", "tg invoke", "tg out", "tg layers", "tg layer-out I",
                "switch [K]", "tg lap [us|instr]", "tg audio N", "tg stream start", "tg exit CODE"):
        assert any(h.startswith(cmd) for h in helps), f"help does not list {cmd!r}: {helps}"


def test_info_host(device, built):
    _, host, _, _ = built
    m = host.manifest
    got = info(device)
    in_sizes = [int(np.prod(p["shape"])) for p in m["inputs"]]
    assert got == {
        "version": m["tinygen_version"], "model": m["model"], "id": m["model_id"], "hash": m["model_hash"],
        "port": "host stdio", "counter": "ns", "clock_hz": "0", "lap": "us", "board_clock_hz": "0",
        "arena": str(m["arena_size"]), "weights": str(m["weight_bytes"]),
        "layers": str(len(m["layers"])), "inputs": "/".join(map(str, in_sizes)),
        "outputs": "/".join(str(int(np.prod(p["shape"]))) for p in m["outputs"]),
        "max_upload": str(sum(in_sizes)), "cmd_max": "255", "switches": "1", "switch": "0", "frontend": "none",
    }


def test_tg_run_bit_exact_host(device, built):
    graph, _, _, inputs = built
    outs = set()
    for i, x in enumerate(inputs):
        out, count = tg_run(device, x)
        assert out == out_bytes(graph, x), f"input {i}: tg run differs from the reference"
        assert count > 0
        outs.add(out)
    assert len(outs) > 1, "every input gave the same output: the comparison has no teeth"


def test_load_invoke_out_host(device, built):
    graph, _, _, inputs = built
    x = inputs[0]
    data = x.astype(np.int8).tobytes()
    assert device.command(f"tg load {len(data)}", data) == ["m-load-done"]
    out, count = device.command("tg invoke")
    assert bytes.fromhex(field(out, "m-tg-out-")) == out_bytes(graph, x)
    assert int(field(count, "m-tg-count-")) > 0
    assert device.command("tg out") == [out]
    # a % inside the raw bytes is data, not a command end
    y = np.full_like(x, ord("%"))
    assert device.command(f"tg load {len(data)}", y.astype(np.int8).tobytes()) == ["m-load-done"]
    out, _ = device.command("tg invoke")
    assert bytes.fromhex(field(out, "m-tg-out-")) == out_bytes(graph, y)


def test_db_infer_results_host(device, built):
    graph, _, _, inputs = built
    x = inputs[1]
    data = x.astype(np.int8).tobytes()
    db_load(device, data)
    printed = device.command("db print")
    assert all(line.startswith("m-buffer-") for line in printed)
    assert [len(line[len("m-buffer-"):].split("-")) for line in printed[:-1]] == [8] * (len(printed) - 1)
    assert bytes.fromhex("".join(line[len("m-buffer-"):].replace("-", "") for line in printed)) == data

    lines = device.command("infer 3 2")
    assert len(lines) == 7
    assert lines[:3] == ["m-warmup-start-2", "m-warmup-done", "m-infer-start-3"]
    assert lines[5] == "m-infer-done"
    laps = [int(line[len("m-lap-us-"):]) for line in lines[3:5] if line.startswith("m-lap-us-")]
    assert len(laps) == 2 and laps[1] >= laps[0]
    assert lines[6] == f"m-results-[{results_text(graph, x)}]"
    assert device.command("results") == [lines[6]]
    # the EEMBC defaults: one run after ten warm-ups
    assert device.command("infer")[:3] == ["m-warmup-start-10", "m-warmup-done", "m-infer-start-1"]


def test_results_three_decimals_host(device, built):
    """Every output value dequantized, over many inputs, digit for digit."""
    graph, _, _, inputs = built
    for x in inputs[:8]:
        tg_run(device, x)
        assert device.command("results") == [f"m-results-[{results_text(graph, x)}]"]


def test_layers_and_layer_out_host(device, built):
    graph, host, _, inputs = built
    x = inputs[2]
    data = x.astype(np.int8).tobytes()
    device.command(f"tg load {len(data)}", data)
    lines = device.command("tg layers")
    names = host.layers
    per_layer = [field(line, "m-tg-layer-").split(",") for line in lines[:len(names)]]
    assert [(int(i), name) for i, name, _ in per_layer] == list(enumerate(names))
    counts = [int(c) for _, _, c in per_layer]
    assert bytes.fromhex(field(lines[len(names)], "m-tg-out-")) == out_bytes(graph, x)
    assert int(field(lines[len(names) + 1], "m-tg-count-")) == sum(counts)
    assert len(lines) == len(names) + 2

    expected = layer_bytes(graph, x)
    for i, ref in enumerate(expected):
        (line,) = device.command(f"tg layer-out {i}")
        index, hexed = field(line, "m-tg-layer-out-").split(",")
        assert int(index) == i and bytes.fromhex(hexed) == ref, f"layer {i} ({names[i]}) differs"
    # a partial run leaves no valid outputs
    assert device.command("tg out") == ["e-[no outputs: run an inference first]"]
    assert device.command("results") == ["e-[no outputs: run an inference first]"]
    assert device.command(f"tg layer-out {len(names)}") == [
        f"e-[layer {len(names)} out of range: the model has {len(names)} layers]"]


def test_timestamp_host(device):
    laps = []
    for _ in range(3):
        (line,) = device.command("timestamp")
        assert line.startswith("m-lap-us-")
        laps.append(int(line[len("m-lap-us-"):]))
    assert laps == sorted(laps)


def test_lap_unit_host(device):
    """The host counts nanoseconds: its laps are microseconds, and stay so."""
    assert device.command("tg lap") == ["m-tg-lap-[us]"]
    assert device.command("tg lap us") == ["m-tg-lap-[us]"]
    assert device.command("tg lap instr") == [
        "e-[tg lap instr: only stand-ins count instructions; this port's laps are m-lap-us]"]
    (line,) = device.command("timestamp")
    assert line.startswith("m-lap-us-")


def test_timestamp_pin_framing_host(device, built):
    """`tg pin`: each timed run framed by a falling and a rising edge (warm-ups not),
    or EEMBC's two pulses around the runs and one per `timestamp`, or (off, after
    boot) no edge at all; laps in every mode."""
    _, _, _, inputs = built
    db_load(device, inputs[0].astype(np.int8).tobytes())

    def edges() -> int:
        (line,) = device.command("tg pin")
        assert line.startswith("m-tg-pin-[") and ",edges=" in line
        return int(line[:-1].split("edges=")[1])

    assert device.command("tg pin each")[0].startswith("m-tg-pin-[each,edges=")
    before = edges()
    lines = device.command("infer 3 2")
    assert sum(line.startswith("m-lap-us-") for line in lines) == 2
    assert edges() - before == 2 * 3
    assert device.command("tg pin eembc")[0].startswith("m-tg-pin-[eembc,")
    before = edges()
    device.command("infer 3 2")
    assert edges() - before == 2 * 2                 # a pulse before and after the timed runs
    device.command("timestamp")
    assert edges() - before == 2 * 3
    assert device.command("tg pin blink") == ["e-[usage: tg pin [off|each|eembc]]"]
    assert device.command("tg pin off")[0].startswith("m-tg-pin-[off,")
    before = edges()
    device.command("infer 3 2")
    device.command("timestamp")
    assert edges() == before, "performance mode drives no pin"


def test_exit_code_host(built):
    dev = PipeDevice(built[2] / "tg_device")
    try:
        dev.client.read_reply()
        assert dev.client.command("tg exit 256") == ["e-[exit code must be 0..255]"]
        dev.client.send(b"tg exit 7%")
        assert dev.client.read_line() == "m-tg-exit-[7]"
        assert dev.proc.wait(timeout=10) == 7
    finally:
        dev.close()


def test_errors_before_any_input(any_device, built):
    """A fresh device: nothing loaded, nothing run."""
    n = sum(int(np.prod(p["shape"])) for p in built[1].manifest["inputs"])
    assert any_device.command("db 0011") == ["e-[db: no buffer, send db load N first]"]
    assert any_device.command("infer 1 0") == [f"e-[input has 0 bytes, model takes {n}]"]
    assert any_device.command("tg invoke") == [f"e-[input has 0 bytes, model takes {n}]"]
    assert any_device.command("tg layers") == [f"e-[input has 0 bytes, model takes {n}]"]
    assert any_device.command("tg layer-out 0") == [f"e-[input has 0 bytes, model takes {n}]"]
    assert any_device.command("tg out") == ["e-[no outputs: run an inference first]"]
    assert any_device.command("db print") == []


def test_malformed_commands(any_device, built):
    graph, _, _, inputs = built
    n = len(inputs[0].tobytes())
    cases = {
        "": "e-[empty command]",
        "   \r\n ": "e-[empty command]",
        "frobnicate now": "e-[Unknown command: frobnicate]",
        "x" * 40: "e-[Unknown command: " + "x" * 32 + "]",
        "na\x00me\x81": "e-[Unknown command: na?me?]",
        "tg": "e-[usage: tg SUBCOMMAND (help lists them)]",
        "tg dance": "e-[Unknown tg command: dance]",
        "tg info extra": "e-[usage: tg info]",
        "tg load": "e-[usage: tg load N [I]]",
        "tg load 1 2 3": "e-[usage: tg load N [I]]",
        "tg out 0 1": "e-[usage: tg out [I]]",
        "tg out 1": "e-[output 1 out of range: the model has 1 output]",
        "tg out x": "e-[bad number: x]",
        "tg run 1 2": "e-[usage: tg run N]",
        "name x": "e-[usage: name]",
        "tg layer-out x1": "e-[bad number: x1]",
        "tg layer-out 99999999999": "e-[bad number: 99999999999]",
        "tg layer-out -1": "e-[bad number: -1]",
        "switch 1": "e-[switch 1 out of range: the model has 1 switch]",
        "switch x": "e-[bad number: x]",
        "switch 0 1": "e-[usage: switch [K]]",
        "tg exit 1000": "e-[exit code must be 0..255]",
        "a b c d e f g h i j": "e-[too many words in command]",
        # a firmware without a front end (--frontend) answers the audio commands so
        "tg stream start 2 3 538 16000": "e-[no audio front end in this firmware: build it with --frontend mfcc]",
        "tg stream stop": "e-[no audio front end in this firmware: build it with --frontend mfcc]",
        "db": "e-[usage: db load N | db HEX | db print]",
        "db load": "e-[usage: db load N]",
        "db load 0": f"e-[db load: N must be 1..{n}, got 0]",
        f"db load {n + 1}": f"e-[db load: N must be 1..{n}, got {n + 1}]",
        "db load zz": "e-[bad number: zz]",
        "db print 16": "e-[usage: db load N | db HEX | db print]",
        # infer's numbers follow the framing rules: not plain digits or over 4294967295 is a bad number
        "infer 0": "e-[Inference iterations must be >0]",
        "infer abc": "e-[bad number: abc]",
        "infer 99999999999": "e-[bad number: 99999999999]",
        "infer 4294967296": "e-[bad number: 4294967296]",
        "infer +1": "e-[bad number: +1]",
        "infer 1 abc": "e-[bad number: abc]",
        "infer 1 -1": "e-[bad number: -1]",
        "infer 0 abc": "e-[Inference iterations must be >0]",
        "infer 1 2 3": "e-[usage: infer [N=1] [W=10]]",
        "tg lap x": "e-[usage: tg lap [us|instr]]",
        "tg lap us us": "e-[usage: tg lap [us|instr]]",
        "name " + "y" * 300: "e-[command too long: max 255 bytes]",
    }
    for text, error in cases.items():
        assert any_device.command(text) == [error], f"command {text[:50]!r}"
    # hex errors after a proper db load
    assert any_device.command("db load 4") == ["m-[Expecting 4 bytes]"]
    assert any_device.command("db 001") == ["e-[db: odd number of hex digits]"]
    assert any_device.command("db 00g1") == ["e-[db: bad hex digit 'g']"]
    assert any_device.command("db 0011223344") == ["e-[db: 5 bytes, but only 4 more expected]"]
    assert any_device.command("db 0011") == []
    assert any_device.command("db print") == ["m-buffer-00-11"]   # rejected commands appended nothing
    assert any_device.command("db 2233") == ["m-load-done"]
    assert any_device.command("db 44") == ["e-[db: 1 bytes, but only 0 more expected]"]
    # the exact limit: 255 bytes is a command, 256 is too long
    assert any_device.command("name" + " " * 251) == ["m-name-dut-[tinygen]"]
    assert any_device.command("name" + " " * 252) == ["e-[command too long: max 255 bytes]"]
    out, _ = tg_run(any_device, inputs[3])
    assert out == out_bytes(graph, inputs[3])


def test_random_bytes(any_device, built):
    """Seeded random byte strings (NUL, bytes >= 0x80, \\r, \\n, spaces included), each
    ended by `%`: exactly one answer ending in m-ready each, then still bit-exact."""
    graph, _, _, inputs = built
    rng = random.Random(1234)
    for i in range(300):
        length = rng.choice((1, 2, 8, 40, 254, 255, 256, 600))
        junk = bytes(b for b in rng.randbytes(length) if b != ord("%"))
        any_device.send(junk + b"%")
        lines = any_device.read_reply()
        assert len(lines) == 1 and lines[0].startswith("e-["), f"case {i}: {junk[:40]!r} -> {lines}"
    assert any_device.pending() == b""
    # several commands in one write, % inside junk too
    junk = bytes(rng.randbytes(2000))
    any_device.send(junk + b"%")
    for _ in range(junk.count(b"%") + 1):
        any_device.read_reply()
    assert any_device.pending() == b""
    out, _ = tg_run(any_device, inputs[4])
    assert out == out_bytes(graph, inputs[4])


def test_truncated_upload(any_device, built):
    graph, _, _, inputs = built
    data = inputs[5].astype(np.int8).tobytes()
    any_device.command(f"tg load {len(data)}", data)          # a good input first
    # at least 500 ms of real time (tg_device's poll), and not much more of tg_device's own
    # time (its and this process's waits for a CPU do not count: a loaded machine cannot fail it)
    start, wall = any_device.clock.now(), time.monotonic()
    any_device.send(f"tg load {len(data)}%".encode() + data[:10])
    assert any_device.read_reply() == [f"e-[upload truncated: got 10 of {len(data)} bytes]"]
    waited, wall = any_device.clock.now() - start, time.monotonic() - wall
    assert wall >= 0.45 and waited < 5.0, \
        f"answered after {wall:.2f} s ({waited:.2f} {any_device.clock.what}), expected the 500 ms upload timeout"
    # the buffer is empty afterwards
    assert any_device.command("tg invoke") == [f"e-[input has 0 bytes, model takes {len(data)}]"]
    any_device.send(f"tg run {len(data)}%".encode())
    assert any_device.read_reply() == [f"e-[upload truncated: got 0 of {len(data)} bytes]"]
    out, _ = tg_run(any_device, inputs[5])
    assert out == out_bytes(graph, inputs[5])


def test_audio_upload_without_a_front_end_host(device, built):
    """A firmware built without --frontend reads and drops an audio upload's bytes (never
    taken for commands) and says it has no front end."""
    payload = b"name%" * 4
    for cmd in ("tg audio", "tg stream"):
        assert device.command(f"{cmd} {len(payload)}", payload) == [
            f"e-[no audio front end in this firmware: build it with --frontend mfcc (discarded {len(payload)} bytes)]"]
    assert device.pending() == b""
    assert device.command("name") == ["m-name-dut-[tinygen]"]


def test_wrong_upload_size(any_device, built):
    """A wrong N is answered once its N bytes were read and dropped: they are never taken for commands."""
    graph, _, _, inputs = built
    n = len(inputs[0].tobytes())
    payload = b"name%" * 3
    start = any_device.clock.now()
    assert any_device.command(f"tg load {len(payload)}", payload) == [
        f"e-[upload of {len(payload)} bytes, model takes {n} (discarded {len(payload)} bytes)]"]
    assert any_device.clock.now() - start < 0.45, "a complete wrong-size upload must not wait for the timeout"
    assert any_device.command(f"tg run {n + 1}", bytes(n + 1)) == [
        f"e-[upload of {n + 1} bytes, model takes {n} (discarded {n + 1} bytes)]"]
    assert any_device.command("tg load 0") == [f"e-[upload of 0 bytes, model takes {n} (discarded 0 bytes)]"]
    assert any_device.command("tg load x") == ["e-[bad number: x]"]
    assert any_device.pending() == b""
    assert any_device.command("name") == ["m-name-dut-[tinygen]"]
    out, _ = tg_run(any_device, inputs[6])
    assert out == out_bytes(graph, inputs[6])
