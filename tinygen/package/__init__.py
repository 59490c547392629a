"""Packagings of a library build for the user's own build system (`tinygen build --library
--package KIND`, repeatable): the library folder tinygen.build.library wrote, packaged as

    arduino      NAME.zip: an Arduino library (1.5 format) with an example sketch
    zephyr       zephyr/module.yml, zephyr/CMakeLists.txt, zephyr/Kconfig and samples/NAME/:
                 the library folder as a Zephyr module
    esp-idf      idf_component.yml and the CMakeLists.txt's idf_component_register(): the library
                 folder as an ESP-IDF component
    cmsis-pack   tinygen.NAME.VERSION.pack: a CMSIS-Pack with the library as a software component

Each packager module has KIND, check(board, name) (a one-line UsageError for a board or name it
cannot package, before any work) and write(lib, info, board) (writes into the library folder
`lib`, still the build's staging folder, and returns the files it wrote relative to it). They
package the same emitted C as every other output: none of them generates model code.
"""

from __future__ import annotations

from pathlib import Path

from tinygen.board import Board
from tinygen.package import arduino, cmsis_pack, esp_idf, zephyr

PACKAGERS: dict = {m.KIND: m for m in (arduino, zephyr, esp_idf, cmsis_pack)}
KINDS = ("arduino", "zephyr", "esp-idf", "cmsis-pack")


def check_packages(kinds: list[str], board: Board, name: str) -> None:
    """Refuse, before any work, a package kind the board or the name cannot have."""
    for kind in dict.fromkeys(kinds):
        PACKAGERS[kind].check(board, name)


def write_packages(lib: Path, info: dict, board: Board, kinds: list[str]) -> dict[str, list[str]]:
    """Write each package kind (once each, in the order given) into the library folder `lib`;
    returns kind -> the files written (relative to `lib`)."""
    return {kind: PACKAGERS[kind].write(lib, info, board) for kind in dict.fromkeys(kinds)}


__all__ = ["KINDS", "PACKAGERS", "check_packages", "write_packages"]
