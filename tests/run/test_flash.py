"""tinygen.run.flash against stand-in tool scripts put first on PATH.

No board is attached here: these tests check the command lines, the
verification each tool is asked for and how its messages are read, with fake
st-flash / openocd / pyocd / esptool scripts that print what the real tools
print. The real tools against real hardware are untested here.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import shutil
import stat
import sys
from pathlib import Path

import pytest

from tinygen import __version__
from tinygen.board import all_boards, get_board
from tinygen.codegen.project import BUILD_FORMAT, MANIFEST
from tinygen.errors import TinygenError, ToolchainError, UsageError
from tinygen.run import flash as fl

STM32_FLASH = {
    "tools": ["st-flash", "openocd", "pyocd"],
    "address": 0x08000000,
    "openocd_config": "board/st_nucleo_f7.cfg",
    "pyocd_target": "stm32f746zgtx",
    "install": {"st-flash": "sudo apt-get install -y stlink-tools", "openocd": "sudo apt-get install -y openocd",
                "pyocd": "pip install pyocd"},
}
ESP_FLASH = {"tools": ["idf.py", "esptool.py"], "esptool_chip": "esp32",
             "install": {"esptool.py": "pip install esptool", "idf.py": "install ESP-IDF v5"}}

# What each fake prints in each mode: the real tools' success / no-probe messages.
OUTPUT = {
    "st-flash": {"ok": "INFO common.c: Starting verification of write complete\n"
                       "INFO common.c: Flash written and verified! jolly good!",
                 "noprobe": "Found 0 stlink programmers", "noverify": "INFO common.c: Flash written"},
    "openocd": {"ok": "** Programming Finished **\n** Verify Started **\n** Verified OK **\n** Resetting Target **",
                "noprobe": "Error: open failed", "noverify": "** Programming Finished **"},
    "pyocd": {"ok": "All 10240 bytes match.", "noprobe": "0000 C No available debug probes are connected",
              "noverify": "Mismatched byte at 0x08000010 (offset 0x10): 0x00 (memory) != 0x01 (file)"},
    "esptool.py": {"ok": "Wrote 123 bytes at 0x00010000\nHash of data verified.",
                   "noprobe": "A fatal error occurred: Failed to connect to ESP32: No serial data received.",
                   "noverify": "Wrote 123 bytes at 0x00010000"},
}
OUTPUT["idf.py"] = OUTPUT["esptool.py"]
OUTPUT["STM32_Programmer_CLI"] = {
    "ok": "Memory Programming ...\nDownload in Progress:\nFile download complete\nRead progress:\n"
          "Download verified successfully \nMCU Reset",
    "noprobe": "Error: No debug probe detected.", "noverify": "File download complete"}
OUTPUT["picotool"] = {
    "ok": "Loading into Flash:   [==============================]  100%\n"
          "Verifying Flash:      [==============================]  100%\n  OK\n\n"
          "The device was rebooted to start the application.",
    "noprobe": "No accessible RP-series devices in BOOTSEL mode were found.",
    "noverify": "Loading into Flash:   [==============================]  100%"}

OUTPUT["bossac"] = {
    "ok": "Device       : nRF52840-QIAA\nErase flash\nDone in 0.001 seconds\nWrite 16 bytes to flash (1 pages)\n"
          "[==============================] 100% (1/1 pages)\nVerify 16 bytes of flash\n"
          "[==============================] 100% (1/1 pages)\nVerify successful\nSet boot flash true",
    "noprobe": "No device found on ttyACM0", "noverify": "Write 16 bytes to flash (1 pages)"}
# dfu-util: -D prints "Download done."; -U writes the file it is given (FAKE_READBACK: "same" copies
# FAKE_IMAGE, "differ" writes other bytes) and prints "Upload done."
OUTPUT["dfu-util"] = {
    "ok": "Opening DFU capable USB device...\nDownloading element to address = 0x08040000, size = 16\n"
          "Download\t[=========================] 100%           16 bytes\nDownload done.\n"
          "File downloaded successfully\nUpload done.",
    "noprobe": "dfu-util: No DFU capable USB device available", "noverify": "Opening DFU capable USB device..."}
DFU_READBACK = ("if '-U' in sys.argv and mode == 'ok':\n"
                "    data = open(os.environ['FAKE_IMAGE'], 'rb').read()\n"
                "    if os.environ.get('FAKE_READBACK') == 'differ':\n"
                "        data = bytes(b ^ 1 for b in data)\n"
                "    open(sys.argv[sys.argv.index('-U') + 1], 'wb').write(data)\n")


def stm32(**flash) -> object:
    return dataclasses.replace(get_board("host"), name="fake-f746", build="cortex-m",
                               flash={**STM32_FLASH, **flash}, serial={"port_hint": "/dev/ttyACM0"})


def esp32() -> object:
    return dataclasses.replace(get_board("host"), name="fake-esp32", build="esp-idf", flash=dict(ESP_FLASH),
                               serial={"port_hint": "/dev/ttyUSB0"})


@pytest.fixture
def fakebin(tmp_path, monkeypatch):
    """A PATH holding only the fake tools created with make(name); each call is logged."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "calls.txt"
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setenv("FAKE_LOG", str(log))
    monkeypatch.setenv("FAKE_MODE", "ok")

    def make(name: str, rc_on_noprobe: int = 1) -> None:
        outputs = OUTPUT[name]
        script = bindir / name
        script.write_text(
            f"#!{sys.executable}\n"
            "import os, sys\n"
            "with open(os.environ['FAKE_LOG'], 'a') as f:\n"
            "    f.write(repr([os.path.basename(sys.argv[0])] + sys.argv[1:] + ['@' + os.getcwd()]) + '\\n')\n"
            f"outputs = {outputs!r}\n"
            "mode = os.environ['FAKE_MODE']\n"
            + (DFU_READBACK if name == "dfu-util" else "") +
            "print(outputs.get(mode, 'boom'), file=sys.stderr)\n"
            f"sys.exit({{'ok': 0, 'noverify': 0, 'noprobe': {rc_on_noprobe}}}.get(mode, 3))\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)

    def calls() -> list[list[str]]:
        if not log.exists():
            return []
        import ast
        return [ast.literal_eval(line) for line in log.read_text().splitlines()]

    make.calls = calls
    return make


def built_for(project: Path, board: str, **fields) -> Path:
    """The manifest a build for `board` writes (the fields tinygen.build.built reads), with `fields` over them."""
    data = {"tinygen_version": __version__, "build_format": BUILD_FORMAT, "board": board, **fields}
    (project / MANIFEST).write_text(json.dumps({k: v for k, v in data.items() if v is not None}))
    return project


@pytest.fixture
def project(tmp_path) -> Path:
    p = tmp_path / "proj"
    (p / "build").mkdir(parents=True)
    for name in ("firmware.elf", "firmware.bin", "firmware.hex", "CMakeLists.txt", "build/flash_args"):
        (p / name).write_bytes(b"\x00" * 16)
    return built_for(p, "fake-f746")


def test_flash_stflash_first_in_order_with_reset_and_address(fakebin, project):
    for tool in ("st-flash", "openocd", "pyocd"):
        fakebin(tool)
    res = fl.flash(stm32(), project)
    assert res.tool == "st-flash"
    (call,) = fakebin.calls()
    assert call[:-1] == ["st-flash", "--reset", "write", str(project / "firmware.bin"), "0x08000000"]


def test_flash_falls_back_to_next_installed_tool(fakebin, project):
    fakebin("openocd")
    res = fl.flash(stm32(), project)
    (call,) = fakebin.calls()
    assert res.tool == "openocd"
    assert call[:-1] == ["openocd", "-f", "board/st_nucleo_f7.cfg", "-c",
                         f"program {project / 'firmware.elf'} verify reset exit"]


def test_flash_pyocd_verifies_with_a_second_compare_call(fakebin, project):
    fakebin("pyocd")
    fl.flash(stm32(), project, probe="pyocd")
    write, verify = fakebin.calls()
    assert write[:-1] == ["pyocd", "flash", "-t", "stm32f746zgtx", str(project / "firmware.elf")]
    assert verify[:-1] == ["pyocd", "commander", "-t", "stm32f746zgtx", "-c",
                           f"compare 0x08000000 {project / 'firmware.bin'}"]


@pytest.mark.parametrize("tool", ["st-flash", "openocd", "pyocd"])
def test_flash_unverified_write_is_an_error(fakebin, project, monkeypatch, tool):
    fakebin(tool)
    monkeypatch.setenv("FAKE_MODE", "noverify")
    with pytest.raises(TinygenError, match="did not confirm that the flash was verified"):
        fl.flash(stm32(), project, probe=tool)


@pytest.mark.parametrize("tool,rc", [("st-flash", 255), ("openocd", 1), ("pyocd", 0)])
def test_flash_no_probe_connected_says_connect_cn1(fakebin, project, monkeypatch, tool, rc):
    fakebin(tool, rc_on_noprobe=rc)
    monkeypatch.setenv("FAKE_MODE", "noprobe")
    with pytest.raises(TinygenError) as err:
        fl.flash(stm32(), project, probe=tool)
    assert "no " in err.value.message.lower() and "found" in err.value.message
    assert "CN1" in err.value.hint


def test_flash_tool_failure_shows_its_output(fakebin, project, monkeypatch):
    fakebin("st-flash")
    monkeypatch.setenv("FAKE_MODE", "crash")
    with pytest.raises(TinygenError, match=r"st-flash failed \(exit status 3\):\n\s+boom"):
        fl.flash(stm32(), project)


def test_flash_no_tool_installed_names_install_commands(fakebin, project):
    with pytest.raises(ToolchainError) as err:
        fl.flash(stm32(), project)
    assert "no flash tool for fake-f746 is installed" in err.value.message
    for line in STM32_FLASH["install"].values():
        assert line in err.value.hint


def test_flash_requested_probe_missing(fakebin, project):
    fakebin("st-flash")
    with pytest.raises(ToolchainError, match="openocd is not installed") as err:
        fl.flash(stm32(), project, probe="openocd")
    assert err.value.hint == "install it: sudo apt-get install -y openocd"


def test_flash_missing_build_output(fakebin, tmp_path):
    fakebin("st-flash")
    with pytest.raises(TinygenError, match="firmware.bin is missing") as err:
        fl.flash(stm32(), built_for(tmp_path, "fake-f746"))
    assert "tinygen build" in err.value.hint


def test_flash_esp32_esptool_uses_flash_args_and_port(fakebin, project):
    built_for(project, "fake-esp32")
    fakebin("esptool.py")
    res = fl.flash(esp32(), project, port="/dev/ttyUSB3")
    (call,) = fakebin.calls()
    assert res.tool == "esptool.py"
    assert call == ["esptool.py", "--chip", "esp32", "-p", "/dev/ttyUSB3", "write_flash", "@flash_args",
                    "@" + str(project / "build")]


def test_flash_esp32_idf_runs_in_the_project(fakebin, project, monkeypatch):
    built_for(project, "fake-esp32")
    fakebin("idf.py")
    fakebin("esptool.py")
    fl.flash(esp32(), project)
    (call,) = fakebin.calls()
    assert call == ["idf.py", "-p", "/dev/ttyUSB0", "flash", "@" + str(project)]
    monkeypatch.setenv("FAKE_MODE", "noprobe")
    with pytest.raises(TinygenError, match="no ESP32 answered") as err:
        fl.flash(esp32(), project)
    assert "--port" in err.value.hint


def test_flash_stm32cubeprog_writes_the_n6570_xspi_image_through_its_external_loader(fakebin, project):
    """The STM32N6570-DK has no internal flash: STM32_Programmer_CLI writes firmware.bin to the
    external NOR's XIP address through the kit's external loader (found beside the tool)."""
    built_for(project, "stm32n6570-dk")
    fakebin("STM32_Programmer_CLI")
    loader = Path(shutil.which("STM32_Programmer_CLI")).parent / "ExternalLoader" / "MX66UW1G45G_STM32N6570-DK.stldr"
    loader.parent.mkdir()
    loader.write_bytes(b"")
    res = fl.flash(get_board("n6570"), project)
    (call,) = fakebin.calls()
    assert res.tool == "STM32_Programmer_CLI"
    assert call[:-1] == ["STM32_Programmer_CLI", "-c", "port=SWD", "mode=UR", "-el", str(loader), "-w",
                         str(project / "firmware.bin"), "0x70100400", "-v", "-rst"]


def test_flash_stm32cubeprog_u585_and_its_messages(fakebin, project, monkeypatch):
    built_for(project, "b-u585i-iot02a")
    fakebin("STM32_Programmer_CLI")
    fl.flash(get_board("u585"), project)
    (call,) = fakebin.calls()
    assert call[:-1] == ["STM32_Programmer_CLI", "-c", "port=SWD", "mode=UR", "-w", str(project / "firmware.bin"),
                         "0x08000000", "-v", "-rst"]
    monkeypatch.setenv("FAKE_MODE", "noverify")
    with pytest.raises(TinygenError, match="did not confirm that the flash was verified"):
        fl.flash(get_board("u585"), project)
    monkeypatch.setenv("FAKE_MODE", "noprobe")
    with pytest.raises(TinygenError, match="no ST-LINK or no target found"):
        fl.flash(get_board("u585"), project)


def test_flash_pico2_picotool_then_openocd_with_two_configs(fakebin, project, monkeypatch):
    """The Pico 2: picotool through the boot ROM (verify, then run), else OpenOCD over SWD
    with the Debug Probe's interface file and the RP2350's target file."""
    built_for(project, "pico2")
    fakebin("picotool")
    fakebin("openocd")
    assert fl.flash(get_board("pico2"), project).tool == "picotool"
    fl.flash(get_board("pico2"), project, probe="openocd")
    pico, ocd = fakebin.calls()
    assert pico[:-1] == ["picotool", "load", "--verify", "--execute", "-t", "elf", str(project / "firmware.elf")]
    assert ocd[:-1] == ["openocd", "-f", "interface/cmsis-dap.cfg", "-f", "target/rp2350.cfg", "-c",
                        f"program {project / 'firmware.elf'} verify reset exit"]
    monkeypatch.setenv("FAKE_MODE", "noprobe")
    with pytest.raises(TinygenError, match="no RP2350 in BOOTSEL mode found") as err:
        fl.flash(get_board("pico2"), project)
    assert "BOOTSEL" in err.value.hint
    monkeypatch.setenv("FAKE_MODE", "noverify")
    with pytest.raises(TinygenError, match="did not confirm that the flash was verified"):
        fl.flash(get_board("pico2"), project)


def test_flash_nano33ble_bossac_through_the_arduino_bootloader(fakebin, project, monkeypatch):
    """The Nano 33 BLE: bossac writes the .bin through the Arduino bootloader's USB serial port
    (found by bossac, or the one given) and reads it back (-v); a bootloader that does not answer
    says to double-press reset."""
    built_for(project, "nano33ble")
    fakebin("bossac")
    assert fl.flash(get_board("nano33ble"), project).tool == "bossac"
    fl.flash(get_board("nano33ble"), project, port="/dev/ttyACM1")
    found, given = fakebin.calls()
    assert found[:-1] == ["bossac", "-U", "-i", "-e", "-w", "-v", "-R", str(project / "firmware.bin")]
    assert given[1] == "--port=/dev/ttyACM1" and given[2:-1] == found[1:-1]
    monkeypatch.setenv("FAKE_MODE", "noprobe")
    with pytest.raises(TinygenError, match="no Arduino bootloader answered") as err:
        fl.flash(get_board("nano33ble"), project)
    assert "double-press" in err.value.hint
    monkeypatch.setenv("FAKE_MODE", "noverify")
    with pytest.raises(TinygenError, match="did not confirm that the flash was verified"):
        fl.flash(get_board("nano33ble"), project)


@pytest.mark.parametrize("name, device", [("portenta-h7", "2341:035b"), ("nicla-vision", "2341:035f")])
def test_flash_h747_dfu_util_writes_then_reads_back(fakebin, project, monkeypatch, name, device):
    """The Portenta H7 and Nicla Vision: dfu-util writes the .bin at 0x08040000 through the
    Arduino bootloader (DfuSe, alt 0), then reads as many bytes back (leaving the bootloader);
    the read-back must equal the image."""
    built_for(project, name)
    fakebin("dfu-util")
    monkeypatch.setenv("FAKE_IMAGE", str(project / "firmware.bin"))
    assert fl.flash(get_board(name), project).tool == "dfu-util"
    write, read = fakebin.calls()
    dfu = ["dfu-util", "--device", device, "-a", "0", "--dfuse-address"]
    assert write[:-1] == [*dfu, "0x08040000", "-D", str(project / "firmware.bin")]
    assert read[:-1] == [*dfu, "0x08040000:leave:16", "-U", str(project / "firmware.readback.bin")]
    monkeypatch.setenv("FAKE_READBACK", "differ")
    with pytest.raises(TinygenError, match="read back differs from firmware.bin"):
        fl.flash(get_board(name), project)
    monkeypatch.setenv("FAKE_MODE", "noprobe")
    with pytest.raises(TinygenError, match="no Arduino bootloader in DFU mode found") as err:
        fl.flash(get_board(name), project)
    assert "double-press" in err.value.hint


def test_flash_board_without_tools():
    with pytest.raises(UsageError, match="cannot be flashed"):
        fl.choose_tool(get_board("host"))


@pytest.mark.parametrize("board", [b for b in all_boards() if b.flash.get("tools")], ids=lambda b: b.name)
def test_flash_every_board_file_has_a_plan(board, project):
    """Each board's [flash] table yields command lines for each of its tools, and
    an install line for each."""
    for tool in board.flash["tools"]:
        assert tool in fl.TOOLS, f"{board.name}: unknown flash tool {tool}"
        steps = fl.plan(board, tool, project, port="/dev/ttyUSB0")
        assert steps and all(s.argv[0] == tool for s in steps)
        assert tool in board.flash.get("install", {}), f"{board.name}: no install line for {tool}"


def test_flash_cli_without_model_or_project(capsys):
    from tinygen.cli import main

    assert main(["flash", "--board", "host"]) == 2
    assert "give a MODEL to build" in capsys.readouterr().err


def test_flash_cli_writes_existing_project(fakebin, project, monkeypatch, capsys):
    """`tinygen flash --board B -o DIR --probe openocd`: flashes, then checks the
    board answers; here no board is attached, so the check fails with a clear message."""
    from tinygen.cli import common as cli_common, main

    fakebin("openocd")
    fake = dataclasses.replace(stm32(), serial={"port_hint": str(project / "no-such-tty")})
    monkeypatch.setattr(cli_common, "get_board", lambda name: fake)     # where --board is resolved
    assert main(["flash", "--board", "fake", "-o", str(project), "--probe", "openocd", "-q"]) == 1
    out = capsys.readouterr()
    assert "flashed and verified" in out.out
    assert "no device on" in out.err
    assert [c[0] for c in fakebin.calls()] == ["openocd"]
    assert shlex.split(fakebin.calls()[0][4])[0] == "program"


def test_flash_cli_energy_mode_does_not_ask_the_board(fakebin, project, monkeypatch, capsys):
    """In the EnergyRunner's energy mode the board's serial goes to the runner's IO manager:
    `tinygen flash` flashes and verifies, and does not open the port (it would fail there)."""
    from tinygen.cli import common as cli_common, main

    fakebin("openocd")
    fake = dataclasses.replace(stm32(), serial={"port_hint": str(project / "no-such-tty")},
                               energy={"timestamp_pin": "PF13", "runner": True})
    monkeypatch.setattr(cli_common, "get_board", lambda name: fake)     # where --board is resolved
    assert main(["flash", "--board", "fake", "-o", str(project), "--probe", "openocd", "-q"]) == 0
    out = capsys.readouterr()
    assert "flashed and verified" in out.out and "EnergyRunner's IO manager" in out.out
    assert "no device on" not in out.err


# --- the build's manifest decides which board it may be flashed to or booted on (tinygen.build.built)

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc is not installed (make toolchain installs it)")


@pytest.fixture(scope="module")
def f746_build(tmp_path_factory) -> Path:
    """The mlp example built for the F746ZG (a Cortex-M7 image), once for the module."""
    from e2e import compile_example
    from tinygen.compiler import build

    source, graph = compile_example("mlp")
    out = tmp_path_factory.mktemp("f746") / "mlp"
    build(source, graph, get_board("f746zg"), out)
    return out


@needs_arm
def test_flash_build_records_its_board_and_format(f746_build):
    from tinygen.build.built import check_built

    data = json.loads((f746_build / MANIFEST).read_text())
    assert data["board"] == "nucleo-f746zg" and data["build_format"] == BUILD_FORMAT
    assert data["tinygen_version"] == __version__
    for name in ("f746zg", "nucleo-f746zg"):        # an alias is the same board
        assert check_built(f746_build, get_board(name))["board"] == "nucleo-f746zg"


@needs_arm
def test_flash_cli_refuses_an_f746zg_build_for_the_f446re(fakebin, f746_build, capsys):
    """`tinygen flash --board f446re -o <F746ZG build>`: one line naming both boards, no tool run."""
    from tinygen.cli import main

    fakebin("st-flash")
    assert main(["flash", "--board", "f446re", "-o", str(f746_build), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (f"tinygen flash: error: {f746_build} was built for nucleo-f746zg (cortex-m7), "
                                   f"not nucleo-f446re (cortex-m4): its image is not for this board"), err
    assert "--board nucleo-f746zg" in err and "tinygen build MODEL --board nucleo-f446re" in err
    assert fakebin.calls() == []


@needs_arm
def test_flash_cli_emulate_refuses_an_f746zg_build_on_the_f446re_standin(f746_build, capsys, monkeypatch):
    """--emulate would boot the Cortex-M7 image on the F446RE's Cortex-M4 stand-in: refused, QEMU not started."""
    from tinygen.cli import main
    from tinygen.run import qemu

    def no_qemu(*args, **kwargs):
        raise AssertionError("the stand-in was started")

    monkeypatch.setattr(qemu, "Emulator", no_qemu)
    assert main(["flash", "--board", "f446re", "-o", str(f746_build), "--emulate", "-q"]) == 1
    err = capsys.readouterr().err
    assert "was built for nucleo-f746zg (cortex-m7), not nucleo-f446re (cortex-m4)" in err, err
    assert "AssertionError" not in err and "Traceback" not in err


@needs_arm
def test_flash_cli_writes_a_build_to_its_board_by_alias(fakebin, f746_build, tmp_path, capsys):
    """The same build with --board f746zg (the alias of the board it records): written to 0x08000000."""
    from tinygen.cli import main

    fakebin("st-flash")
    assert main(["flash", "--board", "f746zg", "-o", str(f746_build), "-q", "--port", str(tmp_path / "tty")]) == 1
    out = capsys.readouterr()
    assert "flashed and verified" in out.out and "no device on" in out.err
    (call,) = fakebin.calls()
    assert call[:-1] == ["st-flash", "--reset", "write", str(f746_build / "firmware.bin"), "0x08000000"]


def test_flash_refuses_a_build_for_another_board_before_any_tool(fakebin, project):
    """tinygen.run.flash.flash (also what `tinygen hil --flash` calls) checks the manifest itself."""
    fakebin("st-flash")
    built_for(project, "f746zg")
    board = dataclasses.replace(get_board("f446re"), flash=STM32_FLASH)
    with pytest.raises(TinygenError) as err:
        fl.flash(board, project)
    assert err.value.message == (f"{project} was built for f746zg (cortex-m7), not nucleo-f446re (cortex-m4): "
                                 "its image is not for this board")
    assert fakebin.calls() == []


def test_flash_refuses_a_folder_without_manifest(fakebin, project):
    fakebin("st-flash")
    (project / MANIFEST).unlink()
    with pytest.raises(TinygenError) as err:
        fl.flash(stm32(), project)
    assert err.value.message == f"{project} holds no tinygen build: {MANIFEST} is missing"
    assert f"tinygen build MODEL --board fake-f746 -o {project}" in err.value.hint
    assert fakebin.calls() == []


@pytest.mark.parametrize("fields, says", [
    ({"build_format": None, "tinygen_version": "0.0.9"}, "built by tinygen 0.0.9 (before build formats were recorded)"),
    ({"build_format": BUILD_FORMAT + 1, "tinygen_version": "9.0.0"}, f"built by tinygen 9.0.0 (build format "
                                                                     f"{BUILD_FORMAT + 1})"),
])
def test_flash_refuses_a_build_of_another_format(fakebin, project, fields, says):
    fakebin("st-flash")
    built_for(project, "fake-f746", **fields)
    with pytest.raises(TinygenError) as err:
        fl.flash(stm32(), project)
    assert says in err.value.message
    assert err.value.message.endswith(f"this tinygen {__version__} reads build format {BUILD_FORMAT}")
    assert err.value.hint.startswith("build it again for fake-f746: tinygen build MODEL")
    assert fakebin.calls() == []


@pytest.mark.parametrize("text", ["{not json", "[]", '{"tinygen_version": "0.1.0"}'])
def test_flash_refuses_an_unreadable_manifest(fakebin, project, text):
    fakebin("st-flash")
    (project / MANIFEST).write_text(text)
    with pytest.raises(TinygenError, match="is not a tinygen build manifest"):
        fl.flash(stm32(), project)
    assert fakebin.calls() == []
