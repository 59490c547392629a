"""`tinygen build --board <mcu>`: the firmware project, its images and their memory use.

Cortex-M (F746ZG, F446RE): the ELFs link at the real part's and the stand-in's
addresses, the memory table equals what binutils reads from the ELF, the
generated Makefile / CMake / PlatformIO files build (or list) the same sources,
and the project rebuilds on its own from a copy. ESP-IDF boards: the project's
structure, the same C sources compiled for RISC-V with every warning, and the
ESP32-C3's RISC-V virt stand-in image.
"""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from e2e import ROOT, compile_example
from tinygen.board import get_board
from tinygen.compiler import build

BOARDS = ("f746zg", "f446re")
MODELS = ("dscnn", "resnet8")
ARM_NM = "arm-none-eabi-nm"

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc is not installed (make toolchain installs it)")
needs_riscv = pytest.mark.skipif(shutil.which("riscv64-unknown-elf-gcc") is None,
                                 reason="riscv64-unknown-elf-gcc is not installed (make toolchain installs it)")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build each (model, board) once for the whole module."""
    cache: dict[tuple[str, str], tuple] = {}

    def get(model: str, board: str):
        if (model, board) not in cache:
            source, graph = compile_example(model)
            out = tmp_path_factory.mktemp(f"{model}-{board}") / "fw"
            result = build(source, graph, get_board(board), out)
            cache[model, board] = (result, graph)
        return cache[model, board]
    return get


# readelf -S -W: [Nr] Name Type Addr Off Size ES Flg ...
_READELF_ROW = re.compile(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]{8})\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+"
                          r"\s+([A-Z]*)\s")


def size_sections(elf: Path, readelf: str = "arm-none-eabi-readelf") -> dict[str, tuple[int, int]]:
    """name → (size, address) of the sections that occupy target memory, as binutils reads them."""
    out = subprocess.run([readelf, "-S", "-W", str(elf)], capture_output=True, text=True, check=True).stdout
    rows = [_READELF_ROW.match(line) for line in out.splitlines()]
    return {m[1]: (int(m[3], 16), int(m[2], 16)) for m in rows if m and "A" in m[4]}


def nm_symbols(elf: Path) -> dict[str, int]:
    out = subprocess.run([ARM_NM, "-S", str(elf)], capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.split("\n"):
        parts = line.split()
        if len(parts) >= 3:
            syms[parts[-1]] = int(parts[0], 16)
            if len(parts) == 4:
                syms[parts[-1] + ".size"] = int(parts[1], 16)
    return syms


def images(part) -> list[tuple[str, int]]:
    """(ELF, flash origin) of the real part's image and of the stand-in's."""
    return [("firmware.elf", part.region("flash")["origin"]), ("firmware-emu.elf", part.emulator["flash_origin"])]


def vector_table(elf: Path) -> bytes:
    return subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", "-j", ".isr_vector", str(elf), "/dev/stdout"],
                          capture_output=True, check=True).stdout


def make_var(project: Path, name: str) -> list[str]:
    """A variable of the generated Makefile, expanded by make itself."""
    proc = subprocess.run(["make", "-s", "-C", str(project), "--eval", f"print-var: ; @echo $({name})",
                           "print-var"], capture_output=True, text=True, check=True)
    return proc.stdout.split()


# -- Cortex-M ------------------------------------------------------------------------------


@needs_arm
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("model", MODELS)
def test_firmware_vector_table_at_flash_origin_cortexm(built, model, board):
    result, _ = built(model, board)
    part = get_board(board)
    for elf, origin in images(part):
        path = result.out_dir / elf
        sections = size_sections(path)
        assert sections[".isr_vector"][1] == origin, f"{elf}: vector table at {sections['.isr_vector'][1]:#x}"
        syms = nm_symbols(path)
        # word 0 is the initial stack pointer (top of RAM), word 1 the reset handler (Thumb: odd)
        assert path.read_bytes()[:4] == b"\x7fELF"
        vec = vector_table(path)
        sp, reset = int.from_bytes(vec[0:4], "little"), int.from_bytes(vec[4:8], "little")
        assert sp == syms["__stack_top__"], (elf, hex(sp))
        assert reset & 1 and origin <= reset < origin + part.region("flash")["size"], (elf, hex(reset))
    # the raw image for the flash tools starts with the real part's vector table
    real_vec = vector_table(result.out_dir / "firmware.elf")
    assert (result.out_dir / "firmware.bin").read_bytes()[:len(real_vec)] == real_vec
    assert (result.out_dir / "firmware.hex").read_text().startswith(":")


@needs_arm
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("model", MODELS)
def test_memory_table_equals_elf_sections_cortexm(built, model, board):
    result, graph = built(model, board)
    part = get_board(board)
    memory = result.manifest["memory"]
    for elf, flash_origin in images(part):
        path = result.out_dir / elf
        sections = size_sections(path)
        syms = nm_symbols(path)
        flash_end = flash_origin + part.region("flash")["size"]
        in_flash = sum(size for size, addr in sections.values() if flash_origin <= addr < flash_end and size)
        data = sections[".data"][0]
        stack = syms["__stack_top__"] - syms["__stack_limit__"]
        used = memory[elf]
        assert used["flash"]["used"] == in_flash + data, elf
        assert used["ram"]["used"] == data + sections[".bss"][0] + stack, elf
        assert used["flash"]["capacity"] == part.region("flash")["size"]
        assert used["ram"]["capacity"] == part.region("ram")["size"]
        assert used["stack"] == stack == part.stack_size
        assert used["arena"] == syms["tg_arena.size"] == graph.meta["memory"].arena_size
        assert used["weights"] == result.manifest["weight_bytes"]
        # the weights sit in flash: .rodata holds at least them
        assert sections[".rodata"][0] >= result.manifest["weight_bytes"]
    # the prediction made before compiling is close to what the linker produced, and below it
    # (it must never refuse a model that fits)
    predicted, linked = memory["predicted"], memory["firmware.elf"]
    for kind in ("flash", "ram"):
        assert predicted[kind]["used"] <= linked[kind]["used"], kind
        assert predicted[kind]["used"] >= 0.75 * linked[kind]["used"], kind
    assert result.memory and result.memory[0].source == "firmware.elf"


@needs_arm
@pytest.mark.parametrize("board", BOARDS)
def test_project_files_cortexm(built, board):
    result, graph = built("dscnn", board)
    out = result.out_dir
    part = get_board(board)
    for rel in ("model.c", "weights.c", "Makefile", "CMakeLists.txt", "cmake/arm-none-eabi.cmake",
                "platformio.ini", "pio_link_flags.py", f"linker/{part.name}.ld", f"linker/{part.name}-emu.ld",
                "tinygen/runtime/tg_main.c", "tinygen/ports/cortexm/tg_startup_cortexm.c",
                f"tinygen/ports/{part.port}", f"tinygen/ports/{part.emulator['port']}"):
        assert (out / rel).exists(), rel
    # linker scripts: the real part's addresses, the stand-in's origins, the real sizes in both
    real_ld = (out / f"linker/{part.name}.ld").read_text()
    emu_ld = (out / f"linker/{part.name}-emu.ld").read_text()
    for text, (_, flash_origin) in zip((real_ld, emu_ld), images(part)):
        assert f"ORIGIN = 0x{flash_origin:08X}, LENGTH = 0x{part.region('flash')['size']:X}" in text
        assert f"LENGTH = 0x{part.region('ram')['size']:X}" in text
    # Makefile: the targets, and sources that exist; up to date right after the build
    makefile = (out / "Makefile").read_text()
    for target in ("all", "emu", "size", "clean", "flash", "flash-st-flash", "flash-openocd"):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), target
    real_srcs = make_var(out, "FIRMWARE_SRCS")
    emu_srcs = make_var(out, "FIRMWARE_EMU_SRCS")
    assert all((out / s).is_file() for s in real_srcs + emu_srcs)
    assert f"tinygen/ports/{part.port}/" in " ".join(real_srcs)
    assert f"tinygen/ports/{part.emulator['port']}/" in " ".join(emu_srcs)
    assert not any(f"ports/{part.port}/" in s for s in emu_srcs)
    kernels = {f"tinygen/kernels/{Path(s).name}" for s in real_srcs if "/kernels/" in s}
    assert kernels and all((out / k).exists() for k in kernels)
    for goal in ("all", "emu"):
        assert subprocess.run(["make", "-q", "-C", str(out), goal]).returncode == 0, f"make {goal} not up to date"
    dry = subprocess.run(["make", "-n", "-C", str(out), "flash"], capture_output=True, text=True).stdout
    assert f"st-flash --reset write firmware.bin 0x{part.flash['address']:08X}" in dry
    size = subprocess.run(["make", "-s", "-C", str(out), "size"], capture_output=True, text=True, check=True).stdout
    assert ".isr_vector" in size and ".bss" in size
    # nothing refers back to this checkout
    for rel in ("Makefile", "CMakeLists.txt", "platformio.ini", "cmake/arm-none-eabi.cmake"):
        assert str(ROOT) not in (out / rel).read_text(), rel
    # CMake: the same sources for each image
    cmake = (out / "CMakeLists.txt").read_text()
    assert re.search(r"add_executable\(firmware\b", cmake) and re.search(r"add_executable\(firmware-emu\b", cmake)
    cmake_files = set(re.findall(r"^\s+(\S+\.(?:c|S))$", cmake, re.M))
    assert cmake_files == set(real_srcs) | set(emu_srcs)
    # PlatformIO: one env for the board, the real part's sources and linker script
    ini = configparser.ConfigParser()
    ini.read(out / "platformio.ini")
    env = ini[f"env:{part.name.replace('-', '_')}"]
    assert env["platform"] == "ststm32"
    assert env["board"] == part.name.replace("-", "_")
    assert (out / env["board_build.ldscript"]).read_text() == real_ld
    assert re.findall(r"\+<([^>]+)>", env["build_src_filter"]) == real_srcs
    assert ini["platformio"]["src_dir"] == "."
    assert "-mfloat-abi=hard" in (out / "pio_link_flags.py").read_text()
    # ISO C's two roundings of a * b + c whatever -std the platform adds (the float32 kernels)
    assert "-std=c99" in env["build_flags"] and "-ffp-contract=off" in env["build_flags"]
    # the manifest records the board, the images and the artifacts
    manifest = json.loads((out / "tinygen.json").read_text())
    assert manifest["board"] == part.name and manifest["build"] == "cortex-m"
    assert set(manifest["images"]) == {"firmware.elf", "firmware-emu.elf"}
    assert {"firmware.elf", "firmware.bin", "firmware.hex", "firmware-emu.elf"} <= set(manifest["artifacts"])
    assert all((out / a).is_file() for a in manifest["artifacts"])


@needs_arm
def test_project_rebuilds_alone_from_a_copy_cortexm(built, tmp_path):
    """`make emu` (and `make`) in a copy of the output rebuild the same ELFs byte for byte."""
    result, _ = built("dscnn", "f746zg")
    copy = tmp_path / "copy"
    shutil.copytree(result.out_dir, copy)
    subprocess.run(["make", "-s", "-C", str(copy), "clean"], check=True)
    assert not (copy / "firmware-emu.elf").exists() and not (copy / "obj").exists()
    for goal, elf in (("emu", "firmware-emu.elf"), ("all", "firmware.elf")):
        proc = subprocess.run(["make", "-C", str(copy), "-j2", goal], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (copy / elf).read_bytes() == (result.out_dir / elf).read_bytes(), elf
    assert (copy / "firmware.bin").read_bytes() == (result.out_dir / "firmware.bin").read_bytes()


@needs_arm
@pytest.mark.skipif(shutil.which("cmake") is None or shutil.which("ninja") is None,
                    reason="cmake and ninja are needed to build the generated CMake project")
def test_cmake_project_builds_the_same_images_cortexm(built, tmp_path):
    result, _ = built("dscnn", "f446re")
    copy = tmp_path / "copy"
    shutil.copytree(result.out_dir, copy)
    cmake_build = tmp_path / "cmake-build"
    for cmd in (["cmake", "-S", str(copy), "-B", str(cmake_build), "-G", "Ninja"],
                ["cmake", "--build", str(cmake_build)]):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    for elf in ("firmware.elf", "firmware-emu.elf"):
        made, cmaked = size_sections(result.out_dir / elf), size_sections(cmake_build / elf)
        for name in (".isr_vector", ".text", ".rodata", ".data", ".bss"):
            assert cmaked[name] == made[name], (elf, name)
    assert (cmake_build / "firmware.bin").read_bytes() == (result.out_dir / "firmware.bin").read_bytes()


# -- ESP-IDF -------------------------------------------------------------------------------

ESP_BOARDS = {"esp32": ("esp32", "esp32dev"), "esp32-s3": ("esp32s3", "esp32-s3-devkitc-1"),
              "esp32-c3": ("esp32c3", "esp32-c3-devkitm-1")}


def idf_sources(project: Path) -> list[str]:
    """The SRCS of main/CMakeLists.txt, relative to the project."""
    text = (project / "main" / "CMakeLists.txt").read_text()
    block = text[text.index("SRCS"):text.index("INCLUDE_DIRS")]
    return [str((Path("main") / s).as_posix()).removeprefix("main/../") for s in re.findall(r'"([^"]+)"', block)]


@pytest.fixture(scope="module")
def esp_built(tmp_path_factory):
    cache = {}

    def get(board: str):
        if board not in cache:
            source, graph = compile_example("dscnn")
            out = tmp_path_factory.mktemp(board) / "fw"
            cache[board] = (build(source, graph, get_board(board), out), graph)
        return cache[board]
    return get


@needs_riscv
@pytest.mark.parametrize("board", ESP_BOARDS)
def test_espidf_project_structure(esp_built, board):
    result, graph = esp_built(board)
    out = result.out_dir
    part = get_board(board)
    idf_target, pio_board = ESP_BOARDS[board]
    top = (out / "CMakeLists.txt").read_text()
    assert "cmake_minimum_required" in top
    assert "include($ENV{IDF_PATH}/tools/cmake/project.cmake)" in top
    assert re.search(r"^project\(\w+\)", top, re.M)
    srcs = idf_sources(out)
    assert all((out / s).is_file() for s in srcs), [s for s in srcs if not (out / s).is_file()]
    present = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.c") if not p.is_relative_to(out / "obj"))
    expected = [p for p in present if not p.endswith("/tg_main.c") and "/ports/" not in p]
    expected.append("tinygen/ports/espidf/tg_port_espidf.c")
    assert sorted(srcs) == sorted(expected)
    assert "tinygen/runtime/tg_main.c" not in srcs
    sdk = (out / "sdkconfig.defaults").read_text()
    assert f'CONFIG_IDF_TARGET="{idf_target}"' in sdk
    assert f"CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_{part.clock_hz // 1_000_000}=y" in sdk
    assert "CONFIG_ESP_CONSOLE_NONE=y" in sdk              # UART0 is the protocol's
    assert f"CONFIG_ESP_MAIN_TASK_STACK_SIZE={part.stack_size}" in sdk
    assert 'CONFIG_PARTITION_TABLE_CUSTOM_FILENAME="partitions.csv"' in sdk
    factory = next(line for line in (out / "partitions.csv").read_text().splitlines() if line.startswith("factory"))
    offset, size = (int(x, 16) for x in factory.split(",")[3:5])
    assert offset + size == part.region("flash")["size"]
    ini = configparser.ConfigParser()
    ini.read(out / "platformio.ini")
    env = ini[f"env:{part.name.replace('-', '_')}"]
    assert (env["platform"], env["board"], env["framework"]) == ("espressif32", pio_board, "espidf")
    assert ini["platformio"]["src_dir"] == "main"
    assert result.manifest["idf_target"] == idf_target
    if shutil.which("idf.py") is None:
        assert any("not compiled" in n and "ESP-IDF" in n for n in result.notes), result.notes
    # the prediction is recorded and printed for the real part
    assert result.memory[0].source == "predicted"
    assert result.manifest["memory"]["predicted"]["ram"]["capacity"] == part.region("ram")["size"]


@needs_riscv
def test_espidf_sources_compile_for_riscv_esp32(esp_built, tmp_path):
    """The "same C sources" check: the ESP32 project's model, kernels and runtime compile with
    every warning as errors for a 32-bit RISC-V core (Xtensa's compiler cannot be installed
    here). The ESP-IDF port needs ESP-IDF's headers and is left out."""
    result, _ = esp_built("esp32")
    out = result.out_dir
    srcs = [s for s in idf_sources(out) if "/ports/" not in s]
    assert any(s.startswith("tinygen/runtime/") for s in srcs) and "model.c" in srcs
    includes = ["-I" + str(out / d) for d in (".", "tinygen/kernels", "tinygen/runtime")]
    # the libc-less RISC-V build gets memcpy/memset's declarations from the virt port's string.h
    includes.append("-I" + str(ROOT / "firmware" / "ports" / "riscv_virt"))
    for src in srcs:
        proc = subprocess.run(["riscv64-unknown-elf-gcc", "-march=rv32imc_zicsr", "-mabi=ilp32", "-ffreestanding",
                               "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wdouble-promotion",
                               *includes, "-c", str(out / src), "-o", str(tmp_path / (Path(src).stem + ".o"))],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{src}:\n{proc.stderr}"


@needs_riscv
def test_espidf_c3_standin_image(esp_built):
    result, graph = esp_built("esp32-c3")
    part = get_board("esp32-c3")
    elf = result.out_dir / "firmware-emu.elf"
    assert elf.is_file() and "firmware-emu.elf" in result.manifest["artifacts"]
    out = subprocess.run(["riscv64-unknown-elf-readelf", "-h", "-S", str(elf)], capture_output=True, text=True,
                         check=True).stdout
    assert "RISC-V" in out and "ELF32" in out
    entry = int(re.search(r"Entry point address:\s+0x([0-9a-f]+)", out).group(1), 16)
    assert entry == part.emulator["flash_origin"]
    used = result.manifest["memory"]["firmware-emu.elf"]
    assert used["ram"]["capacity"] == part.region("ram")["size"]
    assert used["arena"] == graph.meta["memory"].arena_size
    rows = {name: size for name, (size, _) in size_sections(elf, "riscv64-unknown-elf-readelf").items()}
    assert used["ram"]["used"] == rows.get(".data", 0) + rows[".bss"] + part.stack_size
    makefile = (result.out_dir / "Makefile").read_text()
    assert re.search(r"^(EMU_)?CC = riscv64-unknown-elf-gcc$", makefile, re.M)
    assert "tinygen/ports/riscv_virt/tg_start.S" in makefile


# -- CLI -----------------------------------------------------------------------------------


@needs_arm
def test_cli_build_prints_the_memory_table_f746zg(tmp_path, capsys):
    from tinygen.cli import main
    from tinygen.report import human_bytes

    out = tmp_path / "fw"
    assert main(["build", str(ROOT / "examples/models/dscnn.py"), "--board", "f746zg", "-o", str(out)]) == 0
    stdout = capsys.readouterr().out
    manifest = json.loads((out / "tinygen.json").read_text())
    linked = manifest["memory"]["firmware.elf"]
    for label, kind in (("flash", "flash"), ("RAM", "ram")):
        r = linked[kind]
        row = (f"{label} +{re.escape(human_bytes(r['used']))} +{re.escape(human_bytes(r['capacity']))} "
               f"+{100 * r['used'] / r['capacity']:.1f}%")     # the manifest's percent is rounded to 0.01
        assert re.search(row, stdout), (row, stdout)
    assert f"arena {human_bytes(linked['arena'])}" in stdout and f"weights {human_bytes(linked['weights'])}" in stdout
    assert "firmware-emu.elf (the mps2-an500 stand-in): flash" in stdout
    for artifact in ("firmware.elf", "firmware.bin", "firmware.hex", "firmware-emu.elf"):
        assert f"{artifact}: {out / artifact}" in stdout


def test_cli_boards_shows_parts_and_what_this_machine_can_do(capsys):
    from tinygen.cli import main
    from tinygen.report import human_bytes

    assert main(["boards"]) == 0
    stdout = capsys.readouterr().out
    rows = {line.split()[0]: line for line in stdout.splitlines()[2:] if line.strip() and not line.startswith(" ")}
    for name in ("nucleo-f746zg", "nucleo-f446re", "esp32-c3"):
        b = get_board(name)
        row = rows[name]
        assert f"{b.clock_hz // 1_000_000} MHz" in row
        assert human_bytes(b.region("flash")["size"]) in row and human_bytes(b.region("ram")["size"]) in row
        assert b.emulator["machine"] in row
        can_emulate = shutil.which(b.emulator["qemu"]) is not None
        assert ("emulate ✓" in row) == (can_emulate and ("riscv" in b.emulator["qemu"] and shutil.which(
            "riscv64-unknown-elf-gcc") is not None or "arm" in b.emulator["qemu"] and shutil.which(
            "arm-none-eabi-gcc") is not None))
    assert ("build ✓" in rows["nucleo-f746zg"]) == (shutil.which("arm-none-eabi-gcc") is not None)
    assert "no stand-in" in rows["esp32-devkitc"]
    if shutil.which("idf.py") is None:
        assert "ESP-IDF project only" in rows["esp32-devkitc"]
    if not any(shutil.which(t) for t in get_board("f746zg").flash["tools"]):
        assert "flash: no st-flash / openocd / pyocd" in rows["nucleo-f746zg"]
        assert "sudo apt-get install -y stlink-tools" in stdout
