"""`--package arduino`: the library as an Arduino library (1.5 format), NAME.zip.

The zip's layout and library.properties against the Arduino library specification; its example
sketch preprocessed as arduino-cli preprocesses a .ino, compiled with each Cortex-M board's
[arduino] cxxflags (the library's .c files with its cflags) against a small Arduino core the test
writes, linked, and, on the boards whose stand-in is an MPS2 image (nano33ble on mps2-an386,
portenta-h7 and nicla-vision on mps2-an500), run: its Serial reads the inputs, and the scores it
prints equal the numpy reference byte for byte. Built through the CLI and through compiler.build.
No arduino-cli, no Arduino core and no board are used here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from arduino_lib import ARDUINO_H, ARM_CXX, build_sketch, ino_to_cpp, run_sketch
from e2e import first_difference, run_cli
from multi_io_lib import write_model
from tinygen import __version__
from tinygen.board import all_boards, get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.package import arduino
from tinygen.package.arduino import CATEGORY, arduino_core
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import run

ROOT = Path(__file__).resolve().parents[2]
CNN = ROOT / "examples" / "models" / "cnn.py"       # convolutions, pooling, a dense layer, softmax
NAME = "digits_cnn"
SAMPLES = 3
STANDINS = ("mps2-an386", "mps2-an500")             # the Cortex-M4 / M7 images the test's core runs on
# the specification's categories and library names
CATEGORIES = ("Display", "Communication", "Signal Input/Output", "Sensors", "Device Control", "Timing",
              "Data Storage", "Data Processing", "Other")
LIBRARY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]*\Z")
SEMVER = re.compile(r"\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?\Z")

needs_arm = pytest.mark.skipif(shutil.which(ARM_CXX) is None or shutil.which("qemu-system-arm") is None,
                               reason="arm-none-eabi-g++ and qemu-system-arm (make toolchain installs them)")
# nicla-vision's library takes the sketch's own arena (--arena external): the example's other branch
ARENA = {"nicla-vision": "external"}
# every shipped Cortex-M board with an Arduino core: its sketch is compiled with that core's flags
# (the issue's three Arduino boards in every run, the other cores' boards in the slow runs)
ARDUINO_BOARDS = ("nano33ble", "portenta-h7", "nicla-vision")
ARDUINO_ARM = [pytest.param(b.name, marks=() if b.name in ARDUINO_BOARDS else pytest.mark.slow)
               for b in all_boards() if arduino_core(b) is not None and b.core.startswith("cortex-m")]


@pytest.fixture(scope="module")
def source():
    return load_source(CNN)


@pytest.fixture(scope="module")
def graphs(source):
    """The model compiled once per set of ISA features (a board's kernels follow them)."""
    cache = {}

    def graph(board):
        if board.isa_features not in cache:
            cache[board.isa_features] = compile_source(source, None, CompileOptions(features=board.isa_features))
        return cache[board.isa_features]
    return graph


@pytest.fixture(scope="module")
def cli_build(tmp_path_factory):
    """`tinygen build cnn.py --board nano33ble --package arduino --name NAME -o DIR`."""
    out = tmp_path_factory.mktemp("cli") / "lib"
    rc, stdout, stderr = run_cli("build", CNN, "--board", "nano33ble", "--package", "arduino", "--name", NAME,
                                 "-o", out)
    assert rc == 0, stderr
    return out, stdout


def _installed(zip_path: Path, folder: Path) -> Path:
    """The zip extracted as the IDE's "Add .ZIP Library" does: its one folder, NAME/."""
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(folder)
    return folder / NAME


def _properties(text: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")]
    assert all(len(p) == 2 for p in pairs), text
    return dict(pairs)


def test_arduino_zip_layout_library_properties_nano33ble(cli_build):
    out, stdout = cli_build
    board = get_board("nano33ble")
    assert f"arduino: {NAME}.zip" in stdout
    manifest = json.loads((out / "tinygen.json").read_text())
    assert manifest["packages"] == {"arduino": [f"{NAME}.zip"]} and f"{NAME}.zip" in manifest["files"]
    with zipfile.ZipFile(out / f"{NAME}.zip") as z:
        names = z.namelist()
        files = {n[len(NAME) + 1:]: z.read(n) for n in names if not n.endswith("/")}
    assert all(n.startswith(f"{NAME}/") for n in names), names              # one folder, nothing beside it
    lib_src = {p.name: p.read_bytes() for p in (out / "src").iterdir()}
    # exactly: library.properties, README.md, the example, src/ flat: the header and the library's src/
    assert set(files) == ({"library.properties", "README.md", f"examples/{NAME}/{NAME}.ino", f"src/{NAME}.h"}
                          | {f"src/{n}" for n in lib_src})
    assert not [f for f in files if f.startswith("src/") and f.count("/") > 1]
    assert files[f"src/{NAME}.h"] == (out / "include" / f"{NAME}.h").read_bytes()
    for n, text in lib_src.items():                  # the library's C as written: one code generator
        assert files[f"src/{n}"] == text, n
    props = _properties(files["library.properties"].decode("utf-8"))
    assert set(props) == {"name", "version", "author", "maintainer", "sentence", "paragraph", "category", "url",
                          "architectures", "precompiled", "includes"}
    assert LIBRARY_NAME.match(props["name"]) and props["name"] == NAME
    assert SEMVER.match(props["version"]) and props["version"] == __version__
    assert props["category"] == CATEGORY and CATEGORY in CATEGORIES
    assert props["architectures"] == arduino_core(board)["architecture"] == "mbed_nano"
    assert props["precompiled"] == "false" and props["includes"] == f"{NAME}.h"
    assert props["author"] and props["maintainer"] and NAME in props["sentence"]
    assert arduino_core(board)["fqbn"] in props["paragraph"]
    ino = files[f"examples/{NAME}/{NAME}.ino"].decode()
    assert f"#include <{NAME}.h>" in ino and "Serial.begin(" in ino and "micros()" in ino
    readme = files["README.md"].decode()
    assert "Add .ZIP Library" in readme and f"arduino-cli lib install --zip-path {NAME}.zip" in readme
    protocol = [line.strip(" *") for line in ino.splitlines() if "784 raw bytes" in line]
    assert protocol and protocol[0] in readme       # the sketch and the README state one protocol


def test_arduino_example_prints_int16_and_float32_outputs(cli_build, tmp_path):
    """The example's other output types (a 16x8 model's int16, a float model's float32), from the
    same library's manifest changed: the sketch prints each as its type and compiles (g++)."""
    out, _ = cli_build
    lib = tmp_path / "lib"
    shutil.copytree(out, lib, ignore=shutil.ignore_patterns("*.zip"))
    info = json.loads((lib / "tinygen.json").read_text())
    info["outputs"] = [dict(info["outputs"][0], dtype=dtype) for dtype in ("int16", "float32")]
    assert arduino.write(lib, info, get_board("nano33ble")) == [f"{NAME}.zip"]
    library = _installed(lib / f"{NAME}.zip", tmp_path / "libraries")
    ino = (library / "examples" / NAME / f"{NAME}.ino").read_text()
    assert "int16_t v;" in ino and "Serial.print((int)v);" in ino
    assert "float v;" in ino and "Serial.print(v, 6);" in ino
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "Arduino.h").write_text(ARDUINO_H)
    (tmp_path / "sketch.cpp").write_text(ino_to_cpp(ino, "sketch.ino"))
    subprocess.run(["g++", "-std=gnu++14", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", f"-I{tmp_path / 'core'}",
                    f"-I{library / 'src'}", str(tmp_path / "sketch.cpp")], check=True)


def test_arduino_ino_to_cpp_as_arduino_cli():
    """The preprocessing the compile tests rely on: Arduino.h first, prototypes before the first
    definition with #line directives (arduino-cli's sketch.ino.cpp)."""
    ino = '// a sketch\n#include <x.h>\n\nvoid setup() {\n  helper(1);\n}\n\nvoid loop() {\n}\n\n' \
          'static int helper(int k) {\n  return k + 1;  // "}" {\n}\n'
    cpp = ino_to_cpp(ino, "s.ino")
    assert cpp.splitlines() == [
        "#include <Arduino.h>", '#line 1 "s.ino"', "// a sketch", "#include <x.h>", "",
        '#line 4 "s.ino"', "void setup();", '#line 8 "s.ino"', "void loop();",
        '#line 11 "s.ino"', "static int helper(int k);", '#line 4 "s.ino"',
        *ino.splitlines()[3:]]


@needs_arm
@pytest.mark.parametrize("board_name", ARDUINO_ARM)
def test_arduino_example_core_flags_standin_bit_exact(board_name, source, graphs, tmp_path):
    """compiler.build(..., packages=("arduino",)); the example and the library compiled with the
    board's Arduino core flags and linked; on an MPS2 stand-in the sketch reads SAMPLES inputs
    over Serial and prints each one's scores, equal to the reference."""
    board = get_board(board_name)
    core = arduino_core(board)
    graph = graphs(board)
    result = build(source, graph, board, tmp_path / "out", library=NAME, packages=("arduino",),
                   arena_external=ARENA.get(board_name) == "external")
    assert result.manifest["packages"] == {"arduino": [f"{NAME}.zip"]}
    library = _installed(tmp_path / "out" / f"{NAME}.zip", tmp_path / "libraries")
    ino = (library / "examples" / NAME / f"{NAME}.ino").read_text()
    assert (f"{NAME}_init(arena)" in ino) == (ARENA.get(board_name) == "external")
    elf = build_sketch(tmp_path / "app", library, core)
    machine = (board.emulator or {}).get("machine")
    if machine in STANDINS:              # the test's core and linker script are the MPS2 images'
        _assert_sketch_bit_exact(elf, machine, graph)


def _assert_sketch_bit_exact(elf: Path, machine: str, graph) -> None:
    """SAMPLES random inputs sent to the sketch on the stand-in; every output line it prints
    equals the reference's output, and each invoke's time follows."""
    rng = np.random.default_rng(7)
    samples = [[rng.integers(-128, 128, graph.tensor(t).shape).astype(np.int8) for t in graph.inputs]
               for _ in range(SAMPLES)]
    size = sum(x.size for x in samples[0])
    printed = run_sketch(elf, machine, b"".join(x.tobytes() for xs in samples for x in xs)).splitlines()
    assert printed[0] == f"{NAME} ready: send {size} bytes", printed[:3]
    per_sample = len(graph.outputs) + 1
    assert len(printed) == 1 + per_sample * SAMPLES, printed
    for s, xs in enumerate(samples):
        want = run(graph, xs)
        lines = printed[1 + per_sample * s:1 + per_sample * (s + 1)]
        for k, out in enumerate(graph.outputs):
            head = f"output {k}: "
            assert lines[k].startswith(head), lines[k]
            got = np.array([int(v) for v in lines[k][len(head):].split()], np.int8)
            expected = want[out].astype(np.int8).ravel()
            assert got.shape == expected.shape and np.array_equal(got, expected), \
                f"sample {s}, output {k}: {first_difference(expected, got)}"
        assert re.fullmatch(r"micros: \d+", lines[-1]), lines[-1]


@needs_arm
def test_arduino_two_inputs_two_outputs_nano33ble_bit_exact(tmp_path):
    """A model with an image and an IMU window in, scores and a value out: the sketch fills
    both inputs from one stream of bytes and prints both outputs."""
    source = load_source(write_model(tmp_path))
    board = get_board("nano33ble")
    graph = compile_source(source, None, CompileOptions(features=board.isa_features))
    assert len(graph.inputs) == 2 and len(graph.outputs) == 2
    build(source, graph, board, tmp_path / "out", library=NAME, packages=("arduino",))
    library = _installed(tmp_path / "out" / f"{NAME}.zip", tmp_path / "libraries")
    _assert_sketch_bit_exact(build_sketch(tmp_path / "app", library, arduino_core(board)), "mps2-an386", graph)


def test_arduino_refuses_board_without_core_before_any_work(tmp_path):
    out = tmp_path / "lib"
    rc, stdout, stderr = run_cli("build", CNN, "--board", "host", "--package", "arduino", "-o", out)
    assert rc == 2 and not out.exists()
    lines = stderr.strip().splitlines()
    assert lines[0] == ("tinygen build: error: --package arduino: board host names no Arduino core "
                        "([arduino] in its board file)"), stderr
    assert "nano33ble" in stderr
    rc, _, stderr = run_cli("build", CNN, "--board", "nano33ble", "--package", "arduino", "--name", "_cnn",
                            "-o", out)
    assert rc == 2 and not out.exists()
    assert "'_cnn' cannot name an Arduino library" in stderr
