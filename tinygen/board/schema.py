"""The board file's schema: every key, its type, whether it is required, what it means, and the
checks a board file passes on load (tinygen.board loads it; docs/boards.md shows SCHEMA as tables,
and a test keeps the page and this table in step).

    check(raw, fail)        # fail("key: what is wrong") on the first problem found

A board file is refused, in one line naming the key, for a key tinygen does not read, a missing
required key, a wrong type, a core or stand-in tinygen does not know, memory regions that are
empty, overlap or cannot be linked (the linked flash and RAM overlapping, a stack as large as the
RAM, a region past the 32-bit address space), or a stand-in whose memories cannot hold the part's.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from tinygen.resources import data_dir

BUILDS = ("host", "cortex-m", "riscv", "esp-idf")   # recipes in tinygen/build/
MEMORY_KINDS = ("flash", "ram")
# The cores tinygen builds for, by build recipe: their startup, cycle counter and kernels are
# tinygen's (a Cortex-M0+ has no DWT cycle counter; an M3 no DSP extension: neither is known)
CORES = {"host": ("host",), "cortex-m": ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"),
         "riscv": ("rv32imc",), "esp-idf": ("xtensa-lx6", "xtensa-lx7", "rv32imc")}
FLASH_TOOLS = ("st-flash", "STM32_Programmer_CLI", "openocd", "pyocd", "picotool", "bossac", "dfu-util", "idf.py",
               "esptool.py")
MiB = 1 << 20


@dataclass(frozen=True)
class StandIn:
    """A QEMU machine tinygen has a firmware port for: its emulator, the cores it emulates and
    the memories an image may be linked into (origin, size), Secure aliases where it has them."""
    qemu: str
    cores: tuple[str, ...]
    memories: tuple[tuple[int, int], ...]


STANDINS = {
    "mps2-an386": StandIn("qemu-system-arm", ("cortex-m4",), ((0x0, 4 * MiB), (0x20000000, 4 * MiB))),
    "mps2-an500": StandIn("qemu-system-arm", ("cortex-m7",), ((0x0, 4 * MiB), (0x20000000, 4 * MiB))),
    "mps2-an505": StandIn("qemu-system-arm", ("cortex-m33",), ((0x10000000, 4 * MiB), (0x38000000, 4 * MiB))),
    "mps3-an547": StandIn("qemu-system-arm", ("cortex-m55",), ((0x70000000, 2048 * MiB), (0x31000000, 4 * MiB))),
    "virt": StandIn("qemu-system-riscv32", ("rv32imc",), ((0x80000000, 128 * MiB),)),
}

# how docs/boards.md names each type
STRING, INTEGER, NUMBER, BOOLEAN = "string", "integer", "number", "boolean"
STRINGS, STRING_OR_STRINGS, TABLE, TABLES = "list of strings", "string or list of strings", "table", "array of tables"
# required: "yes"; "device": unless build = "host"; "no"
YES, DEVICE, NO = "yes", "device", "no"


@dataclass(frozen=True)
class Key:
    type: str
    required: str
    meaning: str
    keys: dict = field(default_factory=dict)     # a table's (or each table's of an array) own keys
    any_key: Key | None = None                   # a table of free names, each of this type


def _k(type_: str, required: str, meaning: str, keys: dict | None = None, any_key: Key | None = None) -> Key:
    return Key(type_, required, meaning, keys or {}, any_key)


SCHEMA = {
    "name": _k(STRING, YES, "the board's name for `--board` (letters, digits, `.`, `_`, `-`; any case)"),
    "aliases": _k(STRINGS, NO, "other names `--board` accepts"),
    "description": _k(STRING, YES, "one line for people: the part, its core, clock and memory"),
    "core": _k(STRING, YES, "the CPU core: " + "; ".join(f"build `{b}`: " + ", ".join(f"`{c}`" for c in cores)
                                                    for b, cores in CORES.items())),
    "isa_features": _k(STRINGS, NO, "what the kernel choice may use: `dsp` (the ARMv7E-M `_dsp` kernels), `mve` "
                                    "(Helium, `_mve`), `rv32im` (`_rv32`), FPU names such as `fpv5-sp`; "
                                    "none: portable C only"),
    "build": _k(STRING, YES, "the build recipe: " + ", ".join(f"`{b}`" for b in BUILDS)),
    "port": _k(STRING, DEVICE, "the folder `firmware/ports/PORT/` of the real part's start-up, clock and UART"),
    "clock_hz": _k(INTEGER, DEVICE, "the core clock the port sets up, in Hz (cycles to time)"),
    "idf_target": _k(STRING, NO, "ESP-IDF boards: the chip `idf.py` builds for (default: the name without `-`)"),
    "platformio": _k(TABLE, NO, "the PlatformIO project", {
        "board": _k(STRING, NO, "PlatformIO's board id (default: tinygen's table, else the name)"),
        "platform": _k(STRING, NO, "PlatformIO's platform (default `ststm32`; `nordicnrf52` for the nRF52840)"),
        "upload_protocol": _k(STRING, NO, "`pio run -t upload`'s protocol (default `stlink`; `sam-ba`, `dfu` "
                                          "through the Arduino bootloaders)")}),
    "toolchain": _k(TABLE, YES, "the C compiler of the real part", {
        "cc": _k(STRING, YES, "the compiler (`arm-none-eabi-gcc`, `gcc`)"),
        "cflags": _k(STRINGS, YES, "its flags; the `-m` ones (CPU, FPU, float ABI) also link"),
        "tools": _k(STRINGS, NO, "other programs the build runs (`arm-none-eabi-objcopy`)"),
        "install": _k(STRING, NO, "the command that installs the toolchain"),
    }),
    "memory": _k(TABLES, DEVICE, "the real part's memory regions: exactly one `flash` and one `ram` region "
                                 "have `link = true` (the linker script's FLASH and RAM); the others (TCMs, "
                                 "SRAM banks) are for `--arena-region` and reports", {
        "name": _k(STRING, YES, "the region's name (unique in the file)"),
        "kind": _k(STRING, YES, "`flash` or `ram`"),
        "origin": _k(INTEGER, YES, "its first address (TOML hex: `0x20000000`)"),
        "size": _k(INTEGER, YES, "its size in bytes, above zero"),
        "link": _k(BOOLEAN, NO, "the linked region of its kind (default false)"),
    }),
    "stack": _k(TABLE, DEVICE, "the stack", {
        "size": _k(INTEGER, YES, "bytes reserved at the top of the linked RAM (a multiple of `8`)")}),
    "serial": _k(TABLE, NO, "the serial link to the host", {
        "baud": _k(INTEGER, NO, "the UART's rate (default `115200`)"),
        "port_hint": _k(STRING, NO, "where its port usually appears (`/dev/ttyACM0`): the default `--port`"),
        "uart": _k(STRING, NO, "which UART and pins, for people"),
    }),
    "flash": _k(TABLE, NO, "how `tinygen flash` writes the real part", {
        "tools": _k(STRINGS, NO, "flash tools tried in this order: " + ", ".join(f"`{t}`" for t in FLASH_TOOLS)),
        "address": _k(INTEGER, NO, "where the image goes (ESP32: the app partition)"),
        "openocd_config": _k(STRING_OR_STRINGS, NO, "OpenOCD's config file(s), each passed with `-f`"),
        "pyocd_target": _k(STRING, NO, "pyOCD's target name"),
        "stm32cubeprog_loader": _k(STRING, NO, "STM32CubeProgrammer's external loader (flash outside the part)"),
        "bootloader_address": _k(INTEGER, NO, "ESP32: where the bootloader goes"),
        "partition_table_address": _k(INTEGER, NO, "ESP32: where the partition table goes"),
        "esptool_chip": _k(STRING, NO, "ESP32: esptool's `--chip`"),
        "dfu_device": _k(STRING, NO, "dfu-util: the bootloader's USB `VID:PID` (`2341:035b`)"),
        "install": _k(TABLE, NO, "per flash tool, the command that installs it", any_key=_k(STRING, NO, "")),
    }),
    "power": _k(TABLE, DEVICE, "for energy estimates, E = V × I × t", {
        "supply_v": _k(NUMBER, YES, "the supply voltage, in V, above zero"),
        "run_current_a": _k(NUMBER, YES, "the run current at `clock_hz`, in A, above zero"),
        "confirmed": _k(BOOLEAN, NO, "true only when read from the datasheet table named in `source`"),
        "source": _k(STRING, YES, "the datasheet, table and conditions the figures come from"),
    }),
    "energy": _k(TABLE, NO, "energy mode: the timestamp pin a meter records", {
        "timestamp_pin": _k(STRING, YES, "STM32 `P<port><bit>` (`PF13`) or ESP32 `GPIO<n>`"),
        "wiring": _k(STRING, YES, "which pin goes to the meter's input, where the current is measured"),
        "idd_jumper": _k(STRING, NO, "the jumper to open for the current path"),
        "runner_baud": _k(INTEGER, NO, "`--energy-runner`: the EnergyRunner IO manager's rate (default `9600`)"),
    }),
    "timing": _k(TABLE, NO, "the stand-in's cycle estimate (`--cycles`)", {
        "model": _k(STRING, YES, "the timing model: `cortex-m4`, `cortex-m7`, `cortex-m33`, `cortex-m55` or "
                                 "`esp32-c3`"),
        "flash_wait_states": _k(INTEGER, NO, "flash wait states at `clock_hz` (the cycles of one cache miss)"),
        "code_cache_bytes": _k(INTEGER, NO, "the instruction cache (or ART accelerator), in bytes"),
        "code_line_bytes": _k(INTEGER, NO, "its line, in bytes"),
        "code_cache_ways": _k(INTEGER, NO, "its lines per set (`0` or absent: fully associative); the cycle "
                                           "estimate simulates it, least recently used, over the executed blocks"),
        "data_cache_bytes": _k(INTEGER, NO, "the cache that data reads from flash (weights) go through, in bytes "
                                            "(`0`: none)"),
        "data_line_bytes": _k(INTEGER, NO, "its line, in bytes (default `16`)"),
        "data_cache_shared": _k(BOOLEAN, NO, "`true`: that cache is the code's and holds flash only (the ESP32-C3, "
                                             "whose one cache serves code and data): weights get what each layer's "
                                             "code leaves of it, not half of it"),
        "data_miss_cycles": _k(INTEGER, NO, "cycles a data read from flash waits on a miss (default: "
                                            "`flash_wait_states`)"),
        "weights_in": _k(STRING, NO, "where the weights are read from: `flash` (default) or `ram` (no wait states)"),
    }),
    "arduino": _k(TABLE, NO, "the board's Arduino core, for `--package arduino`", {
        "fqbn": _k(STRING, YES, "the fully qualified board name arduino-cli takes (`arduino:mbed_nano:nano33ble`)"),
        "architecture": _k(STRING, YES, "what `library.properties`' `architectures=` names for this core (`mbed_nano`)"),
        "cflags": _k(STRINGS, YES, "the flags the core compiles a library's `.c` files with: CPU, FPU and float ABI, "
                                   "`-std`, `-O`, the defines that matter"),
        "cxxflags": _k(STRINGS, YES, "the same for `.cpp` files and the sketch"),
        "serial": _k(STRING, YES, "what the core's `Serial` is on this board, for people"),
    }),
    "camera": _k(TABLE, NO, "a camera on the board's DVP port (`build --camera`)", {
        "driver": _k(STRING, YES, "`esp32-camera`"),
        "sensor": _k(STRING, NO, "the sensor, for people (`OV2640`)"),
        "format": _k(STRING, NO, "what the driver is asked for: `rgb565be`, `yuyv` or `gray`"),
        "frame": _k(STRING, NO, "one of the driver's frame sizes, `WxH`"),
        "xclk_hz": _k(INTEGER, NO, "the sensor clock, in Hz"),
        "psram": _k(BOOLEAN, NO, "the frame buffer in PSRAM (else DRAM)"),
        "sdkconfig": _k(STRINGS, NO, "lines added to `sdkconfig.defaults`"),
        "pins": _k(TABLE, YES, "GPIO of each camera signal, `-1`: not wired", any_key=_k(INTEGER, NO, "")),
    }),
    "emulator": _k(TABLE, NO, "the QEMU stand-in (`--emulate`), absent if none", {
        "qemu": _k(STRING, YES, "the emulator: `qemu-system-arm` or `qemu-system-riscv32`"),
        "machine": _k(STRING, YES, "the machine: " + ", ".join(f"`{m}` ({', '.join(s.cores)})"
                                                               for m, s in STANDINS.items())),
        "port": _k(STRING, YES, "the folder `firmware/ports/PORT/` for the stand-in (`mps2`, `riscv_virt`)"),
        "args": _k(STRINGS, YES, "QEMU's other arguments"),
        "flash_origin": _k(INTEGER, YES, "where the stand-in's image is linked (the part's flash size)"),
        "ram_origin": _k(INTEGER, YES, "where its RAM is linked (the part's RAM size)"),
        "vector_origin": _k(INTEGER, NO, "where the stand-in's core reads its reset vectors, if not flash_origin"),
        "install": _k(STRING, NO, "the command that installs the emulator"),
    }),
    # --package cmsis-pack (tinygen.package.cmsis_pack): the pack's condition names this device
    "cmsis_pack": _k(TABLE, NO, "Cortex-M boards: the part as CMSIS-Packs name it (`--package cmsis-pack`'s "
                                "condition); absent: the condition names the core", {
        "vendor": _k(STRING, YES, "`Dvendor`, as the spec lists it: `NAME:NUMBER` (`STMicroelectronics:13`)"),
        "device": _k(STRING, YES, "`Dname`, as the part's device family pack names it (`STM32F746ZGTx`)"),
    }),
    # --package zephyr (tinygen.package.zephyr): the board its sample is for
    "zephyr": _k(TABLE, NO, "the board as Zephyr names it (`--package zephyr`'s sample allows it); absent: "
                            "Zephyr has no such board", {
        "board": _k(STRING, YES, "the board target `west build -b` takes (`nucleo_f746zg`, `rpi_pico2/rp2350a/m33`)"),
    }),
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_type(v, type_: str) -> bool:
    strings = isinstance(v, list) and all(isinstance(x, str) for x in v)
    return {STRING: isinstance(v, str), INTEGER: _is_int(v), BOOLEAN: isinstance(v, bool),
            NUMBER: _is_int(v) or isinstance(v, float), STRINGS: strings,
            STRING_OR_STRINGS: isinstance(v, str) or strings, TABLE: isinstance(v, dict),
            TABLES: isinstance(v, list) and all(isinstance(x, dict) for x in v)}[type_]


def _a(type_: str) -> str:
    return ("an " if type_[0] in "aeiou" else "a ") + type_


def _check_keys(table: dict, schema: dict, where: str, host: bool, fail) -> None:
    """Unknown keys, missing required ones and wrong types, down every table."""
    for key in table:
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1)
            fail(f"{where}{key}: not a key tinygen reads" + (f" (did you mean {close[0]}?)" if close else ""))
    for key, spec in schema.items():
        if key not in table:
            if spec.required == YES or (spec.required == DEVICE and not host):
                fail(f"{where}{key}: missing ({spec.type}: {spec.meaning})")
            continue
        value = table[key]
        if not _is_type(value, spec.type):
            fail(f"{where}{key} = {value!r}: must be {_a(spec.type)}")
        if spec.type == TABLE and spec.any_key is not None:
            for name, v in value.items():
                if not _is_type(v, spec.any_key.type):
                    fail(f"{where}{key}.{name} = {v!r}: must be {_a(spec.any_key.type)}")
        elif spec.type == TABLE:
            _check_keys(value, spec.keys, f"{where}{key}.", host, fail)
        elif spec.type == TABLES:
            for i, item in enumerate(value):
                _check_keys(item, spec.keys, f"{where}{key}[{item.get('name', i)}].", host, fail)


def _end(r: dict) -> int:
    return r["origin"] + r["size"]


def _overlap(a: dict, b: dict) -> bool:
    return a["origin"] < _end(b) and b["origin"] < _end(a)


def _inside(a: dict, b: dict) -> bool:
    return b["origin"] <= a["origin"] and _end(a) <= _end(b)


def _check_memory(regions: list[dict], stack: int, fail) -> None:
    names: set[str] = set()
    for r in regions:
        key = f"memory[{r['name']}]"
        if r["name"] in names:
            fail(f"{key}.name: a second region of that name")
        names.add(r["name"])
        if r["kind"] not in MEMORY_KINDS:
            fail(f"{key}.kind = {r['kind']!r}: not one of {', '.join(MEMORY_KINDS)}")
        if r["size"] <= 0 or r["origin"] < 0:
            fail(f"{key}.size = {r['size']}: a region needs an origin at or above 0 and a size above 0 bytes")
        if _end(r) > 1 << 32:
            fail(f"{key}: 0x{r['origin']:X} + 0x{r['size']:X} ends past the 32-bit address space")
    for i, a in enumerate(regions):
        for b in regions[i + 1:]:
            nested = _inside(a, b) or _inside(b, a)
            if _overlap(a, b) and (not nested or a["kind"] != b["kind"]):
                fail(f"memory[{b['name']}]: overlaps memory[{a['name']}] (0x{a['origin']:X}..0x{_end(a):X}); "
                     "regions may only lie wholly inside another of the same kind")
    linked = {}
    for kind in MEMORY_KINDS:
        mine = [r for r in regions if r["kind"] == kind and r.get("link", False)]
        if len(mine) != 1:
            fail(f"memory: {len(mine)} regions with kind = \"{kind}\" and link = true; exactly one is linked")
        linked[kind] = mine[0]
        if mine[0]["origin"] % 4:
            fail(f"memory[{mine[0]['name']}].origin = 0x{mine[0]['origin']:X}: a linked region starts on 4 bytes")
    if _overlap(linked["flash"], linked["ram"]):
        fail(f"memory[{linked['ram']['name']}]: the linked RAM overlaps the linked flash")
    if stack <= 0 or stack % 8 or stack >= linked["ram"]["size"]:
        fail(f"stack.size = {stack}: give a multiple of 8 bytes above 0 and below the linked RAM's "
             f"{linked['ram']['size']} bytes")


def _check_emulator(raw: dict, fail) -> None:
    emu = raw["emulator"]
    standin = STANDINS.get(emu["machine"])
    if standin is None:
        fail(f"emulator.machine = {emu['machine']!r}: not a stand-in tinygen has a port for "
             f"({', '.join(STANDINS)})")
    if emu["qemu"] != standin.qemu:
        fail(f"emulator.qemu = {emu['qemu']!r}: {emu['machine']} runs on {standin.qemu}")
    if raw["core"] not in standin.cores:
        fail(f"emulator.machine = {emu['machine']!r}: emulates {', '.join(standin.cores)}, not this board's "
             f"core {raw['core']}")
    _check_port(emu["port"], "emulator.port", fail)
    windows = []
    for kind in MEMORY_KINDS:
        region = next(r for r in raw["memory"] if r["kind"] == kind and r.get("link", False))
        key = f"{kind}_origin"
        window = {"origin": emu[key], "size": region["size"]}
        if not any(_inside(window, {"origin": o, "size": s}) for o, s in standin.memories):
            fail(f"emulator.{key} = 0x{emu[key]:X}: {emu['machine']} has no memory there for the part's "
                 f"{region['size']} bytes of {kind} (" + ", ".join(f"0x{o:X} + 0x{s:X}" for o, s in
                                                              standin.memories) + ")")
        windows.append(window)
    if _overlap(*windows):
        fail(f"emulator.ram_origin = 0x{emu['ram_origin']:X}: the stand-in's RAM overlaps its flash image "
             f"(0x{emu['flash_origin']:X} + 0x{windows[0]['size']:X})")


def _check_port(port: str, key: str, fail) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_]+", port) or not (data_dir("firmware") / "ports" / port).is_dir():
        ports = sorted(p.name for p in (data_dir("firmware") / "ports").iterdir() if p.is_dir())
        fail(f"{key} = {port!r}: not a folder of firmware/ports/ ({', '.join(ports)})")


def _check_cmsis_pack(table: dict, build: str, fail) -> None:
    if build != "cortex-m":
        fail(f"cmsis_pack: a table for Cortex-M boards (build = \"cortex-m\"), not build = {build!r}")
    if not re.fullmatch(r"[^:]+:[0-9]+", table["vendor"]):
        fail(f"cmsis_pack.vendor = {table['vendor']!r}: give it as the spec's vendor list does, NAME:NUMBER "
             "(STMicroelectronics:13)")
    if not re.fullmatch(r"[A-Za-z0-9][-_A-Za-z0-9.()+]*", table["device"]):
        fail(f"cmsis_pack.device = {table['device']!r}: a device name (Dname) such as STM32F746ZGTx")


def _check_zephyr(table: dict, fail) -> None:
    if not re.fullmatch(r"[a-z0-9_]+(/[a-z0-9_]+)*", table["board"]):
        fail(f"zephyr.board = {table['board']!r}: a Zephyr board target such as nucleo_f746zg or "
             "rpi_pico2/rp2350a/m33 (the board, then its SoC and CPU cluster, lower case)")


def check(raw: dict, fail) -> None:
    """Call fail("KEY: what is wrong") at the first problem of the board file `raw` (a parsed TOML)."""
    build = raw.get("build")
    _check_keys(raw, SCHEMA, "", build == "host", fail)
    names = [("name", raw["name"])] + [(f"aliases[{i}]", a) for i, a in enumerate(raw.get("aliases", []))]
    for key, value in names:
        if not _NAME.match(value):
            fail(f"{key} = {value!r}: use letters, digits, '.', '_' and '-', starting with a letter or digit")
    if build not in BUILDS:
        fail(f"build = {build!r}: not a recipe tinygen knows ({', '.join(BUILDS)})")
    if raw["core"] not in CORES[build]:
        fail(f"core = {raw['core']!r}: not a core tinygen builds for with build = {build!r} "
             f"({', '.join(CORES[build])})")
    if build != "host":
        if raw["clock_hz"] <= 0:
            fail(f"clock_hz = {raw['clock_hz']}: give the core clock in Hz, above zero")
        _check_port(raw["port"], "port", fail)
        _check_memory(raw["memory"], raw["stack"]["size"], fail)
        for key in ("supply_v", "run_current_a"):
            if raw["power"][key] <= 0:
                fail(f"power.{key} = {raw['power'][key]}: must be above zero")
    for tool in raw.get("flash", {}).get("tools", []):
        if tool not in FLASH_TOOLS:
            fail(f"flash.tools: {tool!r} is not a flash tool tinygen drives ({', '.join(FLASH_TOOLS)})")
    if "cmsis_pack" in raw:
        _check_cmsis_pack(raw["cmsis_pack"], build, fail)
    if "zephyr" in raw:
        _check_zephyr(raw["zephyr"], fail)
    if "emulator" in raw:
        if build == "host":
            fail("emulator: the host board runs here; it has no stand-in")
        _check_emulator(raw, fail)


_REQUIRED = {YES: "yes", DEVICE: "unless `build = \"host\"`", NO: "no"}


def markdown() -> str:
    """SCHEMA as docs/boards.md shows it: the top-level keys, then one table per TOML table."""
    def rows(schema: dict, prefix: str) -> list[str]:
        return [f"| `{prefix}{key}` | {spec.type} | {_REQUIRED[spec.required]} | {spec.meaning} |"
                for key, spec in schema.items()]

    head = ["| key | type | required | meaning |", "|---|---|---|---|"]
    out = ["### Top-level keys", "", *head, *rows(SCHEMA, "")]
    for key, spec in SCHEMA.items():
        if spec.type not in (TABLE, TABLES):
            continue
        header = f"[[{key}]]" if spec.type == TABLES else f"[{key}]"
        out += ["", f"### `{header}`", "", spec.meaning[0].upper() + spec.meaning[1:] + ".", ""]
        if spec.any_key is not None:
            out.append(f"Any key, each {_a(spec.any_key.type)}.")
            continue
        out += [*head, *rows(spec.keys, "")]
        for sub, subspec in spec.keys.items():
            if subspec.any_key is not None:
                out += ["", f"`[{key}.{sub}]`: {subspec.meaning}; any key, each {_a(subspec.any_key.type)}."]
    return "\n".join(out) + "\n"


__all__ = ["BUILDS", "CORES", "FLASH_TOOLS", "Key", "MEMORY_KINDS", "SCHEMA", "STANDINS", "StandIn", "check",
           "markdown"]
