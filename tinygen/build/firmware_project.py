"""Firmware projects: the generated model plus the runtime, the board support,
linker scripts and build files for one microcontroller board.

Added to a project that write_project() already holds (model.c/.h,
weights.c/.h, tinygen/kernels/, tinygen.json):

    tinygen/runtime/            the on-device protocol (firmware/runtime)
    tinygen/ports/<port>/       board support of the real part and of its stand-in
    linker/<board>.ld           the real part's memory map
    linker/<board>-emu.ld       the stand-in's addresses with the real part's sizes
    Makefile                    all → firmware.elf/.bin/.hex, emu → firmware-emu.elf, size, flash, clean
    CMakeLists.txt, cmake/      the same images with CMake (Cortex-M)
    platformio.ini              the same sources for PlatformIO
    ESP-IDF boards: CMakeLists.txt (project), main/CMakeLists.txt, sdkconfig.defaults

Every decision (sources, flags, addresses, commands) is made here; the
templates in templates/firmware/ only render it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from tinygen import __version__
from tinygen.board import Board
from tinygen.build.memory import ESP_IDF_APP_OFFSET, linker_memory
from tinygen.build.toolchain import WARNINGS, Toolchain, math_layers, real_toolchain, standin_toolchain
from tinygen.codegen.audio import TABLES_C, frontend_of
from tinygen.codegen.build_flags import model_flags
from tinygen.codegen.camera import camera_project
from tinygen.codegen.kernel_files import kernel_sources
from tinygen.codegen.firmware_files import copy_firmware, runtime_files
from tinygen.codegen.libm_cmd import libm_sources
from tinygen.codegen.templating import template_env
from tinygen.errors import TinygenError
from tinygen.ir import Graph
from tinygen.kernels.cmsis_nn_tree import PIO_TAG, TESTED, URL, find_cmsis_nn, source_key
from tinygen.kernels.esp_nn_tree import COMPONENT as ESP_NN_COMPONENT
from tinygen.kernels.esp_nn_tree import INCLUDES as ESP_NN_INCLUDES
from tinygen.kernels.esp_nn_tree import URL as ESP_NN_URL
from tinygen.kernels.esp_nn_tree import find_esp_nn, require_esp32
from tinygen.kernels.table import KERNELS_BY_NAME

RECIPES = ("cortex-m", "esp-idf")       # board.build values this module writes projects for
COMMON_INCLUDES = (".", "tinygen/kernels", "tinygen/runtime")
RUNTIME_DIRS = ("tinygen/runtime/", "tinygen/audio/")   # every image's runtime: the protocol, the audio commands

# PlatformIO board ids, where the board file names none ([platformio] board = ...).
PIO_BOARDS = {
    "nucleo-f746zg": "nucleo_f746zg", "nucleo-f767zi": "nucleo_f767zi", "nucleo-f446re": "nucleo_f446re",
    "esp32-devkitc": "esp32dev", "esp32-s3": "esp32-s3-devkitc-1", "esp32-c3": "esp32-c3-devkitm-1",
}


@dataclass
class Image:
    """One firmware image the generated Makefile builds."""
    key: str                                  # "firmware" or "firmware-emu"
    goal: str                                 # make goal: "all" or "emu"
    what: str                                 # for people: "STM32F746ZG" / "the mps2-an500 stand-in"
    toolchain: Toolchain
    ports: list[str]                          # firmware/ports/<port> folders
    sources: list[str]                        # every C / assembly source, relative to the project
    ldscript: str                             # linker/<board>[-emu].ld
    regions: dict[str, tuple[int, int]]       # "flash"/"ram" → (origin, size) as linked
    binaries: bool                            # also .bin and .hex (images for flash tools)
    boot_origin: int | None = None            # stand-ins reading their reset vectors outside the flash

    @property
    def elf(self) -> str:
        return f"{self.key}.elf"


@dataclass
class FirmwareProject:
    images: list[Image]
    files: list[str]                          # the build files written
    idf_target: str | None = None             # ESP-IDF boards: the chip idf.py builds for


def _copy_sources(ports: list[str], dest: Path, with_main: bool = True,
                  frontend=None) -> tuple[list[str], list[str]]:
    """Copy the runtime (the audio front end's files with it) and the ports into dest/tinygen/;
    return (runtime sources, port sources)."""
    try:
        files = list(dict.fromkeys(f for port in ports for f in runtime_files(port, with_main, frontend)))
    except FileNotFoundError as e:
        raise TinygenError(str(e), "reinstall tinygen: the wheel ships firmware/ports/") from None
    sources = copy_firmware(files, dest)
    return ([s for s in sources if s.startswith(RUNTIME_DIRS)],
            [s for s in sources if s.startswith("tinygen/ports/")])


def _regions(board: Board, flash_origin: int, ram_origin: int) -> dict[str, tuple[int, int]]:
    flash, ram = board.region("flash"), board.region("ram")
    if flash is None or ram is None:
        raise TinygenError(f"board {board.name!r} has no linked flash and RAM regions",
                           f"add [[memory]] regions with kind \"flash\" / \"ram\" and link = true to {board.path}")
    return {"flash": (flash_origin, int(flash["size"])), "ram": (ram_origin, int(ram["size"]))}


def _linker_script(env: jinja2.Environment, toolchain: Toolchain, regions: dict, stack: int, board: Board,
                   arena_region: str | None, boot_origin: int | None = None) -> str:
    (flash_origin, flash_size), (ram_origin, _) = regions["flash"], regions["ram"]
    mem = linker_memory(board, arena_region, ram_origin)
    arena = mem["arena"] and {**mem["arena"], "origin": f"0x{mem['arena']['origin']:08X}",
                              "size": f"0x{mem['arena']['size']:X}"}
    return env.get_template(f"linker/{toolchain.linker_template}").render(
        flash_origin=f"0x{flash_origin:08X}", flash_size=f"0x{flash_size:X}",
        ram_origin=f"0x{mem['ram_origin']:08X}", ram_size=f"0x{mem['ram_size']:X}", stack_size=f"0x{stack:X}",
        arena=arena, boot_origin=f"0x{boot_origin:08X}" if boot_origin is not None else None)


def _images(board: Board, dest: Path, env: jinja2.Environment, model_srcs: list[str],
            arena_region: str | None = None, frontend=None, graph: Graph | None = None) -> list[Image]:
    """The real part's image (if tinygen compiles it) and the stand-in's (if there is one and it
    can link the model: a freestanding stand-in has no libm for the float kernels calling it)."""
    images = []
    real = real_toolchain(board)
    if real is not None:
        regions = _regions(board, int(board.region("flash")["origin"]), int(board.region("ram")["origin"]))
        images.append(Image("firmware", "all", board.description.split(":")[0] or board.name, real,
                            ["cortexm", board.port], [], f"linker/{board.name}.ld", regions, True))
    emu = standin_toolchain(board)
    if emu is not None and not (graph is not None and math_layers(graph, emu)):
        e = board.emulator
        regions = _regions(board, int(e.get("flash_origin", 0)), int(e.get("ram_origin", 0)))
        ports = (["cortexm"] if emu.linker_template == "cortex-m.ld.j2" else []) + [e["port"]]
        images.append(Image("firmware-emu", "emu", f"the {e['machine']} stand-in", emu, ports, [],
                            f"linker/{board.name}-emu.ld", regions, False, e.get("vector_origin")))
    (dest / "linker").mkdir(exist_ok=True)
    for image in images:
        runtime, ports = _copy_sources(image.ports, dest, frontend=frontend)
        image.sources = model_srcs + runtime + ports
        (dest / image.ldscript).write_text(_linker_script(env, image.toolchain, image.regions, board.stack_size,
                                                          board, arena_region, image.boot_origin))
    return images


def roomy_linker_script(graph: Graph, dest: Path, board: Board, image: Image,
                        size: int) -> tuple[str, dict[str, tuple[int, int]]]:
    """Write beside `image`'s linker script (written by write_firmware_project) the same script
    with its linked flash and RAM regions at least `size` bytes each, for a probe that measures
    an image even where it is larger than the part (tinygen/build/code_size.py): its path
    relative to `dest` and the regions as linked. Sections are laid out as in the part's script."""
    roomy = replace(board, memory=tuple(dict(r, size=max(int(r["size"]), size)) if r.get("link") else r
                                        for r in board.memory))
    regions = {kind: (origin, max(length, size)) for kind, (origin, length) in image.regions.items()}
    path = str(Path(image.ldscript).with_suffix(".roomy.ld"))
    (dest / path).write_text(_linker_script(template_env(), image.toolchain, regions, board.stack_size, roomy,
                                            graph.meta["memory"].region, image.boot_origin))
    return path, regions


def _flash_commands(board: Board) -> list[tuple[str, str]]:
    """(make target, command) per flash tool of the board file, the preferred one as `flash`."""
    f = board.flash
    address = f"0x{int(f.get('address', 0x08000000)):08X}"
    config = f.get("openocd_config", "")
    configs = " ".join(f"-f {c}" for c in ([config] if isinstance(config, str) else config))
    loader = f" -el {f['stm32cubeprog_loader']}" if f.get("stm32cubeprog_loader") else ""
    known = {
        "st-flash": f"st-flash --reset write firmware.bin {address}",
        "STM32_Programmer_CLI": f"STM32_Programmer_CLI -c port=SWD mode=UR{loader} -w firmware.bin {address} -v -rst",
        "picotool": "picotool load --verify --execute -t elf firmware.elf",
        "openocd": f"openocd {configs} -c \"program firmware.elf verify reset exit\"",
        "pyocd": f"pyocd flash -t {f.get('pyocd_target', '')} firmware.elf",
        "bossac": "bossac -U -i -e -w -v -R firmware.bin",
        "dfu-util": f"dfu-util --device {f.get('dfu_device', '')} -a 0 --dfuse-address {address}:leave -D firmware.bin",
    }
    usable = [t for t in f.get("tools", []) if t in known
              and (t != "openocd" or f.get("openocd_config")) and (t != "pyocd" or f.get("pyocd_target"))
              and (t != "dfu-util" or f.get("dfu_device"))]
    commands = [(f"flash-{t}", known[t]) for t in usable]
    return ([("flash", commands[0][1])] + commands) if commands else []


def _toolchain_vars(images: list[Image]) -> list[dict]:
    """Make variables per distinct toolchain: CC, CFLAGS... then EMU_CC... for a second one."""
    seen: list[Toolchain] = []
    for image in images:
        if image.toolchain not in seen:
            seen.append(image.toolchain)
    return [{"prefix": "" if i == 0 else "EMU_", "tc": tc, "cflags": " ".join(tc.cflags),
             "ldflags": " ".join(tc.ldflags), "libs": " ".join(tc.libs)} for i, tc in enumerate(seen)]


def _include_dirs(image: Image, extra: tuple[str, ...] = ()) -> list[str]:
    return list(COMMON_INCLUDES) + list(extra) + [f"tinygen/ports/{p}" for p in image.ports]


def _cmsis_nn(graph: Graph) -> dict | None:
    """The CMSIS-NN tree and the sources of it (relative to its Source/) that the model's
    CMSIS-NN layers need; None when no layer runs on CMSIS-NN."""
    specs = [KERNELS_BY_NAME[n.kernel] for n in graph.nodes if n.kernel]
    ops = {source_key(s.op, s.act_dtype) for s in specs if s.backend == "cmsis-nn"}
    if not ops:
        return None
    tree = find_cmsis_nn(graph.meta.get("cmsis_nn", {}).get("path"))   # still there, still CMSIS-NN
    return {"path": tree.path.as_posix(), "version": tree.version, "sources": tree.sources(ops),
            "url": URL, "tag": PIO_TAG, "adapters": "tinygen/cmsis_nn"}


def _esp_nn(graph: Graph, board: Board) -> dict | None:
    """The ESP-NN tree and its portable C sources (relative to its src/) that the model's
    ESP-NN layers need; None when no layer runs on ESP-NN."""
    ops = {n.op for n in graph.nodes if n.kernel and KERNELS_BY_NAME[n.kernel].backend == "esp-nn"}
    if not ops:
        return None
    require_esp32(board)
    tree = find_esp_nn(graph.meta.get("esp_nn", {}).get("path"))      # still there, still ESP-NN
    return {"path": tree.path.as_posix(), "version": tree.version, "sources": tree.sources(ops),
            "url": ESP_NN_URL, "component": ESP_NN_COMPONENT, "component_version": tree.component_version,
            "adapters": "tinygen/esp_nn", "includes": [f"$(ESP_NN)/{d}" for d in ESP_NN_INCLUDES]}


def _image_vars(images: list[Image], toolchains: list[dict], common: list[str], cmsis_nn: dict | None,
                includes: tuple[str, ...] = (), esp_nn: dict | None = None) -> list[dict]:
    """What the build-file templates print for each image (`includes`: the camera front end's folders)."""
    out = []
    for image in images:
        tc = next(t for t in toolchains if t["tc"] == image.toolchain)
        outputs = [image.elf] + ([f"{image.key}.bin", f"{image.key}.hex"] if image.binaries else [])
        # CMSIS-NN / ESP-NN: the adapters' folder, then the tree's headers (a make / CMake variable)
        extra = [lib["adapters"] for lib in (cmsis_nn, esp_nn) if lib]
        out.append({"image": image, "var": image.key.upper().replace("-", "_"), "p": tc["prefix"],
                    "own_sources": image.sources[len(common):],
                    "include_dirs": _include_dirs(image, includes) + extra
                    + (["${CMSIS_NN}/Include"] if cmsis_nn else []),
                    "includes": " ".join(f"-I{d}" for d in _include_dirs(image, includes) + extra
                                         + (["$(CMSIS_NN)/Include"] if cmsis_nn else [])
                                         + (esp_nn["includes"] if esp_nn else [])),
                    "outputs": outputs, "help": f"{' '.join(outputs)} for {image.what}"})
    return out


def _identifier(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _pio_board(board: Board) -> str:
    return board.raw.get("platformio", {}).get("board") or PIO_BOARDS.get(board.name, board.name.replace("-", "_"))


def _quoted_list(items) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def _pio(real: Image, cmsis_nn: dict | None, includes: tuple[str, ...] = ()) -> dict:
    """PlatformIO: the real part's sources, include folders, compile and link flags
    (CMSIS-NN comes as a library: pio_link_flags.py adds its Include/ and keeps its build
    to the sources the model needs)."""
    extra = [cmsis_nn["adapters"]] if cmsis_nn else []
    return {"ldscript": real.ldscript, "sources": real.sources,
            "includes": " ".join(f"-I{d}" for d in _include_dirs(real, includes) + extra),
            "cmsis_sources": _quoted_list(f"Source/{s}" for s in cmsis_nn["sources"]) if cmsis_nn else "[]",
            "cmsis_tested": ", ".join(TESTED),
            # PlatformIO's platforms add their own -std (gnu11 in GNU mode, where GCC fuses a * b + c
            # into one rounding): model_flags' -ffp-contract=off keeps the float32 kernels' two roundings
            "cflags": " ".join(real.toolchain.cflags),
            "ldflags": _quoted_list(real.toolchain.ldflags)}


def idf_target(board: Board) -> str:
    """The chip idf.py builds for on an ESP-IDF board: its idf_target (default: the name without '-')."""
    return board.raw.get("idf_target") or board.name.replace("-", "")


def _idf(board: Board, sources: list[str], warned: list[str], flags: tuple[str, ...],
         includes: tuple[str, ...] = ()) -> dict:
    flash = board.region("flash")
    flash_size = int(flash["size"]) if flash else 4 << 20
    return {"sources": [f"../{s}" for s in sources], "warned_sources": [f"../{s}" for s in warned],
            "include_dirs": [f"../{d}" if d != "." else ".." for d in COMMON_INCLUDES + includes],
            "warnings": ";".join([f for f in board.cflags if f.startswith("-W")] or WARNINGS),
            "model_flags": " ".join(flags),
            "cpu_mhz": (board.clock_hz or 160_000_000) // 1_000_000,
            "stack": max(board.stack_size, 8192), "flash_mb": flash_size >> 20,
            "app_offset": f"0x{ESP_IDF_APP_OFFSET:X}", "app_size": f"0x{flash_size - ESP_IDF_APP_OFFSET:X}"}


def write_firmware_project(graph: Graph, dest: Path, model_name: str, board: Board) -> FirmwareProject:
    """Add the runtime, ports, linker scripts and build files for `board` to the project in `dest`."""
    if board.build not in RECIPES:
        raise TinygenError(f"board {board.name!r}: tinygen has no firmware build recipe {board.build!r}",
                           f"use build = one of {', '.join(RECIPES)} (or \"host\") in {board.path}")
    env = template_env()
    kernels = [f"tinygen/{rel}" for rel in kernel_sources(graph) if rel.endswith(".c")]
    frontend = frontend_of(graph)
    camera = camera_project(graph, board)       # --camera: written by write_project, compiled here
    includes = tuple(camera.includes) if camera else ()
    model_srcs = (["model.c", "weights.c"] + kernels + ([TABLES_C] if frontend else [])
                  + (camera.c_sources if camera else []) + [f"tinygen/{s}" for s in libm_sources(graph)])
    images = _images(board, dest, env, model_srcs, graph.meta["memory"].region, frontend, graph)
    # what every build file passes (Makefile, CMake, PlatformIO, ESP-IDF): -ffp-contract=off and the
    # per-model kernel settings (the sign's ADD left out where it can be, kx1's unused cases left out)
    flags = model_flags(graph)
    for image in images:
        image.toolchain = replace(image.toolchain, cflags=image.toolchain.cflags + flags)
    runtime = [s for s in (images[0].sources if images else []) if s.startswith(RUNTIME_DIRS)]
    common = model_srcs + runtime
    toolchains = _toolchain_vars(images)
    espidf = board.build == "esp-idf"
    flash_commands = [] if espidf else _flash_commands(board)
    cmsis_nn = _cmsis_nn(graph)
    esp_nn = _esp_nn(graph, board)
    image_vars = _image_vars(images, toolchains, common, cmsis_nn, includes, esp_nn)
    goals = [iv["image"].goal for iv in image_vars if iv["image"].goal != "all"]
    target = idf_target(board) if espidf else None
    targets = [(iv["image"].goal, iv["help"]) for iv in image_vars]
    if espidf:
        targets += [("all", "= make idf"), ("idf", f"the ESP-IDF firmware: idf.py set-target {target} && idf.py build"),
                    ("flash", "idf.py -p $(PORT) flash"), ("idf-size", "idf.py size (after make idf)")]
    targets += flash_commands + [("size", "flash and RAM use per section"), ("clean", "")]
    width = max(len(t) for t, _ in targets)
    data = {
        "model_name": model_name, "version": __version__, "board": board, "image_vars": image_vars,
        "toolchains": toolchains, "model_srcs": model_srcs, "runtime_srcs": runtime,
        "flash_commands": flash_commands, "idf_target": target,
        "phony": " ".join(["all"] + goals + (["idf", "flash", "idf-size"] if espidf else [])
                          + [t for t, _ in flash_commands] + ["size", "clean"]),
        "size_prereqs": [i.elf for i in images] or ["idf-size"],
        "help": [f"make {t:<{width}}  {text}".rstrip() for t, text in targets],
        "project": _identifier(f"tinygen_{model_name}"), "pio_board": _pio_board(board),
        "pio_platform": board.raw.get("platformio", {}).get("platform", "ststm32"),
        "pio_upload": board.raw.get("platformio", {}).get("upload_protocol", "stlink"),
        "pio_env": _identifier(board.name), "baud": board.serial.get("baud", 115200),
        "cmsis_nn": cmsis_nn, "esp_nn": esp_nn,
    }
    files: list[str] = []

    def render(template: str, out: str, **extra) -> None:
        path = dest / out
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.get_template(f"firmware/{template}").render(**data, **extra))
        files.append(out)

    render("Makefile.j2", "Makefile")
    if espidf:
        # ESP-IDF's app_main (in the port) replaces the runtime's main()
        runtime_idf, port = _copy_sources([board.port], dest, with_main=False, frontend=frontend)
        driver = camera.driver_sources if camera else []      # the board's camera (esp32-camera)
        idf = _idf(board, model_srcs + driver + runtime_idf + port, model_srcs + runtime_idf, flags,
                   includes + ((esp_nn["adapters"],) if esp_nn else ()))
        camera_sdkconfig = list(camera.data["driver"]["sdkconfig"]) if driver else []
        for template, out in (("CMakeLists.txt.j2", "CMakeLists.txt"),
                              ("main/CMakeLists.txt.j2", "main/CMakeLists.txt"),
                              ("sdkconfig.defaults.j2", "sdkconfig.defaults"),
                              ("partitions.csv.j2", "partitions.csv"), ("platformio.ini.j2", "platformio.ini")):
            render(f"espidf/{template}", out, idf=idf, camera_sdkconfig=camera_sdkconfig)
        if driver or esp_nn:    # esp32-camera, esp-nn from Espressif's component registry
            render("espidf/main/idf_component.yml.j2", "main/idf_component.yml", camera=bool(driver))
    else:
        real = images[0]
        render("CMakeLists.txt.j2", "CMakeLists.txt")
        render("arm-none-eabi.cmake.j2", "cmake/arm-none-eabi.cmake", tc=real.toolchain)
        render("platformio.ini.j2", "platformio.ini", pio=_pio(real, cmsis_nn, includes))
        render("pio_link_flags.py.j2", "pio_link_flags.py", pio=_pio(real, cmsis_nn, includes))
    return FirmwareProject(images, files, target)


__all__ = ["FirmwareProject", "Image", "idf_target", "roomy_linker_script", "write_firmware_project"]
