"""Write a built firmware to a real board with the vendor's tools.

    flash(get_board("f746zg"), "build/kws")                    # first installed of [flash].tools
    flash(get_board("f746zg"), "build/kws", probe="openocd")

STM32 (ST-LINK on the Nucleo and Discovery kits): st-flash, STM32CubeProgrammer's
STM32_Programmer_CLI (with an external loader for the STM32N6570-DK's XSPI flash),
openocd or pyocd; Raspberry Pi Pico 2: picotool (through the boot ROM's USB, BOOTSEL
held) or openocd (SWD); Arduino Nano 33 BLE: bossac through the Arduino bootloader's USB
serial port; Arduino Portenta H7 and Nicla Vision: dfu-util through the Arduino bootloader's
USB DFU interface; ESP32: idf.py in the generated ESP-IDF project, or esptool.
Every path verifies what it wrote:
- st-flash: `write` reads the flash back after programming and prints "Flash
  written and verified" (there is no flag for it; it always verifies);
- STM32_Programmer_CLI: `-w FILE ADDR -v` reads the flash back ("Download verified successfully");
- picotool: `load --verify` reads the flash back ("Verifying Flash: ... OK");
- bossac: `-v` reads the flash back after writing ("Verify successful");
- dfu-util: has no verify option, so the image is written without leaving the bootloader,
  read back with a DfuSe upload (which then leaves it and starts the image) and compared here;
- openocd: `program FILE verify reset exit` runs verify_image ("** Verified OK **");
- pyocd: `pyocd flash` has no verify option, so a second call,
  `pyocd commander -c "compare ADDR firmware.bin"`, reads the flash back ("All N bytes match");
- esptool `write_flash` (and idf.py, which calls it) checks an MD5 of every
  region after writing ("Hash of data verified").

Before any tool runs, the build's manifest must say it was made for this board
(tinygen.build.built): an F746ZG's image is never written into an F446RE.

These command lines are tested against stand-in scripts (tests/run/test_flash.py),
not against hardware: no board is attached where tinygen is developed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinygen.board import Board
from tinygen.build.built import check_built
from tinygen.errors import TinygenError, ToolchainError, UsageError

TIMEOUT = 300

NO_STLINK_HINT = ("connect the board's USB (CN1, the ST-LINK connector on Nucleo boards), check the cable "
                  "carries data and `lsusb` lists an ST-LINK; close other debuggers (STM32CubeIDE, st-util)")
NO_PICO_HINT = ("hold the Pico 2's BOOTSEL button while plugging its USB in (picotool talks to the boot ROM), "
                "or wire a Debug Probe to its SWD pins and use --probe openocd")
NO_BOSSA_HINT = ("double-press the Nano 33 BLE's reset button (the orange LED pulses while the bootloader waits) "
                 "and flash again; give the bootloader's port with --port /dev/ttyACM0 if bossac finds none")
NO_DFU_HINT = ("double-press the board's reset button (the green LED pulses while the bootloader waits) and flash "
               "again; `dfu-util --list` should show the board ([flash] dfu_device); on Linux install Arduino's "
               "udev rules for it")
NO_ESP_HINT = ("connect the board's USB (the UART bridge port), check `ls /dev/ttyUSB* /dev/ttyACM*` and pass it "
               "with --port; hold BOOT while pressing EN if it still does not connect")


@dataclass(frozen=True)
class Step:
    argv: list[str]
    verified: re.Pattern        # text that proves the write was verified
    cwd: Path | None = None
    readback: Path | None = None   # a file the step reads the flash into, to equal `expect`
    expect: Path | None = None


@dataclass(frozen=True)
class Tool:
    name: str
    no_device: re.Pattern       # the tool's way of saying no probe / board answers
    no_device_message: str
    hint: str


TOOLS = {
    "st-flash": Tool("st-flash", re.compile(r"found 0 stlink|couldn't find any st-?link|no st-?link|"
                                            r"stlink_open_usb|unable to open|failed to (?:enter|connect)", re.I),
                     "no ST-LINK found", NO_STLINK_HINT),
    "openocd": Tool("openocd", re.compile(r"open failed|unable to find|no device found|couldn't find|"
                                          r"libusb_open\(\) failed|no matching adapter", re.I),
                    "no ST-LINK found", NO_STLINK_HINT),
    "pyocd": Tool("pyocd", re.compile(r"no (?:available|connected) debug probes|no target device available", re.I),
                  "no debug probe found", NO_STLINK_HINT),
    "STM32_Programmer_CLI": Tool("STM32_Programmer_CLI",
                                 re.compile(r"no (?:st-?link|debug probe) detected|no stm32 target found|"
                                            r"unable to get core id", re.I),
                                 "no ST-LINK or no target found", NO_STLINK_HINT),
    "picotool": Tool("picotool", re.compile(r"no accessible rp-series devices|no accessible rp2\d{3} devices", re.I),
                     "no RP2350 in BOOTSEL mode found", NO_PICO_HINT),
    "bossac": Tool("bossac", re.compile(r"no device found|no serial ports? (?:available|found)", re.I),
                   "no Arduino bootloader answered", NO_BOSSA_HINT),
    "dfu-util": Tool("dfu-util", re.compile(r"no dfu capable usb device", re.I),
                     "no Arduino bootloader in DFU mode found", NO_DFU_HINT),
    "idf.py": Tool("idf.py", re.compile(r"failed to connect|could not open port|no serial data received|"
                                        r"no such file or directory: '/dev", re.I),
                   "no ESP32 answered", NO_ESP_HINT),
    "esptool.py": Tool("esptool.py", re.compile(r"failed to connect|could not open port|no serial data received",
                                                re.I),
                       "no ESP32 answered", NO_ESP_HINT),
}
TOOLS["esptool"] = Tool("esptool", TOOLS["esptool.py"].no_device, "no ESP32 answered", NO_ESP_HINT)


@dataclass
class FlashResult:
    tool: str
    commands: list[list[str]]
    output: str


def _artifact(project: Path, name: str) -> Path:
    path = project / name
    if not path.is_file():
        raise TinygenError(f"{path} is missing", f"build the project for the board first: tinygen build MODEL "
                                                 f"--board BOARD -o {project}")
    return path


def _address(board: Board) -> str:
    return f"0x{int(board.flash.get('address', 0x08000000)):08x}"


def plan(board: Board, tool: str, project: Path, port: str | None = None) -> list[Step]:
    """The commands that write and verify `project`'s firmware with `tool`."""
    f = board.flash
    if tool == "st-flash":
        binary = _artifact(project, "firmware.bin")
        return [Step(["st-flash", "--reset", "write", str(binary), _address(board)],
                     re.compile(r"written and verified", re.I))]
    if tool == "openocd":
        elf = _artifact(project, "firmware.elf")
        configs = openocd_configs(board)
        return [Step(["openocd", *(a for c in configs for a in ("-f", c)), "-c", f"program {elf} verify reset exit"],
                     re.compile(r"verified ok", re.I))]
    if tool == "STM32_Programmer_CLI":
        binary = _artifact(project, "firmware.bin")
        loader = _external_loader(board)
        return [Step(["STM32_Programmer_CLI", "-c", "port=SWD", "mode=UR", *(["-el", loader] if loader else []),
                      "-w", str(binary), _address(board), "-v", "-rst"],
                     re.compile(r"download verified successfully", re.I))]
    if tool == "picotool":
        elf = _artifact(project, "firmware.elf")
        return [Step(["picotool", "load", "--verify", "--execute", "-t", "elf", str(elf)],
                     re.compile(r"verifying.*?\bok\b", re.I | re.S))]
    if tool == "bossac":
        binary = _artifact(project, "firmware.bin")
        where = [f"--port={port}"] if port else []     # else bossac looks for the bootloader on every port
        return [Step(["bossac", *where, "-U", "-i", "-e", "-w", "-v", "-R", str(binary)],
                     re.compile(r"verify successful", re.I))]
    if tool == "dfu-util":
        binary = _artifact(project, "firmware.bin")
        device = f.get("dfu_device")
        if not device:
            raise UsageError(f"board {board.name} names no DFU device ([flash] dfu_device)", "use --probe openocd")
        dfu = ["dfu-util", "--device", device, "-a", "0"]
        readback = project / "firmware.readback.bin"
        readback.unlink(missing_ok=True)               # dfu-util will not write over a file
        return [Step([*dfu, "--dfuse-address", _address(board), "-D", str(binary)],
                     re.compile(r"download done|file downloaded successfully", re.I)),
                Step([*dfu, "--dfuse-address", f"{_address(board)}:leave:{binary.stat().st_size}", "-U",
                      str(readback)], re.compile(r"upload done", re.I), readback=readback, expect=binary)]
    if tool == "pyocd":
        elf, binary = _artifact(project, "firmware.elf"), _artifact(project, "firmware.bin")
        target = f.get("pyocd_target")
        if not target:
            raise UsageError(f"board {board.name} names no pyocd target ([flash] pyocd_target)",
                             "use --probe st-flash or openocd")
        return [Step(["pyocd", "flash", "-t", target, str(elf)], re.compile("")),
                Step(["pyocd", "commander", "-t", target, "-c", f"compare {_address(board)} {binary}"],
                     re.compile(r"all \d+ bytes match", re.I))]
    if tool in ("esptool.py", "esptool"):
        args = _artifact(project, "build/flash_args")
        chip = f.get("esptool_chip", "esp32")
        return [Step([tool, "--chip", chip, "-p", _need_port(board, port), "write_flash", f"@{args.name}"],
                     re.compile(r"hash of data verified", re.I), cwd=args.parent)]
    if tool == "idf.py":
        _artifact(project, "CMakeLists.txt")
        return [Step(["idf.py", "-p", _need_port(board, port), "flash"],
                     re.compile(r"hash of data verified", re.I), cwd=project)]
    raise UsageError(f"unknown flash tool {tool!r}", f"{board.name} supports: {', '.join(f.get('tools', []))}")


def openocd_configs(board: Board) -> list[str]:
    """The board's OpenOCD configuration files ([flash] openocd_config: one, or a list such as
    an interface and a target), each passed with -f."""
    config = board.flash.get("openocd_config", "board/st_nucleo_f7.cfg")
    return [config] if isinstance(config, str) else list(config)


def _external_loader(board: Board) -> str | None:
    """STM32CubeProgrammer's external loader for a board whose flash is outside the part
    ([flash] stm32cubeprog_loader): the file in the ExternalLoader folder beside the
    installed STM32_Programmer_CLI (its bin/), or the name as given."""
    name = board.flash.get("stm32cubeprog_loader")
    if not name:
        return None
    cli = shutil.which("STM32_Programmer_CLI")
    found = Path(cli).resolve().parent / "ExternalLoader" / name if cli else None
    return str(found) if found is not None and found.is_file() else name


def _need_port(board: Board, port: str | None) -> str:
    port = port or board.serial.get("port_hint")
    if not port:
        raise UsageError(f"flashing {board.name} needs its serial port", "pass --port /dev/ttyUSB0")
    return port


def choose_tool(board: Board, probe: str | None = None) -> str:
    """The probe tool to use: `probe` if given and installed, else the first
    installed tool of the board's [flash].tools order."""
    tools = list(board.flash.get("tools", []))
    install = board.flash.get("install", {})
    if not tools:
        raise UsageError(f"board {board.name} cannot be flashed (no [flash] tools in {board.path.name if board.path else 'its file'})",
                         "run it on its emulated stand-in with --emulate, or on the host")
    if probe is not None:
        if probe not in tools and probe not in TOOLS:
            raise UsageError(f"unknown probe tool {probe!r} for {board.name}", f"choose one of: {', '.join(tools)}")
        if shutil.which(probe) is None:
            line = install.get(probe)
            raise ToolchainError(f"{probe} is not installed", f"install it: {line}" if line else None)
        return probe
    for tool in tools:
        if shutil.which(tool) is not None:
            return tool
    lines = "; ".join(f"{t}: {install[t]}" for t in tools if t in install)
    raise ToolchainError(f"no flash tool for {board.name} is installed (looked for {', '.join(tools)})",
                         f"install one: {lines}" if lines else f"install one of {', '.join(tools)}")


def flash(board: Board, project: str | Path, probe: str | None = None, port: str | None = None,
          log=lambda msg: None) -> FlashResult:
    """Write and verify the firmware in `project` on the board; raise with a hint on failure.
    A build made for another board or by a tinygen of another build format is refused
    before any tool runs (tinygen.build.built)."""
    project = Path(project)
    check_built(project, board)
    tool = choose_tool(board, probe)
    steps = plan(board, tool, project, port)
    spec = TOOLS[tool]
    output = []
    for step in steps:
        log("$ " + " ".join(step.argv))
        try:
            r = subprocess.run(step.argv, cwd=step.cwd, capture_output=True, text=True, errors="replace",
                               timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise TinygenError(f"{tool} did not finish within {TIMEOUT}s", spec.hint) from None
        text = r.stdout + r.stderr
        output.append(text)
        if spec.no_device.search(text):
            raise TinygenError(f"{spec.no_device_message}: {tool} could not reach the board", spec.hint)
        if r.returncode != 0:
            raise TinygenError(f"{tool} failed (exit status {r.returncode}):\n{_tail(text)}", spec.hint)
        if not step.verified.search(text):
            raise TinygenError(f"{tool} finished but did not confirm that the flash was verified:\n{_tail(text)}",
                               "flash again; if it persists, erase the chip and retry")
        if step.readback is not None and not _same(step.readback, step.expect):
            raise TinygenError(f"{tool}: the flash read back differs from {step.expect.name}",
                               "flash again; if it persists, erase the chip and retry")
    return FlashResult(tool, [s.argv for s in steps], "".join(output))


def _same(readback: Path, expect: Path) -> bool:
    return readback.is_file() and readback.read_bytes() == expect.read_bytes()


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


__all__ = ["FlashResult", "TOOLS", "choose_tool", "flash", "openocd_configs", "plan"]
