"""Energy mode: the timestamp pin frames each timed run of `infer` (2 edges a
run, `tg pin each`), EEMBC's two pulses around the runs (`tg pin eembc`), and
nothing in performance mode (`tg pin off`, after boot). The firmware counts the
edges it drives; a stand-in has no pin but counts them too. With a meter wired,
`tinygen power --meter` measures the energy (tinygen.energy)."""

from __future__ import annotations

from tinygen.energy.run import pin
from tinygen.hil.session import input_bytes


def test_energy_pin_frames_each_timed_run(device, inputs):
    device.load_hex(input_bytes(inputs[0]))
    try:
        _, before = pin(device, "each")
        device.infer(4, 2)
        assert pin(device)[1] - before == 2 * 4, "a falling and a rising edge per timed run, none for warm-ups"
        _, before = pin(device, "eembc")
        device.infer(4, 2)
        assert pin(device)[1] - before == 2 * 2, "EEMBC: a pulse before and one after the timed runs"
        _, before = pin(device, "off")
        res = device.infer(4, 2)
        assert pin(device)[1] == before and res.total > 0, "performance mode drives no pin"
    finally:
        pin(device, "off")
