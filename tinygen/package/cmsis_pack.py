"""`--package cmsis-pack`: the library as an Open-CMSIS-Pack software pack, for CMSIS-Toolbox
(csolution, cpackget) and Keil MDK.

    DIR/tinygen.NAME.VERSION.pack     a zip (the spec's <vendor>.<name>.<version>.pack) holding
        tinygen.NAME.pdsc             the pack description, at the pack's root
        include/NAME.h                the API: category "header" (its folder goes on the include path)
        src/*.c                       the model, its weights and the kernels: category "source"
        src/*.h                       the library's own headers: category "other" (its sources
                                      include them from their own folder; none is on the path)
        README.md                     category "doc"

The .pdsc names the files as one software component, `tinygen::Machine Learning:NAME` (Cclass
"Machine Learning" as Arm's, TensorFlow's and ExecuTorch's packs use it; Cgroup the library's
name), whose condition is the device the library was built for: the board file's
`[cmsis_pack]` table (Dvendor and Dname as the part's device family pack names it), else the
board's core (Dcore). The kernels' ISA needs (the `_dsp` and `_mve` kernels) are in the same
condition (Ddsp, Dmve). The library's switches are in its NAME_config.h, so the component adds
no -D. The pack and its component take tinygen's version; the release says which model it is.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from pathlib import Path

from tinygen import __version__
from tinygen.board import Board
from tinygen.codegen.templating import template_env
from tinygen.errors import UsageError
from tinygen.kernels.table import KERNELS_BY_NAME

KIND = "cmsis-pack"
VENDOR = "tinygen"
CLASS = "Machine Learning"
SCHEMA_VERSION = "1.7.36"
# board.core -> the spec's Dcore (PACK.xsd DcoreEnum)
DCORE = {"cortex-m4": "Cortex-M4", "cortex-m7": "Cortex-M7", "cortex-m33": "Cortex-M33", "cortex-m55": "Cortex-M55"}
# a kernel's required target feature (KernelSpec.requires) -> the condition attribute that asks for it
ISA_ATTRIBUTES = {"dsp": ("Ddsp", "DSP"), "mve": ("Dmve", "MVE")}
# Cgroup is a PACK.xsd CidPartType: 2 to 32 characters, the first a letter or digit
_CGROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{1,31}")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)        # the zip's file times: the same library makes the same pack


def pack_name(name: str) -> str:
    """The pack's file name for library `name` (the spec's <vendor>.<name>.<version>.pack)."""
    return f"{VENDOR}.{name}.{__version__}.pack"


def check(board: Board, name: str) -> None:
    """A one-line UsageError for a board that is not an Arm Cortex-M part, or a name the pack's
    component cannot carry."""
    if board.core not in DCORE:
        other = " or package it with --package esp-idf" if board.build == "esp-idf" else ""
        raise UsageError(f"--package cmsis-pack: {board.name} is not an Arm Cortex-M board ({board.core}); "
                         "CMSIS-Packs are for Cortex-M devices",
                         f"build it for a Cortex-M board (tinygen boards lists them){other}")
    if not _CGROUP.fullmatch(name):
        raise UsageError(f"--package cmsis-pack: the library name {name!r} cannot name a CMSIS component "
                         "(2 to 32 characters, the first a letter or digit)", "choose another --name, such as kws")


def _category(rel: str) -> str:
    if rel.startswith("include/"):
        return "header"
    return {".c": "source", ".h": "other", ".md": "doc"}[Path(rel).suffix]


def pack_files(lib: Path) -> list[str]:
    """The library's files the pack holds (relative to `lib`): its include/ and src/ folders and
    README.md, as tinygen.build.library wrote them."""
    files = [p.relative_to(lib).as_posix() for folder in ("include", "src") for p in sorted((lib / folder).rglob("*"))
             if p.is_file()]
    return files + ["README.md"]


def _kernels(info: dict) -> set[str]:
    layers = info["layers"] + [layer for sw in info["switches"] for layer in sw["layers"]]
    return {layer["kernel"] for layer in layers if layer["kernel"]}


def condition(info: dict, board: Board) -> tuple[dict[str, str], str]:
    """The component's condition as the attributes of one <require> (the device, else the core,
    and the kernels' ISA extensions), and a sentence saying what it names."""
    device = board.raw.get("cmsis_pack")
    attrs = {"Dvendor": device["vendor"], "Dname": device["device"]} if device else {"Dcore": DCORE[board.core]}
    needs = sorted({f for k in _kernels(info) for f in KERNELS_BY_NAME[k].requires} & set(ISA_ATTRIBUTES))
    attrs.update(ISA_ATTRIBUTES[f] for f in needs)
    what = (f"the {device['device']} of the {board.name} it was built for" if device else
            f"any {DCORE[board.core]} device: {board.name} names no CMSIS device (no [cmsis_pack] in its board file)")
    extensions = " and ".join(f"{ISA_ATTRIBUTES[f][0]}={ISA_ATTRIBUTES[f][1]}" for f in needs)
    return attrs, what + (f", with {extensions} for its kernels" if needs else "")


def pdsc_text(info: dict, board: Board, files: list[str]) -> str:
    """The pack description (tinygen.NAME.pdsc) of the library `info` describes, holding `files`."""
    name = info["library"]["name"]
    attrs, names = condition(info, board)
    date = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    return template_env().get_template("package/cmsis-pack/pdsc.xml.j2").render(
        vendor=VENDOR, name=name, version=__version__, schema_version=SCHEMA_VERSION, cclass=CLASS, date=date,
        description=f"Model {info['model']} as library {name} (tinygen {__version__}) for {board.description}",
        release=f"Model {info['model']} (hash {info['model_hash']}), arena {info['arena_size']} B, "
                f"weights {info['weight_bytes']} B, built by tinygen {__version__} for {board.name}",
        condition_id=f"{name} target", condition_text=f"The library runs on {names}.", require=attrs,
        files=[(_category(rel), rel) for rel in files])


def _entry(rel: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(rel, _FIXED_TIME)
    entry.external_attr = 0o644 << 16          # rw-r--r-- where unzip keeps Unix modes
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def write(lib: Path, info: dict, board: Board) -> list[str]:
    """Write tinygen.NAME.VERSION.pack into `lib` (the library folder); returns its name."""
    name = info["library"]["name"]
    files = pack_files(lib)
    pdsc = pdsc_text(info, board, files)
    out = pack_name(name)
    with zipfile.ZipFile(lib / out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(_entry(f"{VENDOR}.{name}.pdsc"), pdsc)
        for rel in files:
            z.writestr(_entry(rel), (lib / rel).read_bytes())
    return [out]


__all__ = ["CLASS", "DCORE", "KIND", "VENDOR", "check", "condition", "pack_files", "pack_name", "pdsc_text", "write"]
