"""`--package arduino`: the library as an Arduino library in the 1.5 format of the Arduino library
specification (arduino-cli's docs/library-specification.md), one zip that the Arduino IDE's
"Sketch > Include Library > Add .ZIP Library..." and `arduino-cli lib install --zip-path` install:

    DIR/NAME.zip
      NAME/library.properties         name, version (tinygen's), author, maintainer, sentence,
                                      paragraph, category, url, architectures (the board's Arduino
                                      core), precompiled=false, includes=NAME.h
      NAME/src/NAME.h                 the API (the library's include/NAME.h): `#include <NAME.h>`
      NAME/src/...                    the library's src/ as written, flat: the model, its weights,
                                      NAME_config.h (the kernels' switches: no -D needed) and kernels
      NAME/examples/NAME/NAME.ino     reads one input over Serial, invokes, prints the outputs and
                                      the microseconds NAME_invoke() took
      NAME/README.md                  what it is, how to add it, the example's serial protocol

The board file's [arduino] table names the board's Arduino core (fqbn, architecture, the flags
its builder compiles .c and .cpp files with, what Serial is); a board without one is refused.
Arduino's builder compiles every .c under src/ with the core's flags and nothing else: the
library's NAME_config.h, included first by each source, carries its switches and pragmas.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from tinygen import __version__
from tinygen.board import Board, all_boards
from tinygen.codegen.templating import template_env
from tinygen.errors import UsageError

KIND = "arduino"
CATEGORY = "Data Processing"
BAUD = 115200                        # the example's Serial.begin(); a USB CDC port ignores it
# the specification's library root folder: a basic letter or digit first, at most 63 characters
_FOLDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\Z")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)    # fixed entry times: the zip's bytes depend on its files alone
# an output's C type and how the example prints one value `v` of it (Arduino's Print API)
_PRINT = {"int8": ("int8_t", "(int)v"), "int16": ("int16_t", "(int)v"), "float32": ("float", "v, 6")}


def arduino_core(board: Board) -> dict | None:
    """The board's Arduino core ([arduino]: fqbn, architecture, cflags, cxxflags, serial), or None."""
    return board.arduino or None


def check(board: Board, name: str) -> None:
    if arduino_core(board) is None:
        having = ", ".join(b.name for b in all_boards() if arduino_core(b) is not None) or "none yet"
        raise UsageError(f"--package arduino: board {board.name} names no Arduino core ([arduino] in its board file)",
                         f"build for a board with one ({having}) or add [arduino] to your board file (docs/boards.md)")
    if not _FOLDER.match(name):
        raise UsageError(f"--package arduino: {name!r} cannot name an Arduino library (a letter or digit first, "
                         "at most 63 characters)", "give --name a name such as kws or person_detect")


def _port_text(port: dict, index: int, kind: str) -> str:
    shape = "x".join(str(d) for d in port["shape"])
    return f"{kind} {index}: {port['dtype']} {shape} ({port['name']})"


def _protocol(name: str, macro: str, info: dict, serial: str) -> list[str]:
    """The example's serial protocol, in lines: the sketch's comment and the README say it alike."""
    nbytes = sum(_bytes(p) for p in info["inputs"])
    lines = [f"{serial}.", f"The example opens Serial at {BAUD} baud, 8N1. At start the board prints one line:",
             f'  "{name} ready: send {nbytes} bytes"',
             f"Send one input: {nbytes} raw bytes ({macro}_INPUT_BYTES), each input's tensor as "
             f"{name}_input(i) holds it (NHWC), one after the other:"]
    for i, p in enumerate(info["inputs"]):
        quantized = f"q = round(x / {p['scale']:.9g}){_plus(p['zero_point'])}"
        lines.append(f"  {_port_text(p, i, 'input')}: {_bytes(p)} bytes, "
                     + (quantized if p["dtype"] != "float32" else "little-endian"))
    lines.append(f"The board runs {name}_invoke() and answers one line per output, then the time:")
    for i, p in enumerate(info["outputs"]):
        count = _count(p)
        lines.append(f'  "output {i}: v0 v1 ... v{count - 1}"   {count} values of {_port_text(p, i, "output")}'
                     + (f", x = {p['scale']:.9g} * (v{_plus(-p['zero_point'])})" if p["dtype"] != "float32" else ""))
    lines += ['  "micros: T"   the microseconds the invoke took (micros() before and after)',
              f'(or "error: {name}_invoke() returned R"), and waits for the next input.']
    return lines


def _plus(z: int) -> str:
    """` + z` / ` - z` (nothing for 0): a zero point added in a formula."""
    return f" + {z}" if z > 0 else f" - {-z}" if z < 0 else ""


def _count(port: dict) -> int:
    n = 1
    for d in port["shape"]:
        n *= int(d)
    return n


def _bytes(port: dict) -> int:
    return _count(port) * {"int8": 1, "int16": 2, "float32": 4}[port["dtype"]]


def _properties(name: str, info: dict, core: dict) -> str:
    """library.properties: one key=value a line (the specification's fields)."""
    lib = info["library"]
    fields = {
        "name": name,
        "version": __version__,      # tinygen's (semver); the model has none: its hash is in the paragraph
        "author": "tinygen (generated code)",
        "maintainer": "tinygen (generated code: build the model again to change it)",
        "sentence": f"The model {info['model']} compiled to C by tinygen: {name}_init(), {name}_invoke().",
        "paragraph": (f"Built for {info['board']} ({core['fqbn']}): arena {info['arena_size']} bytes"
                      f" ({lib['arena']}), weights {info['weight_bytes']} bytes (flash),"
                      f" model hash {info['model_hash']}."
                      " No malloc, no interpreter; the example sketch runs it over Serial."),
        "category": CATEGORY,
        "url": "",                   # tinygen has no public page to name; fill it in to publish the library
        "architectures": core["architecture"],
        "precompiled": "false",
        "includes": f"{name}.h",
    }
    for key, value in fields.items():
        if "\n" in value:
            raise UsageError(f"--package arduino: library.properties {key} would span lines",
                             "check the model's name and the board file's [arduino] values")
    return "".join(f"{k}={v}\n" for k, v in fields.items())


def _sketch_data(name: str, info: dict, board: Board, core: dict) -> dict:
    lib = info["library"]
    outputs = [{"index": i, "ctype": _PRINT[p["dtype"]][0], "value": _PRINT[p["dtype"]][1], "count": _count(p)}
               for i, p in enumerate(info["outputs"])]
    macro = name.upper()
    return {"name": name, "macro": macro, "model": info["model"], "version": __version__, "board": board.name,
            "fqbn": core["fqbn"], "baud": BAUD, "outputs": outputs, "arena_external": lib["arena"] == "external",
            "protocol": _protocol(name, macro, info, core["serial"]), "architecture": core["architecture"],
            "arena_size": info["arena_size"], "weight_bytes": info["weight_bytes"]}


def _zip(lib: Path, name: str, files: dict[str, bytes]) -> Path:
    """NAME.zip: folder NAME/ holding `files` (paths inside it -> bytes), with its folders' entries."""
    out = lib / f"{name}.zip"
    folders = sorted({f"{name}/"} | {f"{name}/{p.rsplit('/', 1)[0]}/" for p in files if "/" in p}
                     | {f"{name}/examples/"})
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for folder in folders:
            z.writestr(zipfile.ZipInfo(folder, _ZIP_TIME), b"")
        for path in sorted(files):
            entry = zipfile.ZipInfo(f"{name}/{path}", _ZIP_TIME)
            entry.external_attr = 0o644 << 16
            z.writestr(entry, files[path], zipfile.ZIP_DEFLATED)
    return out


def write(lib: Path, info: dict, board: Board) -> list[str]:
    name = info["library"]["name"]
    core = arduino_core(board)
    env = template_env()
    data = _sketch_data(name, info, board, core)
    files = {f"src/{p.name}": p.read_bytes() for p in sorted((lib / "src").iterdir()) if p.is_file()}
    files[f"src/{name}.h"] = (lib / info["library"]["header"]).read_bytes()
    files["library.properties"] = _properties(name, info, core).encode()
    files[f"examples/{name}/{name}.ino"] = env.get_template("package/arduino/sketch.ino.j2").render(**data).encode()
    files["README.md"] = env.get_template("package/arduino/README.md.j2").render(**data).encode()
    return [_zip(lib, name, files).relative_to(lib).as_posix()]


__all__ = ["BAUD", "CATEGORY", "KIND", "arduino_core", "check", "write"]
