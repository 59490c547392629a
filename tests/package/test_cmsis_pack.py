"""`tinygen build --package cmsis-pack`: the library as an Open-CMSIS-Pack software pack.

The MLPerf Tiny KWS model built as library kws for the nucleo-f746zg (its board file names the
CMSIS device) and for the pico2 (it names none: the condition names the core). Each .pack is a
zip named <vendor>.<name>.<version>.pack. cmsis-pack-manager (pyOCD's pack parser, on PyPI)
parses its .pdsc into one component whose files are exactly the pack's other files, each byte for
byte the library's; xml.etree checks what that parser does not read (PACK.xsd's required
elements, value patterns and enumerations, the condition). The component's sources compile with
the include path its header sets, as a CMSIS build would compile them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from cmsis_pack_manager import Cache
from cmsis_pack_manager.cmsis_pack_manager import ffi, lib

from e2e import run_cli
from mlperf_models import mlperf_model
from tinygen import __version__
from tinygen.board import board_template, get_board, load_board_file
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import TinygenError
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.package import cmsis_pack
from tinygen.passes import CompileOptions

NAME = "kws"
PDSC = f"tinygen.{NAME}.pdsc"
# PACK.xsd (Open-CMSIS-Pack-Spec, schema 1.7.x): the patterns and enumerations the pdsc's values obey
PACK_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")     # PackVersionType
RESTRICTED = re.compile(r"[-_A-Za-z0-9]+")                                                     # RestrictedString
CID_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+()'/\-\s.]{1,31}")                             # CidPartType
FILE_CATEGORIES = {"doc", "header", "include", "library", "object", "source", "sourceC", "sourceCpp", "sourceAsm",
                   "linkerScript", "utility", "image", "other", "preIncludeGlobal", "preIncludeLocal", "genSource",
                   "genHeader", "genParams", "genAsset"}                                         # FileCategoryType
PACKAGE_REQUIRED = ("vendor", "name", "description", "url", "releases")                        # minOccurs="1"

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc (make toolchain installs it)")


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """Library kws packaged for f746zg and pico2 (the same ISA features: one compile):
    board name -> (the library folder, the build's manifest)."""
    source = load_source(mlperf_model("kws_dscnn"))
    graph = compile_source(source, None, CompileOptions(features=get_board("f746zg").isa_features))
    out = {}
    for board in ("nucleo-f746zg", "pico2"):
        folder = tmp_path_factory.mktemp("pack") / board
        result = build(source, graph, get_board(board), folder, library=NAME, packages=("cmsis-pack",))
        out[board] = (folder, result.manifest)
    return out


def parsed_components(pdsc: Path, cache: Path) -> list[dict]:
    """The components cmsis-pack-manager reads from the pack description `pdsc` (a file it
    cannot parse, or whose <package> lacks a required element, gives none)."""
    cache.mkdir()
    parsed = Cache(True, False, json_path=str(cache), data_path=str(cache)).add_pack_from_path(str(pdsc))
    text = lib.dumps_components(parsed)
    try:
        return json.loads(ffi.string(text))
    finally:
        lib.cstring_free(text)


def _pdsc(folder: Path) -> tuple[zipfile.ZipFile, str]:
    pack = zipfile.ZipFile(folder / cmsis_pack.pack_name(NAME))
    return pack, pack.read(PDSC).decode()


def _check_structure(root: ET.Element) -> ET.Element:
    """PACK.xsd's rules for what the pack holds, checked with xml.etree; returns the component."""
    assert root.tag == "package" and re.fullmatch(r"\d+\.\d+(\.\d+)?", root.get("schemaVersion"))
    for tag in PACKAGE_REQUIRED:
        assert root.find(tag) is not None, f"<package> lacks <{tag}>"
    assert RESTRICTED.fullmatch(root.findtext("vendor")) and RESTRICTED.fullmatch(root.findtext("name"))
    releases = root.findall("releases/release")
    assert len(releases) == 1 and PACK_VERSION.fullmatch(releases[0].get("version"))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", releases[0].get("date"))
    (component,) = root.findall("components/component")
    for attr in ("Cclass", "Cgroup"):
        assert CID_PART.fullmatch(component.get(attr)), attr
    assert component.get("Cversion") == releases[0].get("version")
    ids = [c.get("id") for c in root.findall("conditions/condition")]
    assert component.get("condition") in ids and len(set(ids)) == len(ids)
    categories = [f.get("category") for f in component.findall("files/file")]
    assert set(categories) <= FILE_CATEGORIES, set(categories) - FILE_CATEGORIES
    return component


def _require(root: ET.Element, component: ET.Element) -> dict:
    (condition,) = [c for c in root.findall("conditions/condition") if c.get("id") == component.get("condition")]
    (require,) = condition.findall("require")
    return dict(require.attrib)


def _check_pack(folder: Path, manifest: dict, tmp_path: Path) -> tuple[ET.Element, dict]:
    """What every pack must be; returns the pdsc's root and its component's <require>."""
    name = cmsis_pack.pack_name(NAME)
    assert manifest["packages"] == {"cmsis-pack": [name]}
    vendor, pack_name, version = re.fullmatch(r"([^.]+)\.([^.]+)\.(.+)\.pack", name).groups()
    pack, text = _pdsc(folder)
    assert [n for n in pack.namelist() if n.lower().endswith(".pdsc")] == [f"{vendor}.{pack_name}.pdsc"]
    root = ET.fromstring(text)
    component = _check_structure(root)
    assert (root.findtext("vendor"), root.findtext("name")) == (vendor, pack_name) == ("tinygen", NAME)
    assert root.find("releases/release").get("version") == version == __version__

    (tmp_path / PDSC).write_text(text)
    (parsed,) = parsed_components(tmp_path / PDSC, tmp_path / "cache")
    assert (parsed["vendor"], parsed["class"], parsed["group"], parsed["version"]) == \
        ("tinygen", "Machine Learning", NAME, version)
    assert parsed["condition"] == component.get("condition")
    named = [f["path"] for f in parsed["files"]]
    assert len(named) == len(component.findall("files/file")), "the parser dropped a file it could not read"
    in_pack = set(pack.namelist()) - {PDSC}
    assert sorted(named) == sorted(in_pack), set(named) ^ in_pack
    library_files = {p.relative_to(folder).as_posix() for d in ("include", "src") for p in (folder / d).rglob("*")}
    assert in_pack == library_files | {"README.md"}
    for rel in in_pack:
        assert pack.read(rel) == (folder / rel).read_bytes(), rel
    kinds = {f["path"]: f["category"] for f in parsed["files"]}
    assert kinds[f"include/{NAME}.h"] == "Header" and kinds["README.md"] == "Doc"
    assert {k for p, k in kinds.items() if p.endswith(".c")} == {"Source"}
    assert {k for p, k in kinds.items() if p.startswith("src/") and p.endswith(".h")} == {"Other"}
    return root, _require(root, component)


def _uses(manifest: dict, feature: str) -> bool:
    return any(feature in KERNELS_BY_NAME[layer["kernel"]].requires for layer in manifest["layers"] if layer["kernel"])


def test_cmsis_pack_f746zg_names_its_device(packs, tmp_path):
    folder, manifest = packs["nucleo-f746zg"]
    root, require = _check_pack(folder, manifest, tmp_path)
    assert _uses(manifest, "dsp"), "kws on f746zg should take DSP kernels"
    assert require == {"Dvendor": "STMicroelectronics:13", "Dname": "STM32F746ZGTx", "Ddsp": "DSP"}
    assert "STM32F746ZGTx" in root.find("conditions/condition/description").text


def test_cmsis_pack_pico2_without_a_device_names_the_core(packs, tmp_path):
    folder, manifest = packs["pico2"]
    root, require = _check_pack(folder, manifest, tmp_path)
    assert "cmsis_pack" not in get_board("pico2").raw
    assert require == {"Dcore": "Cortex-M33", "Ddsp": "DSP"}
    assert "no [cmsis_pack]" in root.find("conditions/condition/description").text


@needs_arm
def test_cmsis_pack_sources_compile_as_a_cmsis_build_does(packs, tmp_path):
    """Every `source` file of the component, compiled with the include paths its `header` files
    set and nothing else (no -D: the switches are in kws_config.h), with the board's flags."""
    folder, _ = packs["nucleo-f746zg"]
    pack, text = _pdsc(folder)
    pack.extractall(tmp_path / "pack")
    files = ET.fromstring(text).findall("components/component/files/file")
    sources = [tmp_path / "pack" / f.get("name") for f in files if f.get("category") == "source"]
    includes = {f"-I{(tmp_path / 'pack' / f.get('name')).parent}" for f in files if f.get("category") == "header"}
    board = get_board("nucleo-f746zg")
    (tmp_path / "obj").mkdir()
    run = subprocess.run([board.cc, *board.cflags, *sorted(includes), "-c", *map(str, sources)],
                         cwd=tmp_path / "obj", capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert len(list((tmp_path / "obj").glob("*.o"))) == len(sources) >= 3


def test_cmsis_pack_parser_rejects_broken_descriptions(packs, tmp_path):
    """The negative control of the parser the tests rely on: a truncated pdsc, one without a
    required <url>, and a file of a category the spec does not have are not read."""
    text = _pdsc(packs["nucleo-f746zg"][0])[1]
    cases = {"truncated": text[: len(text) // 2], "no-url": text.replace("<url></url>", ""),
             "bad-category": text.replace('category="source"', 'category="sauce"', 1)}
    for case, broken in cases.items():
        assert broken != text
        (tmp_path / f"{case}.pdsc").write_text(broken)
    assert parsed_components(tmp_path / "truncated.pdsc", tmp_path / "c1") == []
    assert parsed_components(tmp_path / "no-url.pdsc", tmp_path / "c2") == []
    (component,) = parsed_components(tmp_path / "bad-category.pdsc", tmp_path / "c3")
    assert len(component["files"]) == text.count("<file ") - 1


def test_cmsis_pack_condition_asks_for_helium_for_mve_kernels():
    mve = sorted(k for k, spec in KERNELS_BY_NAME.items() if "mve" in spec.requires)[0]
    attrs, text = cmsis_pack.condition({"layers": [{"kernel": mve}], "switches": []}, get_board("stm32n6570-dk"))
    assert attrs == {"Dvendor": "STMicroelectronics:13", "Dname": "STM32N657X0HxQ", "Dmve": "MVE",
                     **({"Ddsp": "DSP"} if "dsp" in KERNELS_BY_NAME[mve].requires else {})}
    assert "Dmve=MVE" in text


@pytest.mark.parametrize("board", ["host", "esp32-c3", "esp32-s3"])
def test_cmsis_pack_refuses_a_board_that_is_not_cortex_m(board, tmp_path):
    out = tmp_path / "out"
    rc, _, err = run_cli("build", mlperf_model("kws_dscnn"), "--board", board, "--package", "cmsis-pack", "-o", out)
    assert rc == 2 and "Traceback" not in err
    message = [line for line in err.splitlines() if "error:" in line]
    assert len(message) == 1 and "not an Arm Cortex-M board" in message[0], err
    assert not out.exists()


def test_cmsis_pack_refuses_a_name_no_component_can_have(tmp_path):
    out = tmp_path / "out"
    rc, _, err = run_cli("build", mlperf_model("kws_dscnn"), "--board", "f746zg", "--package", "cmsis-pack",
                         "--name", "k", "-o", out)
    assert rc == 2 and "cannot name a CMSIS component" in err and not out.exists()


@pytest.mark.parametrize("table, problem", [
    ('[cmsis_pack]\nvendor = "STMicroelectronics"\ndevice = "STM32F746ZGTx"\n', "NAME:NUMBER"),
    ('[cmsis_pack]\nvendor = "STMicroelectronics:13"\n', "cmsis_pack.device: missing"),
])
def test_board_file_cmsis_pack_table_is_checked(table, problem, tmp_path):
    text = re.sub(r"\n\[cmsis_pack\][^\[]*", "\n", board_template("f746zg")) + "\n" + table
    (tmp_path / "my.toml").write_text(text)
    with pytest.raises(TinygenError, match=re.escape(problem)):
        load_board_file(tmp_path / "my.toml")


def test_board_file_cmsis_pack_table_only_on_cortex_m(tmp_path):
    (tmp_path / "my.toml").write_text(board_template("esp32-c3") + '\n[cmsis_pack]\nvendor = "Espressif:0"\n'
                                                                   'device = "ESP32-C3"\n')
    with pytest.raises(TinygenError, match="a table for Cortex-M boards"):
        load_board_file(tmp_path / "my.toml")
