"""tinygen.build.linked: the manifest's linked image decides the flash and RAM reported (sweep
points, the hil report, benchmarks/mlperf_standin.py), firmware-emu.elf on ESP32 boards."""

from __future__ import annotations

from tinygen.build.linked import linked_image, memory_use
from tinygen.report.hil import memory_rows
from tinygen.sweep import point

PREDICTED = {"source": "predicted", "flash": {"used": 9000, "capacity": 4 << 20}, "ram": {"used": 100, "capacity": 1}}
EMU = {"source": "firmware-emu.elf", "flash": {"used": 31000, "capacity": 4 << 20},
       "ram": {"used": 7000, "capacity": 400 << 10}}
# an ESP32-C3 build without ESP-IDF: firmware.elf is ESP-IDF's (not linked), firmware-emu.elf tinygen's
ESP = {"images": {"firmware.elf": {"for": "the part"}, "firmware-emu.elf": {"for": "the stand-in"}},
       "memory": {"predicted": PREDICTED, "firmware-emu.elf": EMU}}
CORTEX = {"images": {"firmware.elf": {}}, "memory": {"predicted": PREDICTED, "firmware.elf": dict(EMU, source="firmware.elf")}}


def test_linked_image_esp32_is_the_standin_image():
    assert linked_image(ESP) == "firmware-emu.elf"
    assert memory_use(ESP) is EMU
    assert point._memory(ESP) == (31000, 7000)
    rows = {r["region"]: r["used"] for r in memory_rows(ESP)}
    assert rows["flash (firmware-emu.elf)"] == 31000 and rows["ram (firmware-emu.elf)"] == 7000


def test_linked_image_cortex_m_and_prediction_only():
    assert linked_image(CORTEX) == "firmware.elf" and point._memory(CORTEX) == (31000, 7000)
    only = {"images": {"firmware.elf": {}}, "memory": {"predicted": PREDICTED}}
    assert linked_image(only) is None and point._memory(only) == (9000, 100)
    assert linked_image({}) is None and memory_use({}) == {}
