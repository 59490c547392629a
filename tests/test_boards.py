"""Board files: every one loads, says what the part is (numbers checked against
the datasheet figures below), has sane memory regions, a power model with its
source, a valid QEMU stand-in, and a malformed file fails with a clear error."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import tinygen.board as board_module
from tinygen.board import all_boards, get_board
from tinygen.errors import TinygenError, UsageError
from tinygen.kernels.table import KERNELS, find_kernel
from tinygen.resources import data_dir

KB = 1024
MB = 1024 * KB

# What the parts are (datasheets DS10916, DS11532, DS10693; ESP32, ESP32-S3,
# ESP32-C3 Series Datasheets). "sram" names the regions that make up the
# on-chip SRAM the datasheet quotes.
PARTS = {
    "nucleo-f746zg": dict(core="cortex-m7", clock_hz=216_000_000, flash=1 * MB, ram=320 * KB, build="cortex-m",
                          port="stm32f7", sram=("dtcm", "sram1", "sram2"), dtcm=64 * KB, machine="mps2-an500",
                          fpu="-mfpu=fpv5-sp-d16"),
    "nucleo-f767zi": dict(core="cortex-m7", clock_hz=216_000_000, flash=2 * MB, ram=512 * KB, build="cortex-m",
                          port="stm32f7", sram=("dtcm", "sram1", "sram2"), dtcm=128 * KB, machine="mps2-an500",
                          fpu="-mfpu=fpv5-d16"),
    "nucleo-f446re": dict(core="cortex-m4", clock_hz=180_000_000, flash=512 * KB, ram=128 * KB, build="cortex-m",
                          port="stm32f4", sram=("sram1", "sram2"), machine="mps2-an386", fpu="-mfpu=fpv4-sp-d16"),
    # the Cortex-M55 / M33 boards (DS14791 / RM0486, DS13086 / RM0456, the RP2350 datasheet): the N6's
    # flash is the external NOR's XIP window after ST's FSBL (Template_FSBL_XIP's STM32N657XX_XIP.ld)
    "stm32n6570-dk": dict(core="cortex-m55", clock_hz=800_000_000, flash=128 * MB - 1 * MB - 1 * KB, ram=2 * MB,
                          build="cortex-m", port="stm32n6", flash_origin=0x7010_0400, ram_origin=0x3400_0000,
                          sram=("flexram", "axisram1", "axisram2", "axisram3-6", "dtcm", "itcm", "ahbsram"),
                          sram_total=4064 * KB, machine="mps3-an547", fpu=None),
    "b-u585i-iot02a": dict(core="cortex-m33", clock_hz=160_000_000, flash=2 * MB, ram=768 * KB, build="cortex-m",
                           port="stm32u5", sram=("sram1", "sram2", "sram3", "sram4", "bkpsram"), sram_total=786 * KB,
                           machine="mps2-an505", fpu="-mfpu=fpv5-sp-d16"),
    "pico2": dict(core="cortex-m33", clock_hz=150_000_000, flash=4 * MB, ram=520 * KB, build="cortex-m",
                  port="rp2350", flash_origin=0x1000_0000, sram=("sram0-7", "sram8-9"), machine="mps2-an505",
                  fpu="-mfpu=fpv5-sp-d16"),
    # the Arduino boards (the nRF52840 PS; DS12930 / RM0399): flash after the Arduino bootloader (64 KB on the
    # nRF52840, 256 KB on the H747) up to the M4's bank in the Portenta's default flash split; RAM after
    # what the Arduino mbed core keeps (ArduinoCore-mbed's variants' linker scripts)
    "nano33ble": dict(core="cortex-m4", clock_hz=64_000_000, flash=1 * MB - 64 * KB, ram=256 * KB - 512,
                      build="cortex-m", port="nrf52840", flash_origin=0x1_0000, ram_origin=0x2000_0200,
                      sram=("sram",), sram_total=256 * KB, machine="mps2-an386", fpu="-mfpu=fpv4-sp-d16"),
    "portenta-h7": dict(core="cortex-m7", clock_hz=480_000_000, flash=768 * KB, ram=512 * KB, build="cortex-m",
                        port="stm32h7", flash_origin=0x0804_0000, ram_origin=0x2400_0000,
                        sram=("axi-sram", "dtcm", "sram1-2", "sram4", "itcm"), sram_total=1 * MB - 664,
                        machine="mps2-an500", fpu="-mfpu=fpv5-d16"),
    "nicla-vision": dict(core="cortex-m7", clock_hz=480_000_000, flash=2 * MB - 256 * KB, ram=512 * KB,
                         build="cortex-m", port="stm32h7", flash_origin=0x0804_0000, ram_origin=0x2400_0000,
                         sram=("axi-sram", "dtcm", "sram1-2", "sram4", "itcm"), sram_total=1 * MB - 664,
                         machine="mps2-an500", fpu="-mfpu=fpv5-d16"),
    # the NUCLEO-H743ZI (DS12110 / RM0433): RAM linked to the AXI SRAM; the 4 KB backup SRAM not listed
    "nucleo-h743zi": dict(core="cortex-m7", clock_hz=480_000_000, flash=2 * MB, ram=512 * KB, build="cortex-m",
                          port="stm32h7", ram_origin=0x2400_0000,
                          sram=("axi-sram", "dtcm", "sram1-3", "sram4", "itcm"), sram_total=1 * MB + 32 * KB,
                          machine="mps2-an500", fpu="-mfpu=fpv5-d16"),
    "esp32-devkitc": dict(core="xtensa-lx6", clock_hz=240_000_000, flash=4 * MB, sram_total=520 * KB,
                          build="esp-idf", idf_target="esp32", sram=("sram0", "sram1", "sram2"), machine=None),
    "esp32-s3": dict(core="xtensa-lx7", clock_hz=240_000_000, flash=8 * MB, sram_total=512 * KB,
                     build="esp-idf", idf_target="esp32s3", sram=("sram0", "sram1", "sram2"), machine=None),
    "esp32-c3": dict(core="rv32imc", clock_hz=160_000_000, flash=4 * MB, sram_total=400 * KB,
                     build="esp-idf", idf_target="esp32c3", sram=("ram", "sram-cache"), machine="virt"),
}
ALIASES = {"f746zg": "nucleo-f746zg", "f767zi": "nucleo-f767zi", "f446re": "nucleo-f446re",
           "n6570": "stm32n6570-dk", "u585": "b-u585i-iot02a", "rp2350": "pico2",
           "esp32": "esp32-devkitc", "esp32s3": "esp32-s3", "esp32-c3-devkitm-1": "esp32-c3", "native": "host",
           "arduino-nano-33-ble": "nano33ble", "Nano33BLE-Sense": "nano33ble", "nrf52840": "nano33ble",
           "portenta": "portenta-h7", "STM32H747": "portenta-h7", "nicla": "nicla-vision",
           "h743zi": "nucleo-h743zi", "STM32H743ZI": "nucleo-h743zi"}
WARNINGS = {"-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wdouble-promotion"}

# The stand-ins' memories (emulation.md): MPS2 code 0x0 / RAM 0x20000000, 4 MB
# each; RISC-V virt RAM at 0x80000000 (128 MB by default).
STANDIN_MEMORY = {
    "mps2-an500": [(0x0000_0000, 4 * MB), (0x2000_0000, 4 * MB)],
    "mps2-an386": [(0x0000_0000, 4 * MB), (0x2000_0000, 4 * MB)],
    # the Secure aliases (QEMU's `info mtree`): AN505 SSRAM1 and SSRAM2+3; AN547 SSE-300 SRAM and DDR
    "mps2-an505": [(0x1000_0000, 4 * MB), (0x3800_0000, 4 * MB)],
    "mps3-an547": [(0x3100_0000, 4 * MB), (0x7000_0000, 2048 * MB)],
    "virt": [(0x8000_0000, 128 * MB)],
}
QEMU_FOR = {"mps2-an500": "qemu-system-arm", "mps2-an386": "qemu-system-arm", "mps2-an505": "qemu-system-arm",
            "mps3-an547": "qemu-system-arm", "virt": "qemu-system-riscv32"}
# where the stand-in's core reads its reset vectors when that is outside its flash (the AN547's ITCM)
STANDIN_VECTORS = {"mps3-an547": (0x1000_0000, 512 * KB)}


def regions(board, **match) -> dict[str, dict]:
    return {r["name"]: r for r in board.memory if all(r.get(k) == v for k, v in match.items())}


def inside(inner: tuple[int, int], outer: tuple[int, int]) -> bool:
    return outer[0] <= inner[0] and inner[0] + inner[1] <= outer[0] + outer[1]


def test_every_board_file_loads_with_the_required_keys():
    boards = {b.name: b for b in all_boards()}
    assert set(PARTS) | {"host"} <= set(boards)
    for b in boards.values():
        assert b.name and b.core and b.description and b.build, b.path
        assert b.cc and b.cflags, f"{b.name}: [toolchain] cc and cflags"
        if b.build != "host":
            assert b.port and b.clock_hz and b.stack_size > 0, b.name
            assert b.serial.get("baud") == 115200 and b.serial.get("port_hint") and b.serial.get("uart"), b.name
            assert b.flash.get("tools") and set(b.flash["tools"]) <= set(b.flash.get("install", {})), \
                f"{b.name}: every flash tool needs an install hint"


@pytest.mark.parametrize("name", sorted(PARTS))
def test_board_matches_its_datasheet(name):
    part, b = PARTS[name], get_board(name)
    assert (b.core, b.clock_hz, b.build) == (part["core"], part["clock_hz"], part["build"])
    assert b.region("flash")["size"] == part["flash"]
    sram = sum(regions(b)[n]["size"] for n in part["sram"])
    assert sram == part.get("sram_total", part.get("ram")), f"{name}: on-chip SRAM {sram // KB} KB"
    if part["build"] == "cortex-m":
        assert b.port == part["port"] and b.region("ram")["size"] == part["ram"]
        flash_origin = part.get("flash_origin", 0x0800_0000)
        assert b.region("flash")["origin"] == flash_origin
        assert b.region("ram")["origin"] == part.get("ram_origin", 0x2000_0000)
        assert b.flash["address"] == flash_origin
        if "dtcm" in part:
            assert regions(b)["dtcm"]["size"] == part["dtcm"]
    else:
        assert b.raw["idf_target"] == part["idf_target"] and b.flash["esptool_chip"] == part["idf_target"]
        assert set(b.flash["tools"]) == {"idf.py", "esptool.py"}


@pytest.mark.parametrize("name", sorted(n for n, p in PARTS.items() if p["build"] == "cortex-m"))
def test_cortex_m_flags_match_the_core(name):
    part, flags = PARTS[name], get_board(name).cflags
    assert f"-mcpu={part['core']}" in flags and "-mthumb" in flags and "-mfloat-abi=hard" in flags
    if part["fpu"] is None:     # the Cortex-M55: -mfpu=auto, the FPU and MVE of -mcpu
        assert not [f for f in flags if f.startswith("-mfpu")]
    else:
        assert part["fpu"] in flags
    assert WARNINGS <= set(flags) and {"-O2", "-ffunction-sections", "-fdata-sections"} <= set(flags)


@pytest.mark.parametrize("b", [b for b in all_boards() if b.build != "host"], ids=lambda b: b.name)
def test_memory_regions_are_sane(b):
    flash, ram = b.region("flash"), b.region("ram")
    span = lambda r: (r["origin"], r["size"])  # noqa: E731
    assert flash["size"] % KB == 0 and ram["size"] % 512 == 0   # the Nano 33 BLE's RAM starts after the mbed core's 512 B
    assert flash["origin"] % 4 == 0 and ram["origin"] % 4 == 0
    assert b.stack_size % 8 == 0 and b.stack_size < ram["size"] // 4
    if flash["origin"] != 0:   # ESP32 flash is an offset in the flash chip, not a CPU address
        assert not inside(span(flash), span(ram)) and not inside(span(ram), span(flash))
    # informational RAM parts that start in the linked RAM lie wholly in it
    for r in regions(b, kind="ram", link=False).values():
        if ram["origin"] <= r["origin"] < ram["origin"] + ram["size"]:
            assert inside(span(r), span(ram)), f"{b.name}: {r['name']} sticks out of the linked RAM"
    if b.build == "cortex-m" and b.port != "nrf52840":   # the SRAM parts tile the linked RAM exactly (the
        # nRF52840's linked RAM starts 512 B into its one listed region, past what the mbed core keeps)
        parts = sorted((r for r in regions(b, kind="ram", link=False).values() if inside(span(r), span(ram))),
                       key=lambda r: r["origin"])
        assert parts[0]["origin"] == ram["origin"]
        for a, c in zip(parts, parts[1:]):
            assert a["origin"] + a["size"] == c["origin"], f"{b.name}: gap or overlap after {a['name']}"
        assert parts[-1]["origin"] + parts[-1]["size"] == ram["origin"] + ram["size"]


def test_names_and_aliases_are_unique_and_resolve():
    seen: dict[str, str] = {}
    for b in all_boards():
        for n in (b.name, *b.aliases):
            assert n not in seen, f"{n!r} names both {seen[n]} and {b.name}"
            seen[n] = b.name
    for alias, name in ALIASES.items():
        assert get_board(alias).name == name


def test_unknown_board_suggests_the_close_names():
    with pytest.raises(UsageError) as e:
        get_board("f764zg")
    assert "f746zg" in e.value.hint and "tinygen boards" in e.value.hint


@pytest.mark.parametrize("b", [b for b in all_boards() if b.build != "host"], ids=lambda b: b.name)
def test_power_model_states_its_source(b):
    p = b.power
    # every listed board (Nucleo-64/144, ESP32 DevKits) feeds the MCU from its 3.3 V regulator
    assert p["supply_v"] == 3.3, f"{b.name}: supply {p['supply_v']} V, the board's MCU runs at 3.3 V"
    assert 0.001 < p["run_current_a"] < 1.0, "typical run current in amperes"
    assert isinstance(p.get("confirmed"), bool), "say whether the figure was checked against the datasheet"
    if p["confirmed"]:
        assert "Datasheet" in p["source"] and "Table" in p["source"] and "MHz" in p["source"]
    else:
        assert "not confirmed" in p["source"]


@pytest.mark.parametrize("name", sorted(PARTS))
def test_standin_is_a_real_qemu_machine_with_room_for_the_part(name):
    part, b = PARTS[name], get_board(name)
    if part["machine"] is None:
        assert b.emulator is None, f"{name} has no stand-in"
        return
    e = b.emulator
    assert e["machine"] == part["machine"] and e["qemu"] == QEMU_FOR[e["machine"]]
    assert (data_dir("firmware") / "ports" / e["port"]).is_dir(), f"firmware/ports/{e['port']} is missing"
    memory = STANDIN_MEMORY[e["machine"]]
    for origin, size in ((e["flash_origin"], b.region("flash")["size"]), (e["ram_origin"], b.region("ram")["size"])):
        assert any(inside((origin, size), m) for m in memory), f"{name}: 0x{origin:08x}+{size} is not in the stand-in"
    flash, ram = (e["flash_origin"], b.region("flash")["size"]), (e["ram_origin"], b.region("ram")["size"])
    assert not inside(flash, ram) and not inside(ram, flash), "stand-in flash and RAM overlap"
    assert flash[0] + flash[1] <= ram[0] or ram[0] + ram[1] <= flash[0], "stand-in flash and RAM overlap"
    if "vector_origin" in e:
        assert inside((e["vector_origin"], 8), STANDIN_VECTORS[e["machine"]])
    if e["qemu"] == "qemu-system-arm":
        assert "shift=0" in e["args"] and "enable=on,target=native" in e["args"]
    if shutil.which(e["qemu"]) is None:
        pytest.skip(f"{e['qemu']} is not installed: cannot ask it for its machine list ({e['install']})")
    machines = subprocess.run([e["qemu"], "-M", "help"], capture_output=True, text=True, timeout=30).stdout
    assert any(line.split()[:1] == [e["machine"]] for line in machines.splitlines())


@pytest.mark.parametrize("b", all_boards(), ids=lambda b: b.name)
def test_real_part_port_exists(b):
    if b.port is None:
        return
    if b.port == "espidf" and not (data_dir("firmware") / "ports" / "espidf").is_dir():
        pytest.skip("firmware/ports/espidf (the ESP-IDF port) is not in this checkout yet")
    assert (data_dir("firmware") / "ports" / b.port).is_dir()


@pytest.mark.parametrize("b", all_boards(), ids=lambda b: b.name)
def test_portable_kernels_serve_every_board(b):
    """The kernel table's portable kernels require no feature: every board gets one per op."""
    for spec in KERNELS:
        found = find_kernel(spec.op, spec.act_dtype, spec.weight_dtype, spec.weight_bits, b.isa_features,
                            in_dtype=spec.in_dtype)
        assert found is not None, f"{b.name}: no kernel for {spec.op}"
        assert found.requires <= b.isa_features


# A malformed board file fails with the file's name and what is wrong.

GOOD = (data_dir("boards") / "nucleo-f446re.toml").read_text()


@pytest.fixture
def boards_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(board_module, "data_dir", lambda name: tmp_path)
    all_boards.cache_clear()
    board_module._by_name.cache_clear()
    yield tmp_path
    all_boards.cache_clear()
    board_module._by_name.cache_clear()


def load_error(folder: Path, text: str, name: str = "bad.toml") -> TinygenError:
    (folder / name).write_text(text)
    with pytest.raises(TinygenError) as e:
        all_boards()
    return e.value


def test_a_good_copy_loads(boards_dir):
    (boards_dir / "ok.toml").write_text(GOOD)
    assert [b.name for b in all_boards()] == ["nucleo-f446re"]


@pytest.mark.parametrize("edit, says", [
    (lambda t: t.replace('core = "cortex-m4"\n', ""), "core: missing"),
    (lambda t: t.replace('build = "cortex-m"', 'build = "arduino"'), "build = 'arduino'"),
    (lambda t: t.replace("clock_hz = 180000000", 'clock_hz = "fast"'), "clock_hz = 'fast': must be an integer"),
    (lambda t: t.replace("size = 0x20000                      # 128 KB\nlink = true", "size = 0x20000\nlink = false"),
     'kind = "ram" and link = true'),
    (lambda t: t.replace('kind = "flash"', 'kind = "rom"'), "memory[flash].kind = 'rom': not one of flash, ram"),
    (lambda t: t.replace("run_current_a = 0.06\n", ""), "power.run_current_a: missing"),
    (lambda t: t.replace('machine = "mps2-an386"', ""), "emulator.machine: missing"),
    (lambda t: t.replace("[stack]\nsize = 8192", "[stack]\nsize = 0"), "stack.size = 0"),
    (lambda t: t + "\n[[[broken\n", "not valid TOML"),
])
def test_malformed_board_file_says_what_is_wrong(boards_dir, edit, says):
    text = edit(GOOD)
    assert text != GOOD
    err = load_error(boards_dir, text)
    assert says in err.message and "bad.toml" in err.message
    assert "docs/boards.md" in err.hint and "\n" not in err.message


def test_duplicate_alias_across_files_is_an_error(boards_dir):
    (boards_dir / "a.toml").write_text(GOOD)
    err = load_error(boards_dir, GOOD.replace('name = "nucleo-f446re"', 'name = "other"'), "b.toml")
    assert "'f446re'" in err.message and "a.toml" in err.message and "b.toml" in err.message


def test_energy_runner_board_header():
    """--energy-runner: the serial port at the EnergyRunner's 9600 baud and EEMBC pin
    framing from boot in tg_board.h; performance-mode firmware keeps 115200 and off."""
    from tinygen.board import for_energy_runner
    from tinygen.codegen.project import board_data

    plain = board_data(get_board("f746zg"))
    runner = board_data(for_energy_runner(get_board("f746zg")))
    assert (plain["baud"], plain["energy_runner"]) == ("115200u", 0)
    assert (runner["baud"], runner["energy_runner"]) == ("9600u", 1)
    assert dict(runner["timestamp"]) == {"TG_BOARD_TIMESTAMP_PORT": 5, "TG_BOARD_TIMESTAMP_BIT": 13}
    with pytest.raises(UsageError, match="names no timestamp pin"):
        for_energy_runner(get_board("esp32-s3-eye"))


ARDUINO = {"nano33ble": "arduino:mbed_nano:nano33ble", "portenta-h7": "arduino:mbed_portenta:envie_m7",
           "nicla-vision": "arduino:mbed_nicla:nicla_vision", "pico2": "rp2040:rp2040:rpipico2",
           "nucleo-f446re": "STMicroelectronics:stm32:Nucleo_64:pnum=NUCLEO_F446RE",
           "nucleo-f746zg": "STMicroelectronics:stm32:Nucleo_144:pnum=NUCLEO_F746ZG",
           "nucleo-f767zi": "STMicroelectronics:stm32:Nucleo_144:pnum=NUCLEO_F767ZI"}


@pytest.mark.parametrize("name", sorted(ARDUINO))
def test_arduino_core_flags_describe_the_boards_core(name, tmp_path):
    """[arduino]: the FQBN names the core's architecture (its second field, what library.properties'
    architectures= lists); the core's C and C++ flags build for the board's CPU with one float ABI
    and one -std each, and arm-none-eabi-gcc / g++ take them."""
    b = get_board(name)
    a = b.arduino
    assert a["fqbn"] == ARDUINO[name] and a["architecture"] == a["fqbn"].split(":")[1]
    assert "Serial" in a["serial"]
    for key, source in (("cflags", "int tg_probe(void) { return 0; }\n"), ("cxxflags", "int tg_probe() { return 0; }\n")):
        flags = a[key]
        assert f"-mcpu={b.core}" in flags and "-mthumb" in flags
        assert len([f for f in flags if f.startswith("-mfloat-abi=")]) == 1
        assert len([f for f in flags if f.startswith("-std=")]) == 1 and len([f for f in flags if f.startswith("-O")]) == 1
        cc = b.cc if key == "cflags" else b.cc.replace("gcc", "g++")
        if shutil.which(cc) is None:
            continue
        src = tmp_path / ("probe.c" if key == "cflags" else "probe.cpp")
        src.write_text(source)
        proc = subprocess.run([cc, *flags, "-c", str(src), "-o", str(tmp_path / f"{key}.o")],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{name} {key}: {proc.stderr}"
    assert {b.name for b in all_boards() if b.arduino} == set(ARDUINO)
