"""Build a generated firmware project: run its Makefile for the real part and
the stand-in, check that each linked image fits the real part, and hand an
ESP-IDF project to idf.py when ESP-IDF is installed."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tinygen.board import Board
from tinygen.build.elf import read_elf
from tinygen.build.memory import MemoryUse, capacity, check_measured, measure, overflow_error
from tinygen.build.object_cache import cached_make
from tinygen.build.firmware_project import FirmwareProject, Image
from tinygen.build.output import raise_if_no_space
from tinygen.errors import ToolchainError

ESP_IDF_INSTALL = ("install ESP-IDF v5 (https://docs.espressif.com/projects/esp-idf/en/stable/esp32/"
                   "get-started/) and source its export.sh so that idf.py is on PATH")


@dataclass
class FirmwareBuild:
    artifacts: dict[str, Path]                         # "firmware.elf" → path in the project
    memory: dict[str, MemoryUse]                       # image file name → measured use
    notes: list[str] = field(default_factory=list)     # what was not done, and why


def check_toolchains(project: FirmwareProject, board: Board) -> None:
    """ToolchainError naming the install command when a compiler or tool is missing."""
    for image in project.images:
        missing = image.toolchain.missing()
        if missing:
            install = image.toolchain.install
            if "make" in missing and install.split()[-1] != "make":
                install += " make"
            raise ToolchainError(
                f"cannot build {image.elf} for {board.name} ({image.what}): "
                f"{', '.join(missing)} not found on PATH", f"install it: {install}")


def _build_image(project_dir: Path, image: Image, board: Board, predicted: MemoryUse, model: str, label: str,
                 jobs: int) -> MemoryUse:
    proc = cached_make(project_dir, [image.goal], jobs)     # objects built before reused
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise_if_no_space(output, project_dir)   # a full disk: the output folder's error
        fit = overflow_error(output, board, predicted, image.elf, model)
        if fit is not None:
            raise fit
        raise ToolchainError(
            f"building {image.elf} for {board.name} failed in {label}:\n{output[-4000:]}",
            "this is a tinygen bug (generated firmware must build cleanly); please report it with the model")
    capacities = {kind: capacity(board, kind) or 0 for kind in image.regions}
    use = measure(read_elf(project_dir / image.elf), image.regions, capacities, predicted.weights,
                  board.stack_size)
    use.weights_ram = predicted.weights_ram     # --weights-in: inside .data, which the linker script opens with them
    check_measured(use, board, model)
    return use


def _build_idf(project_dir: Path, project: FirmwareProject, board: Board,
               label: str) -> tuple[dict[str, Path], list[str]]:
    if shutil.which("idf.py") is None:
        install = board.toolchain.get("install") or ESP_IDF_INSTALL
        return {}, [f"ESP-IDF project generated in {label} but not compiled: ESP-IDF is not installed "
                    f"(idf.py not on PATH). To build it: {install}; then "
                    f"`cd {label} && idf.py set-target {project.idf_target} && idf.py build`"]
    for args in (["set-target", project.idf_target], ["build"]):
        proc = subprocess.run(["idf.py", *args], cwd=project_dir, capture_output=True, text=True)
        if proc.returncode != 0:
            raise_if_no_space(proc.stdout + proc.stderr, project_dir)   # a full disk: the output folder's error
            raise ToolchainError(f"`idf.py {' '.join(args)}` failed in {label}:\n"
                                 f"{(proc.stdout + proc.stderr)[-4000:]}",
                                 "check the ESP-IDF installation (v5, export.sh sourced); if it is sound, "
                                 "this is a tinygen bug: please report it with the model")
    built = sorted((project_dir / "build").glob("*.bin"))
    return {f"idf {p.name}": p for p in built}, []


def build_firmware(project_dir: Path, project: FirmwareProject, board: Board, predicted: MemoryUse, model: str,
                   label: str, progress=lambda msg: None, jobs: int = 2) -> FirmwareBuild:
    """Compile every image of the project (real part, stand-in) and measure it.
    `label` names the project in messages (the final output directory), `model`
    the model file (for hints)."""
    check_toolchains(project, board)
    result = FirmwareBuild({}, {})
    for image in project.images:
        progress(f"compiling {image.elf} for {image.what} with {image.toolchain.cc}")
        result.memory[image.elf] = _build_image(project_dir, image, board, predicted, model, label, jobs)
        result.artifacts[image.elf] = project_dir / image.elf
        if image.binaries:
            for suffix in (".bin", ".hex"):
                result.artifacts[image.key + suffix] = project_dir / (image.key + suffix)
    if project.idf_target:
        if shutil.which("idf.py"):
            progress(f"building the ESP-IDF project for {project.idf_target} with idf.py")
        artifacts, notes = _build_idf(project_dir, project, board, label)
        result.artifacts.update(artifacts)
        result.notes += notes
    return result


def record(manifest: dict, board: Board, project: FirmwareProject, built: FirmwareBuild, predicted: MemoryUse,
           project_dir: Path) -> None:
    """Add the build to the project's manifest (tinygen.json): the recipe, the
    images, the memory use (predicted and per linked image) and the artifacts."""
    manifest["build"] = board.build
    manifest["memory"] = {"predicted": predicted.to_json(),
                          **{name: use.to_json() for name, use in built.memory.items()}}
    manifest["images"] = {
        image.elf: {"for": image.what, "toolchain": image.toolchain.cc, "linker_script": image.ldscript,
                    "regions": {kind: {"origin": origin, "size": size}
                                for kind, (origin, size) in image.regions.items()}}
        for image in project.images}
    manifest["artifacts"] = sorted(p.relative_to(project_dir).as_posix() for p in built.artifacts.values())
    manifest["project_files"] = project.files
    if project.idf_target:
        manifest["idf_target"] = project.idf_target


__all__ = ["FirmwareBuild", "build_firmware", "check_toolchains", "record"]
