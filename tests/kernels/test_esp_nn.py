"""The ESP-NN backend (--kernels esp-nn): firmware/esp_nn adapters, their KernelSpecs
(tinygen.kernels.esp_nn) and the tree lookup (tinygen.kernels.esp_nn_tree).

Always run: the errors without a tree and with a folder that is not ESP-NN; which
kernels are chosen where (and which fall back, with the build's note); the generated
build files: the stand-in's Makefile compiles the tree's portable C, the ESP-IDF
project declares the espressif/esp-nn component (with a stand-in tree of empty files).
With ESP_NN_PATH set to an ESP-NN tree (CI sets it: .ci/third_party.sh; versions in
docs/backends.md): every adapter
compiles strict for RV32IMC; firmware built with --kernels esp-nn for the esp32-c3, run
on its QEMU RISC-V stand-in, equals the numpy reference layer by layer over
property-generated shapes (odd channels, stride 2, padding, depth multipliers); the four
MLPerf Tiny models equal TFLite Micro there (slow).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from e2e import ROOT, assert_device_equals_reference, first_difference
from kernel_lib import KERNEL_INCLUDES
from mlperf_models import mlperf_model
from tinygen.board import get_board
from tinygen.kernels.esp_nn_tree import ENV, OP_SOURCES, TESTED, URL, find_esp_nn
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import TinygenError, UsageError
from tinygen.fit import estimated
from tinygen.report.kernels import esp_nn_note
from tinygen.kernels.table import KERNELS, KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input

ADAPTER_DIR = ROOT / "firmware" / "esp_nn"
ADAPTERS = sorted(ADAPTER_DIR.glob("tg_*_esp_nn*.c"))
TREE = os.environ.get(ENV)
RV_GCC = shutil.which("riscv64-unknown-elf-gcc")
STRICT = ["-march=rv32imc_zicsr", "-mabi=ilp32", "-ffreestanding", "-std=c99", "-O2", "-Wall", "-Wextra",
          "-Werror", "-Wshadow", "-Wconversion", "-Wdouble-promotion"]

needs_tree = pytest.mark.skipif(
    not TREE, reason=f"{ENV} not set: the ESP-NN tests need an ESP-NN source tree ({URL}, tested: "
                     f"{', '.join(TESTED)}); run them with {ENV}=PATH")
needs_rv_gcc = pytest.mark.skipif(RV_GCC is None, reason="riscv64-unknown-elf-gcc is not installed "
                                  "(apt-get install gcc-riscv64-unknown-elf)")
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-riscv32") is None or RV_GCC is None,
                                reason="the esp32-c3 stand-in needs qemu-system-riscv32 (qemu-system-misc) "
                                       "and riscv64-unknown-elf-gcc")


def fake_tree(root: Path) -> Path:
    """A folder shaped like an ESP-NN tree: its public header, idf_component.yml and the
    portable sources the adapters need (empty)."""
    (root / "include").mkdir(parents=True)
    (root / "include" / "esp_nn.h").write_text("#pragma once\n")
    (root / "idf_component.yml").write_text('version: "1.2.3"\ndescription: ESP-NN\n')
    for rel in (s for srcs in OP_SOURCES.values() for s in srcs):
        (root / "src" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "src" / rel).write_text("")
    return root


def assert_says_both_ways(e: UsageError) -> None:
    for needed in ("--esp-nn PATH", ENV, URL):
        assert needed in str(e), f"{needed!r} missing from: {e}"


# -- the tree -----------------------------------------------------------------------------------

def test_esp_nn_without_tree_names_both_ways(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(UsageError) as e:
        find_esp_nn(None)
    assert "needs an ESP-NN source tree" in e.value.message
    assert_says_both_ways(e.value)


def test_esp_nn_from_cli_without_tree(monkeypatch, tmp_path, capsys):
    from tinygen.cli import main

    monkeypatch.delenv(ENV, raising=False)
    model = ROOT / "examples" / "models" / "mlp.py"
    assert main(["build", str(model), "--board", "esp32-c3", "--kernels", "esp-nn", "-o", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "ESP-NN" in err and "--esp-nn PATH" in err and ENV in err
    assert not (tmp_path / "b").exists()


def test_esp_nn_not_a_tree_and_missing(tmp_path, monkeypatch):
    (tmp_path / "include").mkdir()
    with pytest.raises(UsageError) as e:
        find_esp_nn(tmp_path)
    assert "is not an ESP-NN source tree (no include/esp_nn.h)" in e.value.message
    assert_says_both_ways(e.value)
    monkeypatch.setenv(ENV, str(tmp_path / "gone"))
    with pytest.raises(UsageError, match=r"does not exist") as e:
        find_esp_nn(None)
    assert f"${ENV}" in e.value.message


def test_esp_nn_env_variable_and_version(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV, str(fake_tree(tmp_path / "t")))
    tree = find_esp_nn(None)
    assert tree.path == (tmp_path / "t").resolve() and tree.version == "1.2.3"
    assert tree.sources({"conv2d", "softmax", "reshape"}) == ["convolution/esp_nn_conv_ansi.c",
                                                               "softmax/esp_nn_softmax_ansi.c"]


# -- the kernel table and the choice ------------------------------------------------------------

def test_every_esp_nn_adapter_is_in_the_table():
    specs = {s.name: s for s in KERNELS if s.backend == "esp-nn"}
    assert sorted(f"esp_nn/{p.name}" for p in ADAPTERS) == sorted(s.source for s in specs.values())
    declared = (ADAPTER_DIR / "tg_esp_nn.h").read_text()
    for spec in specs.values():
        assert "esp-nn" in spec.requires
        assert f"void {spec.name}(" in declared
        assert not spec.ref_name.endswith("_esp_nn"), f"{spec.name} must name its portable numpy twin"


class Small(nn.Module):
    """Every op ESP-NN has, plus the layers it must leave to tinygen: a dilated conv,
    PyTorch's average over padding, a broadcasting mul, a logistic."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.dilated = nn.Conv2d(8, 8, 3, padding=2, dilation=2)      # ESP-NN has no dilation
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.maxpool = nn.MaxPool2d(2)
        self.avg_pad = nn.AvgPool2d(3, stride=1, padding=1)             # counts the padding
        self.avg_tfl = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.fc = nn.Linear(8 * 4 * 4, 6)

    def forward(self, x):
        y = self.dw(torch.relu(self.conv(x)))
        y = self.maxpool(y * self.dilated(y))
        y = self.avg_pad(y) + self.avg_tfl(y)
        y = y * torch.mean(y, dim=(2, 3), keepdim=True)                 # broadcasting mul
        return torch.softmax(torch.sigmoid(self.fc(torch.flatten(y, 1))), dim=1)   # no ESP-NN logistic


def compile_model(net: nn.Module, shape, board, tmp: Path, tree, seed: int = 1, extra=frozenset()):
    torch.manual_seed(seed)
    for p in net.parameters():
        torch.nn.init.uniform_(p, -1.0, 1.0)
    net.eval()
    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp / "m.pt2")
    rng = np.random.default_rng(seed)
    np.save(tmp / "calib.npy", rng.standard_normal((32,) + tuple(shape[1:])).astype(np.float32))
    source = load_source(tmp / "m.pt2")
    graph = compile_source(source, str(tmp / "calib.npy"),
                           CompileOptions(features=get_board(board).isa_features | extra, kernels="esp-nn",
                                          esp_nn=str(tree)))
    return source, graph


def kernels_by_op(graph) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node in graph.nodes:
        if node.kernel:
            found.setdefault(node.op, []).append(node.kernel)
    return found


def test_esp_nn_kernels_chosen_with_fallbacks(tmp_path):
    _, graph = compile_model(Small(), (1, 3, 8, 8), "esp32-c3", tmp_path, fake_tree(tmp_path / "tree"))
    by_op = kernels_by_op(graph)
    assert by_op["conv2d"] == ["tg_conv2d_s8_esp_nn", "tg_conv2d_s8_rv32"]     # the dilated one: tinygen's
    assert by_op["depthwise_conv2d"] == ["tg_depthwise_conv2d_s8_esp_nn"]
    assert by_op["max_pool2d"] == ["tg_max_pool2d_s8_esp_nn"]
    # the mean over H, W is a global average pool
    assert sorted(by_op["avg_pool2d"]) == ["tg_avg_pool2d_s8_esp_nn"] * 2 + ["tg_avg_pool2d_s8_rv32"]
    assert by_op["add"] == ["tg_add_s8_esp_nn"]
    assert sorted(by_op["mul"]) == ["tg_mul_s8", "tg_mul_s8_esp_nn"]           # the broadcasting one: tinygen's
    assert by_op["fully_connected"] == ["tg_fully_connected_per_channel_s8_esp_nn"]
    assert by_op["softmax"] == ["tg_softmax_s8_esp_nn"]
    note = esp_nn_note(graph)
    layers = sum(len(v) for v in by_op.values())
    assert f"ESP-NN 1.2.3 ({(tmp_path / 'tree').resolve()}) runs {layers - 4} of {layers} layers" in note, note
    # each layer ESP-NN does not run, with its one reason
    assert "ESP-NN's kernels do not compute " in note, note
    assert "(conv2d: dilation 2x2)" in note, note
    assert "(avg_pool2d: PyTorch's count_include_pad: the padding counted in the average)" in note, note
    assert "(mul: broadcast operands)" in note, note
    assert "ESP-NN has no kernel for" in note and "(logistic)" in note
    assert "ESP32-S3" not in note and "or the --kernels" not in note, note
    # scratch: softmax's int32 per class for ESP-NN's optimized versions; conv and depthwise none
    scratch = {n.kernel: n.scratch_bytes for n in graph.nodes if n.kernel and n.kernel.endswith("_esp_nn")}
    assert scratch["tg_softmax_s8_esp_nn"] == 6 * 4
    assert scratch["tg_conv2d_s8_esp_nn"] == scratch["tg_depthwise_conv2d_s8_esp_nn"] == 0


@pytest.mark.parametrize("name", ["kws_dscnn", "ic_resnet8"])
def test_esp_nn_named_keeps_every_layer_it_has_a_kernel_for(name, tmp_path):
    """--kernels esp-nn on the ESP32-C3: the memory-aware choice (on) picks among ESP-NN's
    kernels only. KWS's depthwise and 1x1 layers and IC's residual add would take tinygen's
    kernels to lower the arena under --kernels auto; named, ESP-NN runs every layer."""
    board = get_board("esp32-c3")
    tree = fake_tree(tmp_path / "tree")
    source = load_source(mlperf_model(name))
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels="esp-nn",
                                                          esp_nn=str(tree)))
    layers = [n for n in graph.nodes if n.kernel]
    assert all(KERNELS_BY_NAME[n.kernel].backend == "esp-nn" for n in layers), esp_nn_note(graph)
    assert graph.meta["lower_peak"] == []
    assert esp_nn_note(graph).endswith(f"runs {len(layers)} of {len(layers)} layers")


def test_esp_nn_ram_refusal_names_what_kernels_auto_reaches(tmp_path, capsys):
    """KWS with --kernels esp-nn under a RAM budget that only tinygen's kernels at the arena's
    peak meet: one line, before any C, saying that --kernels auto fits and with what arena."""
    from tinygen.cli import main

    tree = fake_tree(tmp_path / "tree")
    kws = mlperf_model("kws_dscnn")
    board = get_board("esp32-c3")
    options = CompileOptions(features=board.isa_features, kernels="esp-nn", esp_nn=str(tree))
    graph = compile_source(load_source(kws), options=options)
    auto = compile_source(load_source(kws), options=replace(options, kernels="auto", lower_peak_flash=None,
                                                             lower_peak_instructions=None))
    assert auto.meta["memory"].arena_size < graph.meta["memory"].arena_size
    budget = estimated(graph, board).regions["ram"].used - 1024     # below ESP-NN's, above auto's
    out = tmp_path / "out"
    rc = main(["build", str(kws), "--board", "esp32-c3", "--kernels", "esp-nn", "--esp-nn", str(tree),
               "--ram-budget", str(budget), "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert rc != 0 and "Traceback" not in err, err
    (line,) = [ln for ln in err.splitlines() if "error:" in ln]
    want = (f"with --kernels auto, which may put tinygen's kernels on the layers at the peak, it fits "
            f"(arena {auto.meta['memory'].arena_size:,} B")
    assert "RAM needs" in line and "even with ESP-NN's kernels that lower the arena most" in line and want in line, line
    assert not out.exists()


def test_esp_nn_s3_conv_plans_the_esp32s3_scratch(tmp_path):
    """On the ESP32-S3 conv and depthwise run the *_esp32s3 adapters, whose scratch is what
    ESP-NN's assembly versions ask for (checked against the tree's own functions below)."""
    _, graph = compile_model(Small(), (1, 3, 8, 8), "esp32-s3", tmp_path, fake_tree(tmp_path / "tree"))
    by_op = kernels_by_op(graph)
    assert by_op["conv2d"] == ["tg_conv2d_s8_esp_nn_esp32s3", "tg_conv2d_s8"]
    assert by_op["depthwise_conv2d"] == ["tg_depthwise_conv2d_s8_esp_nn_esp32s3"]
    assert by_op["softmax"] == ["tg_softmax_s8_esp_nn"] and by_op["add"] == ["tg_add_s8_esp_nn"]
    scratch = {n.kernel: n.scratch_bytes for n in graph.nodes if n.kernel and n.kernel.endswith("_esp32s3")}
    # 3x3, 3 -> 8 channels, padding 1: im2col (filter rows of 9 < 16, windows of 27 >= 16)
    assert scratch["tg_conv2d_s8_esp_nn_esp32s3"] == 8 * 4 + 16 + 8 * 32 + 16 + 32 + 64
    # 3x3 depthwise, 8 channels: the int16 copies of filter and input
    assert scratch["tg_depthwise_conv2d_s8_esp_nn_esp32s3"] == 2 * (9 * 8 + 8 * 8 * 8) + 32


def test_esp_nn_kernels_are_auto_candidates_on_esp32_boards(tmp_path, monkeypatch, capsys):
    """--kernels auto measures ESP-NN's kernels beside tinygen's on ESP32 boards when a tree
    is given (the cache keyed by the tree's sources); elsewhere the tree is ignored, said."""
    from tinygen.fit.autotune import _candidates
    from tinygen.cli import main
    from tinygen.fit.measure_cache import layer_key

    tree = fake_tree(tmp_path / "tree")
    source, graph = compile_model(Small(), (1, 3, 8, 8), "esp32-c3", tmp_path, tree)
    options = CompileOptions(features=get_board("esp32-c3").isa_features, kernels="auto", esp_nn=str(tree))
    found = _candidates(graph, options)
    conv = next(n for n in graph.nodes if n.kernel == "tg_conv2d_s8_esp_nn")
    assert found[conv.name] == ["tg_conv2d_s8_rv32", "tg_conv2d_s8", "tg_conv2d_s8_esp_nn"]
    assert "tg_conv2d_s8_esp_nn" not in _candidates(graph, replace(options, esp_nn=None))[conv.name]
    key = layer_key(graph, conv, KERNELS_BY_NAME["tg_conv2d_s8_esp_nn"], get_board("esp32-c3"), None, str(tree))
    assert key["esp_nn"], key
    monkeypatch.setenv(ENV, str(tree))
    model = ROOT / "examples" / "models" / "mlp.py"
    assert main(["inspect", str(model), "--board", "host", "--kernels", "auto", "--esp-nn", str(tree)]) == 0
    assert "--esp-nn is ignored with --kernels auto on host" in capsys.readouterr().err


def write_projects(graph, source, board_name: str, out: Path) -> Path:
    from tinygen.build.firmware_project import write_firmware_project
    from tinygen.codegen.project import write_project

    board = get_board(board_name)
    out.mkdir()
    write_project(graph, out, source.name, source.source_hash, board)
    write_firmware_project(graph, out, source.name, board)
    return out


@pytest.mark.parametrize("board", ["esp32-c3", "esp32-s3"])
def test_esp_nn_espidf_project_declares_the_component(board, tmp_path):
    """ESP-IDF builds ESP-NN from Espressif's component registry (its optimized versions,
    bit-exact rounding); the stand-in's Makefile compiles the tree's portable C."""
    tree = fake_tree(tmp_path / "tree")
    source, graph = compile_model(Small(), (1, 3, 8, 8), board, tmp_path, tree)
    out = write_projects(graph, source, board, tmp_path / "proj")
    component = (out / "main" / "idf_component.yml").read_text()
    assert 'espressif/esp-nn: "~1.2.0"' in component and "esp32-camera" not in component
    assert "Untested on hardware" in component
    sdkconfig = (out / "sdkconfig.defaults").read_text()
    assert "CONFIG_NN_OPTIMIZED=y" in sdkconfig and "CONFIG_NN_SKIP_NUDGE=n" in sdkconfig
    idf_main = (out / "main" / "CMakeLists.txt").read_text()
    assert '"../tinygen/esp_nn/tg_softmax_s8_esp_nn.c"' in idf_main and '"../tinygen/esp_nn"' in idf_main
    assert '#include "tg_esp_nn.h"' in (out / "model.c").read_text()
    assert (out / "tinygen" / "esp_nn" / "tg_esp_nn_args.h").is_file()
    if board == "esp32-c3":             # the stand-in's image
        makefile = (out / "Makefile").read_text()
        assert f"ESP_NN ?= {tree.resolve().as_posix()}" in makefile
        assert "-I$(ESP_NN)/include -I$(ESP_NN)/src/common" in makefile and "-Itinygen/esp_nn" in makefile
        assert "obj/firmware-emu/esp-nn/%.o: $(ESP_NN)/src/%.c" in makefile
        assert "\tconvolution/esp_nn_conv_ansi.c" in makefile and "\tsoftmax/esp_nn_softmax_ansi.c" in makefile
        assert "basic_math/esp_nn_mul_ansi.c" in makefile and "esp_nn_logistic" not in makefile


@pytest.mark.parametrize("board", ["f746zg", "host"])
def test_esp_nn_other_boards_refused(board, tmp_path):
    """ESP-NN builds into ESP32 firmware only: the build stops before writing anything."""
    source, graph = compile_model(Small(), (1, 3, 8, 8), board, tmp_path, fake_tree(tmp_path / "tree"))
    with pytest.raises(TinygenError, match="ESP32 boards") as e:
        build(source, graph, get_board(board), tmp_path / "out")
    assert "--kernels tinygen" in e.value.hint and not (tmp_path / "out").exists()
    if board != "host":
        with pytest.raises(TinygenError, match="ESP32 boards"):
            write_projects(graph, source, board, tmp_path / "proj")


# -- with an ESP-NN tree ------------------------------------------------------------------------

@needs_tree
@needs_rv_gcc
@pytest.mark.parametrize("source", ADAPTERS, ids=lambda p: p.stem)
def test_esp_nn_adapter_compiles_strict(source, tmp_path):
    tree = find_esp_nn(TREE)
    cmd = [RV_GCC, *STRICT, *KERNEL_INCLUDES, f"-I{ROOT / 'firmware' / 'ports' / 'riscv_virt'}",
           f"-I{tree.path / 'include'}", "-c", str(source), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


QUERY_C = r"""
#include <stdio.h>
#include "esp_nn_defs.h"
int esp_nn_get_conv_scratch_size_esp32s3(const data_dims_t *, const data_dims_t *, const data_dims_t *,
                                         const conv_params_t *);
int esp_nn_get_depthwise_conv_scratch_size_esp32s3(const data_dims_t *, const data_dims_t *,
                                                   const data_dims_t *, const dw_conv_params_t *);
int main(void)
{
    int op, in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, sh, sw, pt, pl, mult;
    while (scanf("%d %d %d %d %d %d %d %d %d %d %d %d %d %d", &op, &in_h, &in_w, &in_c, &out_h, &out_w,
                 &out_c, &kh, &kw, &sh, &sw, &pt, &pl, &mult) == 14) {
        const data_dims_t in = {in_w, in_h, in_c, 1}, f = {kw, kh, in_c, out_c}, out = {out_w, out_h, out_c, 1};
        if (op == 0) {
            const conv_params_t c = {0, 0, {sw, sh}, {pl, pt}, {1, 1}, {-128, 127}};
            printf("%d\n", esp_nn_get_conv_scratch_size_esp32s3(&in, &f, &out, &c));
        } else {
            const dw_conv_params_t c = {0, 0, mult, {sw, sh}, {pl, pt}, {1, 1}, {-128, 127}};
            printf("%d\n", esp_nn_get_depthwise_conv_scratch_size_esp32s3(&in, &f, &out, &c));
        }
    }
    return 0;
}
"""


def _scratch_cases(rng, count: int) -> list[dict]:
    """Shapes over every branch of the esp32s3 formulas: 1x1 stride 1 (channels a multiple
    of 8 or not, few pixels), narrow filter rows, 3x3 depthwise with channels a multiple of
    16 / 8 / other, padded or not, inputs over the 40 KB / 48 KB tiling thresholds."""
    cases = []
    for i in range(count):
        k = [int(v) for v in rng.choice([1, 2, 3, 5], size=2)] if i % 3 else [3, 3]
        mult = 1 if i % 4 else int(rng.choice([2, 4, 8]))
        in_c = int(rng.choice([1, 3, 8, 12, 16, 24, 32, 40, 64, int(rng.integers(1, 70))]))
        big = i % 11 == 0
        p = {"in_h": int(rng.integers(1, 20)) * (6 if big else 1), "in_w": int(rng.integers(1, 20)) * (6 if big else 1),
             "in_c": in_c, "kernel_h": k[0], "kernel_w": k[1], "stride_h": int(rng.integers(1, 3)),
             "stride_w": int(rng.integers(1, 3)), "pad_top": int(rng.integers(0, 3)) if i % 2 else 0,
             "pad_left": int(rng.integers(0, 3)) if i % 2 else 0, "depth_multiplier": mult,
             "out_h": int(rng.integers(1, 12)), "out_w": int(rng.integers(1, 12)), "out_c": int(rng.integers(1, 70))}
        if i % 5 == 0:
            p.update(kernel_h=1, kernel_w=1, pad_top=0, pad_left=0, stride_h=1, stride_w=1)
        cases.append(p)
    return cases


@needs_tree
@pytest.mark.skipif(shutil.which("cc") is None, reason="no host C compiler (cc) to run ESP-NN's scratch size functions")
def test_esp_nn_esp32s3_scratch_equals_the_trees_functions(tmp_path):
    """The planned scratch of the *_esp32s3 adapters equals ESP-NN's own
    esp_nn_get_{conv,depthwise_conv}_scratch_size_esp32s3, compiled on the host (the
    convolutions themselves are Xtensa assembly, left unresolved: only the size functions run)."""
    from tinygen.kernels.esp_nn import conv_scratch_s3, depthwise_scratch_s3

    tree = find_esp_nn(TREE)
    conv = tree.path / "src" / "convolution"
    (tmp_path / "q.c").write_text(QUERY_C)
    cmd = ["cc", "-O1", "-w", f"-I{tree.path / 'include'}", f"-I{tree.path / 'src' / 'common'}", str(tmp_path / "q.c"),
           str(conv / "esp_nn_conv_esp32s3.c"), str(conv / "esp_nn_depthwise_conv_s8_esp32s3.c"),
           "-ffunction-sections", "-Wl,--gc-sections", "-Wl,--unresolved-symbols=ignore-all", "-o", str(tmp_path / "q")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    cases = _scratch_cases(np.random.default_rng(7), 600)
    fields = ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w", "stride_h", "stride_w",
              "pad_top", "pad_left", "depth_multiplier")
    dw_cases = [dict(p, out_c=p["in_c"] * p["depth_multiplier"]) for p in cases]
    lines = (["0 " + " ".join(str(p[f]) for f in fields) for p in cases]
             + ["1 " + " ".join(str(p[f]) for f in fields) for p in dw_cases])
    out = subprocess.run([str(tmp_path / "q")], input="\n".join(lines) + "\n", capture_output=True, text=True,
                         check=True).stdout.split()
    want = [conv_scratch_s3(p) for p in cases] + [depthwise_scratch_s3(p) for p in dw_cases]
    bad = [(lines[i], int(out[i]), want[i]) for i in range(len(lines)) if int(out[i]) != want[i]]
    assert len(out) == len(lines) and not bad, f"{len(bad)} differ, first (case, ESP-NN, tinygen): {bad[:3]}"


class Layers(nn.Module):
    """One of every layer ESP-NN runs, its shapes drawn from `rng`: conv (kernel k,
    stride 1-2, padding, odd channels), depthwise (multiplier 1-2), max and average
    pooling with padding, a same-shape add and mul, a per-channel FC, softmax."""

    def __init__(self, rng: np.random.Generator, c_in: int, k: int):
        super().__init__()
        draw = lambda *v: int(rng.choice(v))        # noqa: E731
        c, s = draw(3, 5, 7, 9), draw(1, 2)
        self.conv = nn.Conv2d(c_in, c, k, stride=s, padding=draw(0, k // 2))
        m, kd = draw(1, 2), draw(3, 5)
        self.dw = nn.Conv2d(c, c * m, kd, stride=draw(1, 2), padding=kd // 2, groups=c)
        self.pw = nn.Conv2d(c * m, c * m, 1)
        kp = draw(2, 3)
        self.maxpool = nn.MaxPool2d(kp, stride=draw(1, 2), padding=draw(0, kp // 2))
        self.avgpool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.fc = nn.LazyLinear(draw(4, 7, 10))

    def forward(self, x):
        y = torch.relu(self.dw(torch.relu(self.conv(x))))
        y = self.maxpool(y + self.pw(y))
        y = self.avgpool(y * torch.nn.functional.relu6(y))
        return torch.softmax(self.fc(torch.flatten(y, 1)), dim=1)


@needs_tree
@needs_qemu
@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow), pytest.param(2, marks=pytest.mark.slow)])
def test_esp_nn_s8_esp32c3_standin(seed, tmp_path):
    """Every layer of firmware built with --kernels esp-nn equals the numpy reference on
    the esp32-c3 (RISC-V) stand-in, over drawn shapes. Seed 1 builds as for the ESP32-S3
    ("simd-pie"): its conv adapters and their larger planned scratch, ESP-NN's portable C
    still computing."""
    from tinygen.hil.target import open_device

    rng = np.random.default_rng(100 + seed)
    c_in, h, w = int(rng.integers(1, 5)), int(rng.integers(9, 17)), int(rng.integers(9, 17))
    net = Layers(rng, c_in, (3, 5, 2)[seed])
    net(torch.zeros(1, c_in, h, w))                 # the lazy FC takes its size
    s3 = frozenset({"simd-pie"}) if seed == 1 else frozenset()
    source, graph = compile_model(net, (1, c_in, h, w), "esp32-c3", tmp_path, TREE, seed, s3)
    by_op = kernels_by_op(graph)
    # ESP-NN has no standalone clamp (the relu6 feeding the mul)
    assert all(KERNELS_BY_NAME[k].backend == "esp-nn" for op, ks in by_op.items() for k in ks if op != "clamp"), by_op
    assert by_op["conv2d"][0].endswith("_esp32s3") == bool(s3), by_op
    assert set(by_op) - {"clamp"} == {"conv2d", "depthwise_conv2d", "max_pool2d", "avg_pool2d", "add", "mul",
                          "fully_connected", "softmax"}, by_op
    board = get_board("esp32-c3")
    project = build(source, graph, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i in range(2):
            x = quantize_input(graph, source.to_graph_layout(rng.standard_normal((1, c_in, h, w)).astype(np.float32)))
            assert_device_equals_reference(dev, graph, x, f"seed {seed} input {i}")


@needs_tree
@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("name", ["kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder"])
def test_esp_nn_mlperf_equals_tflm_esp32c3(name, tmp_path):
    from tflite_refs import tflm_run

    from tinygen.hil.target import open_device

    path = mlperf_model(name)
    board = get_board("esp32-c3")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels="esp-nn", esp_nn=TREE))
    assert all(n.kernel.endswith("_esp_nn") for n in graph.nodes if n.kernel), esp_nn_note(graph)
    project = build(source, graph, board, tmp_path / name).out_dir
    rng = np.random.default_rng(1)
    xs = [rng.integers(-128, 128, size=source.input_shape).astype(np.int8) for _ in range(2)]
    want = tflm_run(path.read_bytes(), xs)
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(xs):
            raw, _ = dev.run(x.tobytes())
            got = np.frombuffer(raw, dtype=np.int8)
            assert np.array_equal(got, want[i].ravel()), f"{name} input {i}: {first_difference(want[i].ravel(), got)}"
