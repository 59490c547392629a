"""Cost counters: `tg layers` per-layer counts add up to its total and come
close to a whole-model invoke; on stand-ins (executed instructions) they repeat
from run to run, to the counter's resolution."""

from __future__ import annotations

import pytest

from tinygen.hil.session import input_bytes, profile_layers

# Layer-by-layer calls add a little per layer over one invoke (call overhead,
# counter reads). On real boards and the host, caches and the OS add noise.
CLOSE = {"instructions": 0.05, "cycles": 0.10, "ns": 0.50}
TICK = 64         # instructions: the coarsest counter resolution a stand-in port may have


def test_profile_layers_sum_to_total(device, graph, inputs):
    layers, total = profile_layers(device, graph, inputs[0])
    assert len(layers) == len([n for n in graph.nodes if n.kernel])
    assert [layer.index for layer in layers] == list(range(len(layers)))
    assert all(layer.count > 0 for layer in layers), layers
    assert sum(layer.count for layer in layers) == total


def test_profile_layers_close_to_invoke(device, graph, inputs):
    counter = device.info()["counter"]
    _, total = profile_layers(device, graph, inputs[0])
    _, invoke = device.invoke()
    assert abs(total - invoke) <= CLOSE[counter] * invoke, (counter, total, invoke)


def test_profile_counts_repeat_on_standin(device, inputs):
    if device.info()["counter"] != "instructions":
        pytest.skip("only executed-instruction counts (stand-ins) are exactly repeatable; "
                    "cycles and host time vary with caches and the OS")
    x = input_bytes(inputs[1])
    counts = [device.run(x)[1] for _ in range(3)]
    # the same instructions run every time; a port that reads a timer ticking
    # every few instructions (mps2: one tick per 40) rounds to its tick
    assert max(counts) - min(counts) <= TICK, counts


def test_profile_eembc_laps_cover_the_runs(device, inputs):
    """`infer N W` laps: N runs cost about N invokes (plus the input copy each)."""
    info = device.info()
    x = input_bytes(inputs[2])
    _, one = device.run(x)
    device.load_hex(x)
    res = device.infer(5, 1)
    assert res.unit == ("instr" if info["counter"] == "instructions" else "us")
    if info["counter"] == "instructions":
        assert one * 5 <= res.total <= one * 5 * 1.2, (one, res.total)
    else:
        assert res.total > 0
