"""Robustness: whatever arrives on the serial line, the firmware answers with
an `e-` line and `m-ready` (or can be brought back in step), and the next
inference is still bit-exact."""

from __future__ import annotations

import numpy as np
import pytest

from tinygen.hil.client import DeviceError
from tinygen.hil.session import input_bytes

CMD_MAX = 255


def test_protocol_random_bytes(device, check_inference):
    rng = np.random.default_rng(11)
    for i in range(3):
        device.link.write(rng.integers(0, 256, size=int(rng.integers(1, 600)), dtype=np.uint8).tobytes())
        assert device.connect() == "tinygen"
        check_inference(i)


def test_protocol_overlong_line(device, check_inference):
    with pytest.raises(DeviceError, match=f"command too long: max {CMD_MAX} bytes"):
        device.command("x" * (CMD_MAX + 1))
    with pytest.raises(DeviceError, match="command too long"):
        device.command("db " + "ab" * 2000)
    check_inference(1)


def test_protocol_unknown_and_malformed_commands(device, check_inference):
    for cmd, message in [("frobnicate", "Unknown command: frobnicate"), ("tg frob", "Unknown tg command: frob"),
                         ("db zz", "bad hex digit"), ("db abc", "odd number of hex digits"),
                         ("tg layer-out 100000", "out of range"), ("infer 0 0", "iterations must be >0"),
                         ("tg run 12x", "bad number")]:
        with pytest.raises(DeviceError, match=message):
            device.command(cmd)
    check_inference(2)


def test_protocol_wrong_tensor_sizes(device, inputs, check_inference):
    x = input_bytes(inputs[0])
    for data in (x[:-1], x + b"\x00"):
        with pytest.raises(DeviceError, match=f"model takes {len(x)}"):
            device.run(data)
        with pytest.raises(DeviceError, match=f"model takes {len(x)}"):
            device.upload(data)
    with pytest.raises(DeviceError, match=r"db load: N must be"):
        device.command(f"db load {len(x) + 1}")
    device.command(f"db load {len(x)}")
    device.command("db " + x[:16].hex())
    with pytest.raises(DeviceError, match=f"input has 16 bytes, model takes {len(x)}"):
        device.command("infer 1 0")
    check_inference(3)


def test_protocol_truncated_upload(device, inputs, check_inference):
    x = input_bytes(inputs[0])
    device.link.write(f"tg load {len(x)}%".encode() + x[: len(x) // 3])
    with pytest.raises(DeviceError, match=rf"upload truncated: got {len(x) // 3} of {len(x)} bytes"):
        device.read_reply("tg load (truncated)", timeout=device.upload_timeout())
    with pytest.raises(DeviceError, match="input has 0 bytes"):
        device.invoke()                       # the truncated upload emptied the buffer
    check_inference(4)


def test_protocol_payload_with_percent_signs(device, graph, check_inference):
    """Raw uploads take any byte, `%` included."""
    from tinygen.hil.session import compare

    x = tuple(np.full(graph.tensor(name).shape, ord("%"), dtype=np.int8) for name in graph.inputs)   # every input
    raw, _ = device.run(input_bytes(x))
    bad, _ = compare(graph, x, raw, 0)
    assert not bad, bad[0].detail
    check_inference(5)
