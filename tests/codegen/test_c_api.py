"""The generated header's C API (templates/model.h.j2) and its reference page (docs/c-api.md):
headers generated for a plain CNN, a switchable, a gated, an early-exit, a recurrent and a
streamed banded model, with the firmware's names (tg_model) and a library's (NAME, with a
static and an external arena). Every function and macro they declare is on the page, every
name the page gives is in some header, each compiles as C99 and C++11 / C++17 with -Wall
-Wextra -Werror -pedantic, and the host build answers a bad index as the page says."""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from e2e import example_source
from gating_models import GatedNet, MultiExitNet
from torch_models import compile_module
from tinygen import __version__
from tinygen.board import get_board
from tinygen.codegen.api import FIRMWARE, Api, library_api
from tinygen.codegen.emit import project_data
from tinygen.codegen.project import render_model
from tinygen.compiler import build, compile_source, load_source
from tinygen.passes import CompileOptions
from tinygen.passes.plan_memory import STREAM_INPUT

PAGE = Path(__file__).resolve().parents[2] / "docs" / "c-api.md"
SWITCH_FUNCTIONS = ("set_switch", "get_switch", "switch_name")
COMPILERS = (("gcc", "c99", "c"), ("g++", "c++11", "cpp"), ("g++", "c++17", "cpp"))


# two precision switches, small: the header's switch section (examples/switchable has trained ones)
SWITCHABLE = '''
import torch
from torch import nn
from tinygen.nn import ActQuant, QConv2d, SwitchableBatchNorm2d, SwitchableQConv2d, SwitchableQLinear, WeightQuant

SW = {"w8a8": (WeightQuant("int8"), ActQuant("int8")), "w4a8": (WeightQuant("uniform", bits=4), ActQuant("int8"))}


def model():
    torch.manual_seed(3)
    return nn.Sequential(QConv2d(1, 8, 3, padding=1), nn.ReLU(),
                         SwitchableQConv2d(8, 8, 3, SW, stride=2, padding=1), SwitchableBatchNorm2d(8, SW), nn.ReLU(),
                         nn.Flatten(), SwitchableQLinear(8 * 16, 4, SW)).eval()


def example_input():
    return torch.randn(1, 1, 8, 8)


def calibration_data():
    return torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(5))
'''


class Recurrent(nn.Module):
    """An LSTM over the frames, then a linear head: state that carries over (--stateful)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 8, batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.lstm(x)[0][:, -1])


def _images(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((8, 3, 16, 16)).astype(np.float32)


def _recurrent():
    torch.manual_seed(0)
    calib = np.random.default_rng(0).standard_normal((16, 1, 6)).astype(np.float32)
    return compile_module(Recurrent(), calib, "recurrent", CompileOptions(stateful=True))[1]


def _switchable(folder: Path):
    (folder / "two_switches.py").write_text(SWITCHABLE)
    return compile_source(load_source(folder / "two_switches.py"))


def _banded():
    """The example MobileNet's stage up to dwconv_9 in 3 row bands, the input streamed in."""
    graph = compile_source(example_source("mobilenet"), options=CompileOptions(tile=("dwconv_9", "bands", 3)))
    graph.meta[STREAM_INPUT] = True
    return graph


MODELS = {
    "cnn": lambda: compile_source(example_source("cnn")),
    "switchable": _switchable,
    "gated": lambda: compile_module(GatedNet(), _images(0), "gated")[1],
    "exits": lambda: compile_module(MultiExitNet(), _images(1), "exits")[1],
    "recurrent": _recurrent,
    "banded": _banded,
}


@pytest.fixture(scope="module")
def headers(tmp_path_factory) -> dict[str, tuple[Api, str]]:
    """(api, header text) per model and packaging: the firmware's model.h (the CNN's also with
    the camera and libm macros, as write_project renders them for such a build) and a library's
    NAME.h (odd models with --arena external)."""
    out = {}
    for k, (name, make) in enumerate(MODELS.items()):
        graph = make(tmp_path_factory.mktemp("model")) if make is _switchable else make()
        for api in (FIRMWARE, library_api(f"lib_{name}", arena_external=k % 2 == 1)):
            data = project_data(graph, name, "0123456789abcdef", __version__, api=api)
            out[f"{api.fn}:{name}"] = (api, render_model(data)[api.header])
        if name == "cnn":
            data = project_data(graph, name, "0123456789abcdef", __version__)
            out["tg_model:cnn+camera+libm"] = (FIRMWARE, render_model(data, camera=True,
                                                                       libm="TG_LIBM_FUNCTION(expf)")["model.h"])
    return out


def declared(text: str) -> tuple[list[str], list[str], set[str]]:
    """The functions and the macros a header declares, and its macros with an empty body."""
    code = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    functions = re.findall(r"(?m)^(?:const\s+)?\w+\s*\*?\s*(\w+)\s*\([^)]*\)\s*;", code)
    macros = re.findall(r"(?m)^#define\s+(\w+)", code)
    empty = set(re.findall(r"(?m)^#define\s+(\w+)\s*$", code))
    return functions, macros, empty


def on_page_form(api: Api, name: str) -> str:
    """`name` as docs/c-api.md writes it: the prefix as NAME_, a port's number as n."""
    for prefix in (f"{api.fn}_", f"{api.macro}_") + tuple(f"{api.switch}_{f}" for f in SWITCH_FUNCTIONS):
        if name.startswith(prefix):
            rest = name[len(prefix):] if prefix.endswith("_") else name[len(api.switch) + 1:]
            return "NAME_" + re.sub(r"^(INPUT|OUTPUT)\d+_", r"\1n_", rest)
    raise AssertionError(f"{name} does not carry the prefix {api.fn} / {api.macro}")


def page_names() -> set[str]:
    """Every NAME_ identifier on the page (not a file name such as NAME_config.h)."""
    text = PAGE.read_text()
    return {re.sub(r"^NAME_(INPUT|OUTPUT)\d+_", r"NAME_\1n_", name)
            for name in re.findall(r"\bNAME_\w+\b(?!\.\w)", text)}


def test_page_and_headers_name_the_same_api(headers):
    page = page_names()
    seen: set[str] = set()
    for key, (api, text) in headers.items():
        functions, macros, _ = declared(text)
        assert functions and macros, key
        names = {on_page_form(api, n) for n in functions + macros}     # every name carries the prefix
        missing = names - page
        assert not missing, f"{key}: not on {PAGE.name}: {sorted(missing)}"
        seen |= names
    assert not page - seen, f"on {PAGE.name} but in no header: {sorted(page - seen)}"
    # the optional parts each came from some model: bands, gates and exits, switches, camera, libm
    assert {"NAME_invoke_band", "NAME_INPUT_STREAMED", "NAME_CAMERA", "NAME_LIBM_FUNCTIONS",
            "NAME_ARENA_ALIGN"} <= seen


def test_library_init_takes_the_arena_where_external(headers):
    for key, (api, text) in headers.items():
        signature = re.search(rf"(?m)^(\w+) {api.fn}_init\((.*?)\);", text).groups()
        assert signature == (("int", "void *arena") if api.arena_external else ("void", "void")), key


def _use(api: Api, text: str) -> str:
    """C that names every function and macro of the header (so each must be declared and
    each macro must expand to an expression)."""
    functions, macros, empty = declared(text)
    lines = [f"    (void){f};" for f in functions]
    for m in macros:
        if m.endswith("_LIBM_FUNCTIONS"):
            lines.append(f"    {m}")                       # TG_LIBM_FUNCTION(fn) ... statements
        elif m not in empty:
            lines.append(f"    (void)({m});")
    return f"static void use_{api.fn}(void)\n{{\n" + "\n".join(lines) + "\n}\n"


def _compile(folder: Path, headers: dict[str, tuple[Api, str]], stem: str) -> None:
    for name, (api, text) in headers.items():
        (folder / api.header).write_text(text)
    include = "".join(f'#include "{api.header}"\n' for api, _ in headers.values())
    body = "".join(_use(api, text) for api, text in headers.values())
    calls = "".join(f"    use_{api.fn}();\n" for api, _ in headers.values())
    tu = ("#define TG_LIBM_FUNCTION(fn) (void)#fn;\n" + include + body
          + f"int main(void)\n{{\n{calls}    return 0;\n}}\n")
    for cc, std, ext in COMPILERS:
        if shutil.which(cc) is None:
            pytest.skip(f"no {cc}")
        source = folder / f"{stem}.{ext}"
        source.write_text(tu)
        proc = subprocess.run([cc, f"-std={std}", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", str(source),
                               "-o", str(folder / f"{stem}.{std}.o")], capture_output=True, text=True)
        assert proc.returncode == 0, f"{cc} -std={std} {stem}:\n{proc.stderr}"


def test_header_compiles_as_c99_and_cpp_pedantic(headers, tmp_path):
    """Each firmware header on its own (they share the prefix), all the libraries' in one
    translation unit (their names differ: several models in one image)."""
    for key, (api, text) in headers.items():
        if api is FIRMWARE:
            folder = tmp_path / re.sub(r"\W", "_", key)
            folder.mkdir()
            _compile(folder, {key: (api, text)}, "use")
    libraries = {k: v for k, v in headers.items() if v[0] is not FIRMWARE}
    assert len(libraries) == len(MODELS)
    _compile(tmp_path, libraries, "use_libraries")


def test_bad_index_answers_as_the_page_says(tmp_path):
    """The host build of the CNN, through its shared library: NULL, 0, 0.0f and -1 as the page's
    tables give them, and nothing changed by a refused call."""
    from e2e import compile_example

    source, graph = compile_example("cnn")
    build(source, graph, get_board("host"), tmp_path / "host")
    lib = ctypes.CDLL(str(tmp_path / "host" / "libtgmodel.so"))
    for fn in ("tg_model_input", "tg_model_output", "tg_model_layer_output", "tg_model_layer_name",
               "tg_switch_name", "tg_model_arena"):
        getattr(lib, fn).restype = ctypes.c_void_p
    for fn in ("tg_model_input_scale", "tg_model_output_scale"):
        getattr(lib, fn).restype = ctypes.c_float
    lib.tg_model_init()
    layers = lib.tg_model_num_layers()
    assert layers == sum(1 for n in graph.nodes if n.kernel) and lib.tg_model_arena()
    for bad in (-1, 1, 1000):
        assert lib.tg_model_input(bad) is None and lib.tg_model_output(bad) is None
        assert lib.tg_model_input_size(bad) == 0 and lib.tg_model_output_size(bad) == 0
        assert lib.tg_model_input_scale(bad) == 0.0 and lib.tg_model_output_scale(bad) == 0.0
        assert lib.tg_model_input_zero_point(bad) == 0 and lib.tg_model_output_zero_point(bad) == 0
        assert lib.tg_set_switch(bad) == -1 and lib.tg_get_switch() == 0
        assert lib.tg_switch_name(bad) is None
        assert lib.tg_model_gate_kept(bad) == -1
    assert lib.tg_model_input(0) and lib.tg_model_input_size(0) == graph.tensor(graph.inputs[0]).nbytes
    assert lib.tg_model_input_scale(0) > 0.0 and lib.tg_switch_name(0) is not None
    for bad in (-1, layers):
        assert lib.tg_model_invoke_layer(bad) == -1
        assert lib.tg_model_layer_name(bad) is None and lib.tg_model_layer_output(bad) is None
        assert lib.tg_model_layer_output_size(bad) == 0
    assert lib.tg_model_invoke() == 0 and lib.tg_model_exit() == 0 and lib.tg_model_gate_kept(0) == -1
