"""`tinygen build --library`: the model as a C library for the user's own firmware.

KWS, VWW (MLPerf Tiny) and the digits CNN built as three libraries link into one host program
and one f746zg image, each written by the test (its own main.c), and each model's outputs equal
tinygen's numpy reference byte for byte, with its own static arena and with one shared
external arena. Every global symbol of a library's objects starts with its NAME_; two libraries
that specialize one kernel differently link side by side and each stays bit-exact."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from e2e import first_difference, run_cli
from library_lib import (ARM_CC, application, build_arm_app, build_cmake_app, build_host_app, code_bytes,
                         defined_globals, digits_pt2, library_sources, run_arm_app)
from mlperf_models import mlperf_model
from tinygen.board import get_board
from tinygen.build.library import build_defines, defined_symbols
from tinygen.build.library_stack import call_graph, deepest_chain
from tinygen.codegen.api import library_name, name_problem
from tinygen.compiler import build, compile_source, load_source
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import run

SAMPLES = 2
NAMES = ("kws", "vww", "digits")

needs_arm = pytest.mark.skipif(shutil.which(ARM_CC) is None or shutil.which("qemu-system-arm") is None,
                               reason="arm-none-eabi-gcc and qemu-system-arm (make toolchain installs them)")


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    digits, calib, _ = digits_pt2(tmp_path_factory.mktemp("digits"))
    return {"kws": (load_source(mlperf_model("kws_dscnn")), None),
            "vww": (load_source(mlperf_model("vww_mobilenet")), None),
            "digits": (load_source(digits), str(calib))}


def _inputs(graph, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    t = graph.tensor(graph.inputs[0])
    return [rng.integers(-128, 128, t.shape).astype(np.int8) for _ in range(SAMPLES)]


def _libraries(sources, board_name: str, folder: Path, arena: str = "static") -> dict:
    """The three models compiled for the board and built as libraries: name -> (graph, DIR)."""
    board = get_board(board_name)
    out = {}
    for name, (source, calib) in sources.items():
        graph = compile_source(source, calib, CompileOptions(features=board.isa_features))
        build(source, graph, board, folder / name, library=name, arena_external=arena == "external")
        out[name] = (graph, folder / name)
    return out


def _expected(libs: dict, inputs: dict) -> bytes:
    """out.bin as the reference says: sample by sample, each model's output."""
    return b"".join(run(libs[n][0], inputs[n][s])[libs[n][0].outputs[0]].astype(np.int8).tobytes()
                    for s in range(SAMPLES) for n in libs)


def _assert_outputs(libs: dict, inputs: dict, got: bytes) -> None:
    want = _expected(libs, inputs)
    assert len(got) == len(want), f"out.bin has {len(got)} bytes, the reference {len(want)}"
    if got != want:       # name the model and sample that differ
        a, b = np.frombuffer(want, np.int8), np.frombuffer(got, np.int8)
        at = 0
        for s in range(SAMPLES):
            for n, (graph, _) in libs.items():
                size = graph.tensor(graph.outputs[0]).nbytes
                assert np.array_equal(a[at:at + size], b[at:at + size]), \
                    f"{n}, sample {s}: {first_difference(a[at:at + size], b[at:at + size])}"
                at += size


@pytest.fixture(scope="module")
def host_libs(sources, tmp_path_factory):
    folder = tmp_path_factory.mktemp("host")
    return {arena: _libraries(sources, "host", folder / arena, arena) for arena in ("static", "external")}


@pytest.mark.parametrize("arena", ["static", "external"])
def test_library_three_models_one_host_program_bit_exact(host_libs, tmp_path, arena):
    libs = host_libs[arena]
    inputs = {n: _inputs(g, seed) for seed, (n, (g, _)) in enumerate(libs.items())}
    app = build_host_app(tmp_path, {n: d for n, (_, d) in libs.items()},
                         application(list(libs), inputs, shared_arena=arena == "external", arm=False))
    done = subprocess.run([str(app)], cwd=tmp_path, capture_output=True, timeout=300)
    assert done.returncode == 0, f"the program exited with {done.returncode}"
    _assert_outputs(libs, inputs, (tmp_path / "out.bin").read_bytes())


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")
def test_library_cmake_add_subdirectory_host_bit_exact(host_libs, tmp_path):
    """Two libraries added to a CMake project with add_subdirectory, linked by their targets."""
    libs = {n: host_libs["static"][n] for n in ("kws", "digits")}
    inputs = {n: _inputs(g, seed) for seed, (n, (g, _)) in enumerate(libs.items())}
    app = build_cmake_app(tmp_path, {n: d for n, (_, d) in libs.items()},
                          application(list(libs), inputs, shared_arena=False, arm=False))
    done = subprocess.run([str(app)], cwd=tmp_path, capture_output=True, timeout=300)
    assert done.returncode == 0, f"the program exited with {done.returncode}"
    _assert_outputs(libs, inputs, (tmp_path / "out.bin").read_bytes())


def test_library_layout_and_names(host_libs):
    graph, lib = host_libs["static"]["kws"]
    files = {p.relative_to(lib).as_posix() for p in lib.rglob("*") if p.is_file() and p.suffix != ".o"}
    assert {"include/kws.h", "src/kws.c", "src/kws_weights.c", "src/kws_weights.h", "src/kws_config.h",
            "CMakeLists.txt", "kws.mk", "README.md", "tinygen.json"} <= files
    assert [f for f in files if f.startswith("include/")] == ["include/kws.h"]
    # no main, no runtime, no ports, no startup, no linker script
    assert not [f for f in files if f.endswith((".ld", ".S", ".s")) or "runtime" in f or "port" in f], files
    assert not any("main(" in (lib / f).read_text() for f in files if f.endswith(".c"))
    header = (lib / "include" / "kws.h").read_text()
    for api in ("void kws_init(void);", "int kws_invoke(void);", "int8_t *kws_input(int index);",
                "int kws_set_switch(int k);", "#define KWS_ARENA_SIZE", "#define KWS_ARENA_ALIGN"):
        assert api in header
    for f in ("include/kws.h", "src/kws.c", "src/kws_weights.c", "src/kws_weights.h"):
        assert "tg_model" not in (lib / f).read_text() and "TG_MODEL" not in (lib / f).read_text(), f
    ext = (host_libs["external"]["kws"][1] / "include" / "kws.h").read_text()
    assert "int kws_init(void *arena);" in ext
    for variant in ("static", "external"):      # the header compiles as C99 and as C++
        include = host_libs[variant]["kws"][1] / "include" / "kws.h"
        for lang, std in (("c", "-std=c99"), ("c++", "-std=c++11")):
            subprocess.run(["gcc", "-x", lang, std, "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-pedantic",
                            str(include)], check=True)
    readme = (lib / "README.md").read_text()
    assert "KWS_ARENA_SIZE" in readme and "host" in readme and "weights" in readme
    info = json.loads((lib / "tinygen.json").read_text())["library"]
    assert info["name"] == "kws" and all((lib / s).is_file() for s in info["sources"])


def test_library_host_objects_define_only_prefixed_symbols(host_libs, tmp_path):
    """nm over every object of the three host libraries, compiled with the user's flags."""
    for name, (_, lib) in host_libs["external"].items():
        for src in library_sources(lib):
            obj = tmp_path / f"{name}_{src.stem}.o"
            subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic",
                            f"-I{lib / 'include'}", f"-I{lib / 'src'}", "-c", str(src), "-o", str(obj)], check=True)
            wrong = [s for s in defined_globals("nm", obj) if not s.startswith(f"{name}_")]
            assert not wrong, f"{obj.name} defines {wrong}"


@needs_arm
@pytest.mark.slow
def test_library_three_models_one_f746zg_image_bit_exact(sources, tmp_path):
    """Built for f746zg (DSP kernels), compiled with the user's -Os and no -D, linked into one
    bare-metal image with one shared external arena; run on the stand-in."""
    libs = _libraries(sources, "f746zg", tmp_path / "libs", "external")
    inputs = {n: _inputs(g, seed) for seed, (n, (g, _)) in enumerate(libs.items())}
    elf, objs = build_arm_app(tmp_path, {n: d for n, (_, d) in libs.items()},
                              application(list(libs), inputs, shared_arena=True, arm=True))
    kernels = set()
    for name, files in objs.items():
        for obj in files:
            symbols = defined_globals("arm-none-eabi-nm", obj)
            assert all(s.startswith(f"{name}_") for s in symbols), f"{obj.name}: {sorted(symbols)}"
            kernels |= {s[len(name) + 1:] for s in symbols if s.startswith(f"{name}_tg_") and s.endswith("_dsp")}
    assert len(kernels) >= 5, kernels          # several DSP kernels, each library its own copy
    for name, (_, lib) in libs.items():       # measured from the call graph, inside the firmware's reserve
        info = json.loads((lib / "tinygen.json").read_text())["library"]
        assert 0 < info["stack_bytes"] < get_board("f746zg").stack_size, info
        assert f"`{info['stack_bytes']}` bytes for `{name}_invoke()`" in (lib / "README.md").read_text()
    run_arm_app(elf)
    _assert_outputs(libs, inputs, (tmp_path / "out.bin").read_bytes())


@needs_arm
def test_library_config_keeps_gcc_from_fusing_multiply_adds(host_libs, tmp_path):
    """GNU C (-std=gnu11) lets GCC fuse a * b + c into one rounding (VFMA on the Cortex-M7); a
    source that includes NAME_config.h first keeps the two roundings the reference computes."""
    config = host_libs["static"]["kws"][1] / "src" / "kws_config.h"
    body = "float f(float a, float b, float c) { return a * b + c; }\n"
    asm = {}
    for case, text in (("plain", body), ("config", f'#include "{config}"\n' + body)):
        (tmp_path / f"{case}.c").write_text(text)
        asm[case] = subprocess.run([ARM_CC, "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard",
                                    "-std=gnu11", "-O2", "-S", "-o", "-", str(tmp_path / f"{case}.c")],
                                   check=True, capture_output=True, text=True).stdout
    assert "vfma" in asm["plain"]
    assert "vfma" not in asm["config"] and "vmul.f32" in asm["config"] and "vadd.f32" in asm["config"]


def test_library_stack_is_the_deepest_chain_of_frames(tmp_path):
    (tmp_path / "a.ci").write_text(
        'graph: { title: "a.c"\n'
        'node: { title: "lib_invoke" label: "lib_invoke\\na.c:1:1\\n10 bytes (static)" }\n'
        'node: { title: "a.c:layer" label: "layer\\na.c:2:1\\n20 bytes (static)" }\n'
        'edge: { sourcename: "lib_invoke" targetname: "a.c:layer" label: "a.c:3:1" }\n'
        'edge: { sourcename: "a.c:layer" targetname: "lib_kernel" label: "a.c:4:1" }\n'
        'edge: { sourcename: "lib_invoke" targetname: "lib_other" label: "a.c:5:1" }\n'
        'edge: { sourcename: "a.c:layer" targetname: "expf" label: "a.c:6:1" }\n}\n')
    (tmp_path / "b.ci").write_text(
        'node: { title: "lib_kernel" label: "lib_kernel\\nb.c:1:1\\n5 bytes (static)" }\n'
        'node: { title: "lib_other" label: "lib_other\\nb.c:9:1\\n30 bytes (dynamic)" }\n')
    frames, calls = call_graph([tmp_path / "a.ci", tmp_path / "b.ci"])
    outside: set = set()
    assert deepest_chain("lib_invoke", frames, calls, {}, outside) == (40, False)      # 10 + 30, a dynamic frame
    assert outside == {"expf"}
    assert deepest_chain("a.c:layer", frames, calls, {}, set()) == (25, True)


class _DepthwiseNet(torch.nn.Module):
    """conv, ReLU, a 3x3 depthwise conv with or without ReLU, fully connected."""

    def __init__(self, relu: bool):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.dw = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.fc = torch.nn.Linear(8 * 12 * 6, 4)
        self.relu = relu

    def forward(self, x):
        x = self.dw(torch.relu(self.conv(x)))
        return self.fc((torch.relu(x) if self.relu else x).flatten(1))


@needs_arm
def test_library_two_specializations_of_one_kernel_link_and_stay_bit_exact(tmp_path):
    """With ReLU after it the 3x3 depthwise kernel leaves the sign's ADD out (TG_DW3_SIGN_ADD 0 in
    its library's config), without it keeps it: both libraries call tg_depthwise_conv2d_3x3_s8_dsp,
    each links its own copy, and each model equals its reference."""
    board = get_board("f746zg")
    libs, inputs = {}, {}
    for seed, (name, relu) in enumerate((("dwrelu", True), ("dwlin", False))):
        torch.manual_seed(seed)
        net = _DepthwiseNet(relu).eval()
        shape = (1, 1, 12, 6)
        folder = tmp_path / name
        folder.mkdir()
        torch.export.save(torch.export.export(net, (torch.randn(shape),)), folder / "m.pt2")
        np.save(folder / "calib.npy", np.random.default_rng(seed).standard_normal((16,) + shape[1:]).astype(np.float32))
        source = load_source(folder / "m.pt2")
        graph = compile_source(source, str(folder / "calib.npy"), CompileOptions(features=board.isa_features))
        assert "tg_depthwise_conv2d_3x3_s8_dsp" in [n.kernel for n in graph.nodes]
        build(source, graph, board, folder / "lib", library=name)
        libs[name] = (graph, folder / "lib")
        inputs[name] = _inputs(graph, seed)
    config = {n: (d / "src" / f"{n}_config.h").read_text() for n, (_, d) in libs.items()}
    assert "#define TG_DW3_SIGN_ADD 0" in config["dwrelu"] and "TG_DW3_SIGN_ADD" not in config["dwlin"]
    # the F746's own kernel tuning (its board file's -DTG_DUAL_ISSUE=1): the loops scheduled for the M7's dual issue
    assert all("#define TG_DUAL_ISSUE 1" in text for text in config.values())
    elf, objs = build_arm_app(tmp_path, {n: d for n, (_, d) in libs.items()},
                              application(list(libs), inputs, shared_arena=False, arm=True))
    kernel = "tg_depthwise_conv2d_3x3_s8_dsp"
    for name, files in objs.items():
        assert f"{name}_{kernel}" in defined_globals("arm-none-eabi-nm", next(o for o in files if kernel in o.name))
    one, two = (code_bytes("arm-none-eabi-nm", next(o for o in objs[n] if kernel in o.name)) for n in ("dwrelu", "dwlin"))
    assert one < two, f"the copy without the sign's ADD ({one} B of code) is not smaller than the one with it ({two} B)"
    run_arm_app(elf)
    _assert_outputs(libs, inputs, (tmp_path / "out.bin").read_bytes())


@needs_arm
def test_library_dsp_kernels_refuse_a_core_without_dsp(tmp_path, sources):
    """Compiled for a core without the DSP extension, the config's #error names the board."""
    source, _ = sources["kws"]
    board = get_board("f746zg")
    graph = compile_source(source, None, CompileOptions(features=board.isa_features))
    build(source, graph, board, tmp_path / "kws", library="kws")
    src = tmp_path / "kws" / "src"
    done = subprocess.run([ARM_CC, "-mcpu=cortex-m0", "-mthumb", f"-I{tmp_path / 'kws' / 'include'}", f"-I{src}",
                           "-c", str(src / "kws.c"), "-o", str(tmp_path / "kws.o")], capture_output=True, text=True)
    assert done.returncode != 0 and "kws: built for nucleo-f746zg" in done.stderr


def test_defined_symbols_finds_external_definitions_only():
    text = """/* tg_in_comment(void) */
static void tg_helper(int x);
static int32_t
tg_static_split(int x)
{ return tg_call(x); }
void tg_public(const int8_t *p)
{
    tg_call(1);
}
int32_t
tg_public_split(int x)
{ return x; }
const uint16_t tg_table[4] = {1, 2, 3, 4};
#define TG_MACRO(x) (x)
TG_MACRO(1)
"""
    assert defined_symbols(text) - {"tg_static_split"} == {"tg_public", "tg_public_split", "tg_table"}


@pytest.mark.parametrize("argv, message", [
    (["--library", "--name", "int"], "is a C or C++ keyword"),
    (["--library", "--name", "3kws"], "is not a C identifier"),
    (["--library", "--name", "kws-v2"], "is not a C identifier"),
    (["--library", "--name", "tg_kws"], "tinygen's own prefix"),
    (["--name", "kws"], "--name needs --library"),
    (["--arena", "external"], "--arena external needs --library"),
    (["--library", "--kernels", "cmsis-nn"], "does not package cmsis-nn kernels"),
    (["--library", "--arena-region", "dtcm"], "--arena-region is a firmware option"),
])
def test_library_bad_options_refused_in_one_line(tmp_path, argv, message):
    out = tmp_path / "out"
    rc, _, err = run_cli("build", mlperf_model("kws_dscnn"), "--board", "host", "-o", out, *argv)
    assert rc == 2 and message in err and "Traceback" not in err, err
    assert err.startswith("tinygen build: error:") and not out.exists()


@pytest.mark.parametrize("model, name", [("kws_dscnn_int8", "kws_dscnn_int8"), ("my-model.v2", "my_model_v2"),
                                         ("3layers", "m_3layers"), ("int", "int_model"), ("tg_net", "m_tg_net"),
                                         ("tgram", "tgram")])
def test_library_default_name_is_a_valid_c_identifier(model, name):
    assert library_name(model) == name and name_problem(name) is None


def test_library_cli_default_name_is_the_model_name(tmp_path):
    rc, stdout, err = run_cli("build", mlperf_model("kws_dscnn"), "--board", "host", "--library", "-q",
                              "-o", tmp_path / "lib")
    assert rc == 0, err
    assert (tmp_path / "lib" / "include" / "kws_dscnn_int8.h").is_file()
    assert "built library kws_dscnn_int8" in stdout
    header = (tmp_path / "lib" / "include" / "kws_dscnn_int8.h").read_text()
    assert "int kws_dscnn_int8_invoke(void);" in header and "#define KWS_DSCNN_INT8_ARENA_SIZE" in header
    # a library folder holds no image: flash says so in one line
    rc, _, err = run_cli("flash", "--board", "host", "-o", tmp_path / "lib")
    assert rc == 1 and "holds library kws_dscnn_int8" in err and "Traceback" not in err, err


def test_build_defines_carry_the_boards_kernel_tuning(sources):
    """A library's NAME_config.h carries the board's -DTG_ cflags (TG_DUAL_ISSUE=1 on a Cortex-M7 board,
    TG_PAIRS_WHOLE=4 on the F446 with its 1 KB ART), which a user's project does not get from the board file."""
    source, _ = sources["kws"]
    for name, dual in (("f746zg", True), ("f446re", False)):
        board = get_board(name)
        graph = compile_source(source, None, CompileOptions(features=board.isa_features))
        assert (("TG_DUAL_ISSUE", "1") in build_defines(graph, board)) == dual
        assert (("TG_PAIRS_WHOLE", "4") in build_defines(graph, board)) == (not dual)
        assert not any(macro in ("TG_DUAL_ISSUE", "TG_PAIRS_WHOLE") for macro, _ in build_defines(graph))
