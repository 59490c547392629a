"""The CMSIS-NN backend (--kernels cmsis-nn): firmware/cmsis_nn adapters, their KernelSpecs
(tinygen.kernels.cmsis_nn) and the tree lookup (tinygen.kernels.cmsis_nn_tree).

Always run: the errors without a tree, with a folder that is not CMSIS-NN and with one
too old; which kernels are chosen where; the generated build files (with a stand-in
tree of empty files). With CMSIS_NN_PATH set to a CMSIS-NN tree (CI sets it: .ci/third_party.sh;
versions in docs/backends.md): every adapter compiles strict for the Cortex-M7, M4 and M55;
the scratch formulas equal the tree's own *_get_buffer_size_dsp functions; firmware
built with --kernels cmsis-nn for the F746ZG, run on its QEMU stand-in, equals the
numpy reference layer by layer over awkward shapes; the four MLPerf Tiny models equal
TFLite Micro.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from e2e import ROOT, assert_device_equals_reference, first_difference
from kernel_lib import KERNEL_INCLUDES
from mlperf_models import mlperf_model
from tinygen.board import get_board
from tinygen.kernels.cmsis_nn_tree import ENV, TESTED, URL, find_cmsis_nn
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import UsageError
from tinygen.report.kernels import cmsis_nn_note
from tinygen.kernels import cmsis_nn as spec_module
from tinygen.kernels.table import KERNELS
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input

ADAPTER_DIR = ROOT / "firmware" / "cmsis_nn"
ADAPTERS = sorted(ADAPTER_DIR.glob("tg_*_cmsis_nn*.c"))
TREE = os.environ.get(ENV)
ARM_GCC = shutil.which("arm-none-eabi-gcc")
STRICT = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wconversion", "-Wdouble-promotion"]
CORES = {"cortex-m7": "fpv5-sp-d16", "cortex-m4": "fpv4-sp-d16", "cortex-m55": "auto"}

needs_tree = pytest.mark.skipif(
    not TREE, reason=f"{ENV} not set: the CMSIS-NN tests need a CMSIS-NN source tree ({URL}, tested: "
                     f"{', '.join(TESTED)}); run them with {ENV}=PATH")
needs_arm_gcc = pytest.mark.skipif(ARM_GCC is None, reason="arm-none-eabi-gcc is not installed "
                                   "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or ARM_GCC is None,
                                reason="the Cortex-M stand-ins need qemu-system-arm and arm-none-eabi-gcc")


# -- the tree: missing, wrong, too old ------------------------------------------------------

def fake_tree(root: Path, revision: str = "V.18.0.0", sources=()) -> Path:
    """A folder shaped like a CMSIS-NN tree: the header with its $Revision, Source/ files."""
    (root / "Include").mkdir(parents=True)
    (root / "Include" / "arm_nnfunctions.h").write_text(f"/*\n * $Date: 4 November 2024\n * $Revision: {revision}\n */\n")
    (root / "Source").mkdir()
    for rel in sources:
        (root / "Source" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "Source" / rel).write_text("")
    return root


def assert_says_both_ways(e: UsageError) -> None:
    text = str(e)
    for needed in ("--cmsis-nn PATH", ENV, URL, "v7.0.0"):
        assert needed in text, f"{needed!r} missing from: {text}"


def test_cmsis_nn_without_tree_names_both_ways(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(UsageError) as e:
        find_cmsis_nn(None)
    assert "needs a CMSIS-NN source tree" in e.value.message
    assert_says_both_ways(e.value)


def test_cmsis_nn_from_cli_without_tree(monkeypatch, tmp_path, capsys):
    from tinygen.cli import main

    monkeypatch.delenv(ENV, raising=False)
    model = ROOT / "examples" / "models" / "mlp.py"
    assert main(["build", str(model), "--board", "f746zg", "--kernels", "cmsis-nn", "-o", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "CMSIS-NN" in err and "--cmsis-nn PATH" in err and ENV in err
    assert not (tmp_path / "b").exists()


def test_cmsis_nn_not_a_tree(tmp_path):
    with pytest.raises(UsageError) as e:
        find_cmsis_nn(tmp_path)
    assert "is not a CMSIS-NN source tree" in e.value.message
    assert_says_both_ways(e.value)


def test_cmsis_nn_tree_that_does_not_exist(tmp_path, monkeypatch):
    with pytest.raises(UsageError) as e:
        find_cmsis_nn(tmp_path / "nowhere")
    assert "does not exist" in e.value.message and "--cmsis-nn" in e.value.message
    assert "is not a CMSIS-NN source tree" not in e.value.message
    assert_says_both_ways(e.value)
    monkeypatch.setenv(ENV, str(tmp_path / "gone"))
    with pytest.raises(UsageError, match=r"does not exist") as e:
        find_cmsis_nn(None)
    assert f"${ENV}" in e.value.message


def test_cmsis_nn_path_ignored_by_other_kernels_warns(tmp_path, capsys):
    from tinygen.cli import main

    model = ROOT / "examples" / "models" / "mlp.py"
    bad = tmp_path / "no-such-tree"
    assert main(["inspect", str(model), "--kernels", "tinygen", "--cmsis-nn", str(bad)]) == 0
    err = capsys.readouterr().err
    assert "warning: --cmsis-nn is ignored with --kernels tinygen" in err and "does not exist" in err, err


def test_cmsis_nn_tree_too_old(tmp_path):
    with pytest.raises(UsageError) as e:
        find_cmsis_nn(fake_tree(tmp_path / "v5", "V.12.4.0"))
    assert "too old" in e.value.message and "V.12.4.0" in e.value.message
    assert_says_both_ways(e.value)


def test_cmsis_nn_env_variable_and_version(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV, str(fake_tree(tmp_path / "t")))
    tree = find_cmsis_nn(None)
    assert tree.path == (tmp_path / "t").resolve() and tree.revision == (18, 0, 0) and tree.version == "v7.0.0"
    # --cmsis-nn wins over the environment
    other = fake_tree(tmp_path / "u", "V.19.1.0")
    assert find_cmsis_nn(other).version == "arm_nnfunctions.h V.19.1.0"


# -- the kernel table -------------------------------------------------------------------------

def test_every_adapter_is_in_the_table():
    specs = {s.name: s for s in KERNELS if s.backend == "cmsis-nn"}
    assert sorted(f"cmsis_nn/{p.name}" for p in ADAPTERS) == sorted(s.source for s in specs.values())
    declared = (ADAPTER_DIR / "tg_cmsis_nn.h").read_text()
    for spec in specs.values():
        # the Helium cores' adapters (tinygen.kernels.cmsis_nn_mve) end in _mve
        helium = spec.name.endswith("_mve")
        assert spec.requires == (frozenset({"mve", "cmsis-nn"}) if helium else frozenset({"dsp", "cmsis-nn"}))
        assert f"void {spec.name}(" in declared
        assert "_cmsis_nn" not in spec.ref_name, f"{spec.name} must name its portable numpy twin"


class Small(nn.Module):
    """Conv, depthwise, pools (one with PyTorch's count_include_pad over padding), add, FC, softmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.maxpool = nn.MaxPool2d(2)
        self.avg_pad = nn.AvgPool2d(3, stride=1, padding=1)            # counts the padding: not CMSIS-NN
        self.avg_tfl = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.fc = nn.Linear(8 * 4 * 4, 6)

    def forward(self, x):
        y = self.maxpool(self.dw(torch.relu(self.conv(x))))
        y = self.avg_pad(y) + self.avg_tfl(y)
        return torch.softmax(self.fc(torch.flatten(y, 1)), dim=1)


def compile_model(net: nn.Module, shape, features, tmp: Path, kernels="cmsis-nn", cmsis_nn=None):
    torch.manual_seed(1)
    for p in net.parameters():
        torch.nn.init.uniform_(p, -1.0, 1.0)
    net.eval()
    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp / "m.pt2")
    rng = np.random.default_rng(0)
    np.save(tmp / "calib.npy", rng.standard_normal((32,) + tuple(shape[1:])).astype(np.float32))
    source = load_source(tmp / "m.pt2")
    graph = compile_source(source, str(tmp / "calib.npy"),
                           CompileOptions(features=frozenset(features), kernels=kernels, cmsis_nn=cmsis_nn))
    return source, graph


def kernels_of(graph) -> dict[str, str]:
    return {n.name: n.kernel for n in graph.nodes if n.kernel}


def test_cmsis_nn_kernels_chosen_with_fallbacks(tmp_path):
    tree = fake_tree(tmp_path / "tree")
    _, graph = compile_model(Small(), (1, 3, 8, 8), get_board("f746zg").isa_features, tmp_path, cmsis_nn=str(tree))
    by_op: dict[str, list[str]] = {}
    for node in graph.nodes:
        if node.kernel:
            by_op.setdefault(node.op, []).append(node.kernel)
    assert by_op["conv2d"] == ["tg_conv2d_s8_cmsis_nn"]
    assert by_op["depthwise_conv2d"] == ["tg_depthwise_conv2d_s8_cmsis_nn"]
    assert by_op["max_pool2d"] == ["tg_max_pool2d_s8_cmsis_nn"]
    # PyTorch's average over padding counts the padded positions: tinygen's kernel
    assert by_op["avg_pool2d"] == ["tg_avg_pool2d_s8_dsp", "tg_avg_pool2d_s8_cmsis_nn"]
    assert by_op["add"] == ["tg_add_s8_cmsis_nn"]
    # tinygen quantizes Linear per output channel
    assert by_op["fully_connected"] == ["tg_fully_connected_per_channel_s8_cmsis_nn"]
    assert by_op["softmax"] == ["tg_softmax_s8_cmsis_nn"]
    note = cmsis_nn_note(graph)
    assert "runs 7 of 8 layers" in note, note
    assert "CMSIS-NN's kernels do not compute avg" in note, note
    assert "(avg_pool2d: PyTorch's count_include_pad: the padding counted in the average) exactly" in note, note
    # scratch: the 3x3 conv's im2col (27 -> 28 int16 values, two columns), the avg pool's sums
    scratch = {n.kernel: n.scratch_bytes for n in graph.nodes if n.kernel and n.kernel.endswith("_cmsis_nn")}
    assert scratch["tg_conv2d_s8_cmsis_nn"] == 2 * 28 * 2
    assert scratch["tg_avg_pool2d_s8_cmsis_nn"] == 8 * 4
    assert scratch["tg_depthwise_conv2d_s8_cmsis_nn"] == 0          # 3x3, padding 1: no buffer


def test_cmsis_nn_named_keeps_its_kernels_where_auto_may_lower_the_arena(tmp_path, capsys):
    """IC with --kernels cmsis-nn: the memory-aware choice (lower_peak, on) picks among CMSIS-NN's
    kernels only, so every layer stays on CMSIS-NN, as with --no-lower-peak. Under --kernels
    auto, with CMSIS-NN's kernels measured fastest on every layer, the same pass puts tinygen's
    kernels at the arena's peak to lower it, and the note says so and how to keep CMSIS-NN's."""
    import json

    from tinygen.cli import main

    tree = fake_tree(tmp_path / "tree")
    board = get_board("f746zg")
    ic = mlperf_model("ic_resnet8")
    options = dict(features=board.isa_features, cmsis_nn=str(tree))
    named = compile_source(load_source(ic), None, CompileOptions(**options, kernels="cmsis-nn"))
    layers = [n for n in named.nodes if n.kernel]
    assert all(n.kernel.endswith("_cmsis_nn") for n in layers), kernels_of(named)
    assert named.meta["lower_peak"] == []
    assert cmsis_nn_note(named).endswith(f"runs {len(layers)} of {len(layers)} layers")
    plain = compile_source(load_source(ic), None, CompileOptions(**options, kernels="cmsis-nn", lower_peak=False))
    assert kernels_of(plain) == kernels_of(named)
    auto = compile_source(load_source(ic), None, CompileOptions(**options, kernels="auto", fuse_residual=False,
                                                                kernel_choice=kernels_of(named)))
    swapped = auto.meta["lower_peak"]
    assert swapped and all(c["instead_of"].endswith("_cmsis_nn") for c in swapped), swapped
    assert auto.meta["memory"].arena_size < named.meta["memory"].arena_size
    note = cmsis_nn_note(auto)
    assert "to lower the arena" in note and "--kernels cmsis-nn keeps CMSIS-NN's there" in note, note
    assert all(c["node"] in note for c in swapped) and "measured" not in note, note
    # the same through the command line, memory-aware choice on
    out = tmp_path / "ic.json"
    assert main(["inspect", str(ic), "--board", "f746zg", "--kernels", "cmsis-nn", "--cmsis-nn", str(tree),
                 "--json", str(out)]) == 0
    chosen = [layer["kernel"] for layer in json.loads(out.read_text())["kernels"]["layers"]]
    assert chosen == [n.kernel for n in layers]


@pytest.mark.parametrize("board", ["host", "esp32-c3"])
def test_cmsis_nn_needs_dsp(board, tmp_path):
    tree = fake_tree(tmp_path / "tree")
    _, graph = compile_model(Small(), (1, 3, 8, 8), get_board(board).isa_features, tmp_path, cmsis_nn=str(tree))
    assert not [k for k in kernels_of(graph).values() if k.endswith("_cmsis_nn")]
    assert "runs 0 of 8 layers" in cmsis_nn_note(graph)


def test_tinygen_kernels_without_cmsis_nn_feature(tmp_path):
    _, graph = compile_model(Small(), (1, 3, 8, 8), get_board("f746zg").isa_features, tmp_path, kernels="tinygen")
    assert not [k for k in kernels_of(graph).values() if k.endswith("_cmsis_nn")]
    assert cmsis_nn_note(graph) is None


def test_cmsis_nn_build_files(tmp_path):
    """Makefile and CMake compile the tree's sources from its path; platformio.ini fetches
    the tested tag and keeps its build to the same sources."""
    from tinygen.build.firmware_project import write_firmware_project
    from tinygen.codegen.project import write_project

    needed = ["ConvolutionFunctions/arm_convolve_s8.c", "NNSupportFunctions/arm_nn_mat_mult_nt_t_s8.c",
              "SoftmaxFunctions/arm_softmax_s8.c", "PoolingFunctions/arm_max_pool_s8.c"]
    unused = ["ConvolutionFunctions/arm_convolve_s16.c", "LSTMFunctions/arm_lstm_unidirectional_s8.c"]
    tree = fake_tree(tmp_path / "tree", sources=needed + unused)
    board = get_board("f746zg")
    source, graph = compile_model(Small(), (1, 3, 8, 8), board.isa_features, tmp_path, cmsis_nn=str(tree))
    out = tmp_path / "proj"
    out.mkdir()
    write_project(graph, out, source.name, source.source_hash, board)
    write_firmware_project(graph, out, source.name, board)
    makefile = (out / "Makefile").read_text()
    assert f"CMSIS_NN ?= {tree.resolve().as_posix()}" in makefile
    assert "-I$(CMSIS_NN)/Include" in makefile and "-Itinygen/cmsis_nn" in makefile
    assert "obj/firmware/cmsis-nn/%.o: $(CMSIS_NN)/Source/%.c" in makefile
    for rel in needed:
        assert f"\t{rel}" in makefile
    for rel in unused:
        assert rel not in makefile
    assert "tinygen/cmsis_nn/tg_conv2d_s8_cmsis_nn.c" in makefile
    cmake = (out / "CMakeLists.txt").read_text()
    assert f'set(CMSIS_NN "{tree.resolve().as_posix()}" CACHE PATH' in cmake
    assert "${CMSIS_NN}/Source/ConvolutionFunctions/arm_convolve_s8.c" in cmake and "${CMSIS_NN}/Include" in cmake
    pio = (out / "platformio.ini").read_text()
    assert f"lib_deps = CMSIS-NN={URL}.git#v7.0.0" in pio and "lib_ldf_mode = off" in pio
    script = (out / "pio_link_flags.py").read_text()
    assert '"Source/ConvolutionFunctions/arm_convolve_s8.c"' in script and "AddBuildMiddleware" in script
    assert "arm_convolve_s16" not in script
    compile(script, "pio_link_flags.py", "exec")
    model_c = (out / "model.c").read_text()
    assert '#include "tg_cmsis_nn.h"' in model_c
    assert (out / "tinygen" / "cmsis_nn" / "tg_cmsis_nn.h").is_file()


# -- with a CMSIS-NN tree ----------------------------------------------------------------------

@needs_tree
@needs_arm_gcc
@pytest.mark.parametrize("core", list(CORES))
@pytest.mark.parametrize("source", ADAPTERS, ids=lambda p: p.stem)
def test_cmsis_nn_adapter_compiles_strict(source, core, tmp_path):
    cmd = [ARM_GCC, f"-mcpu={core}", "-mthumb", "-mfloat-abi=hard", f"-mfpu={CORES[core]}", *STRICT,
           *KERNEL_INCLUDES, f"-I{find_cmsis_nn(TREE).include_dir}",
           "-c", str(source), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


QUERY_C = r"""
#include <stdio.h>
#include "arm_nnfunctions.h"
int main(void)
{
    int op, in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, sh, sw, dh, dw, pt, pl, mult;
    while (scanf("%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d", &op, &in_h, &in_w, &in_c, &out_h,
                 &out_w, &out_c, &kh, &kw, &sh, &sw, &dh, &dw, &pt, &pl, &mult) == 16) {
        const cmsis_nn_dims in = {1, in_h, in_w, in_c}, out = {1, out_h, out_w, out_c};
        if (op == 0) {
            const cmsis_nn_conv_params c = {0, 0, {sw, sh}, {pl, pt}, {dw, dh}, {-128, 127}};
            const cmsis_nn_dims f = {out_c, kh, kw, in_c};
            printf("%d\n", (int)arm_convolve_wrapper_s8_get_buffer_size_SUFFIX(&c, &in, &f, &out));
        } else if (op == 1) {
            const cmsis_nn_dw_conv_params c = {0, 0, mult, {sw, sh}, {pl, pt}, {dw, dh}, {-128, 127}};
            const cmsis_nn_dims f = {1, kh, kw, out_c};
            printf("%d\n", (int)arm_depthwise_conv_wrapper_s8_get_buffer_size_SUFFIX(&c, &in, &f, &out));
        } else {
            printf("%d\n", (int)arm_avgpool_s8_get_buffer_size_SUFFIX(out_w, in_c));
        }
    }
    return 0;
}
"""


def _scratch_cases(rng, count: int) -> list[dict]:
    cases = []
    for i in range(count):
        k = [int(v) for v in rng.choice([1, 2, 3, 5, 7], size=2)]
        in_c = int(rng.integers(1, 40))
        mult = 1 if i % 3 else int(rng.integers(1, 4))
        p = {"in_h": int(rng.integers(1, 20)), "in_w": int(rng.integers(1, 20)), "in_c": in_c,
             "kernel_h": k[0], "kernel_w": k[1], "stride_h": int(rng.integers(1, 3)), "stride_w": int(rng.integers(1, 3)),
             "dilation_h": 1 if i % 5 else 2, "dilation_w": 1 if i % 7 else 2,
             "pad_top": int(rng.integers(0, 3)), "pad_left": int(rng.integers(0, 3)), "depth_multiplier": mult,
             "out_h": int(rng.integers(1, 10)), "out_w": int(rng.integers(1, 10)), "out_c": in_c * mult}
        cases.append(p)
    return cases


SCRATCH_FIELDS = ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w", "stride_h", "stride_w",
                  "dilation_h", "dilation_w", "pad_top", "pad_left", "depth_multiplier")


def scratch_mismatches(tmp_path: Path, suffix: str, ops, cases: list[dict]) -> tuple[int, list]:
    """Compiles the tree's arm_*_get_buffer_size_<suffix> functions (conv wrapper, depthwise
    wrapper, avg pool) on the host, asks them for every case of every op and returns (the
    number of queries, the (query, CMSIS-NN, tinygen) triples that differ); ops: (op number,
    tinygen's formula), 0 conv, 1 depthwise, 2 avg pool."""
    tree = find_cmsis_nn(TREE)
    src = tree.path / "Source"
    (tmp_path / "q.c").write_text(QUERY_C.replace("SUFFIX", suffix))
    cmd = ["cc", "-O1", f"-I{tree.include_dir}", str(tmp_path / "q.c"),
           str(src / "ConvolutionFunctions" / "arm_convolve_get_buffer_sizes_s8.c"),
           str(src / "ConvolutionFunctions" / "arm_depthwise_conv_get_buffer_sizes_s8.c"),
           str(src / "PoolingFunctions" / "arm_avgpool_get_buffer_sizes_s8.c"), "-o", str(tmp_path / "q")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = [f"{op} " + " ".join(str(p[f] if not (op == 0 and f == "depth_multiplier") else 1) for f in SCRATCH_FIELDS)
             for op, _ in ops for p in cases]
    out = subprocess.run([str(tmp_path / "q")], input="\n".join(lines) + "\n", capture_output=True, text=True,
                         check=True).stdout.split()
    assert len(out) == len(lines)
    want = [fn(p) for _, fn in ops for p in cases]
    return len(lines), [(lines[i], int(out[i]), want[i]) for i in range(len(lines)) if int(out[i]) != want[i]]


needs_host_cc = pytest.mark.skipif(shutil.which("cc") is None,
                                   reason="no host C compiler (cc) to run CMSIS-NN's get_buffer_size functions")


@needs_tree
@needs_host_cc
def test_cmsis_nn_scratch_equals_get_buffer_size_dsp(tmp_path):
    cases = _scratch_cases(np.random.default_rng(5), 400)
    # the shapes the formulas branch on: 1x1 with and without padding/stride, 3x3 with padding <= 1
    cases += [dict(cases[0], kernel_h=1, kernel_w=1, pad_top=0, pad_left=0, dilation_h=1, dilation_w=1,
                   stride_h=s, stride_w=s) for s in (1, 2)]
    cases += [dict(cases[1], kernel_h=3, kernel_w=3, pad_top=t, pad_left=t, dilation_h=1, dilation_w=1,
                   depth_multiplier=1, out_c=cases[1]["in_c"]) for t in (0, 1, 2)]
    ops = [(0, spec_module.conv_scratch), (1, spec_module.depthwise_scratch),
           (2, lambda p: spec_module.avgpool_scratch({"channels": p["in_c"]}))]
    _, bad = scratch_mismatches(tmp_path, "dsp", ops, cases)
    assert not bad, f"{len(bad)} differ, first (case, CMSIS-NN, tinygen): {bad[:3]}"


class Convs(nn.Module):
    """1x1 (fast path, then strided), 3x3 with padding, 3x3 stride 2 on an even size, an
    even kernel, odd channel counts; a residual add; a per-channel FC."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 5, 1)
        self.b = nn.Conv2d(5, 5, 3, padding=1, bias=False)
        self.c = nn.Conv2d(5, 7, 3, stride=2, padding=1)
        self.d = nn.Conv2d(7, 9, 1, stride=2)
        self.e = nn.Conv2d(9, 4, 2)
        self.fc = nn.Linear(4 * 2 * 2, 5)

    def forward(self, x):
        a = self.a(x)
        y = torch.relu(self.b(a)) + a
        y = self.e(self.d(torch.nn.functional.relu6(self.c(y))))
        return torch.softmax(self.fc(torch.flatten(y, 1)), dim=1)


class Depthwise(nn.Module):
    """Depthwise 3x3 (CMSIS-NN's 3x3 kernel), 3x3 stride 2 on an even size, 5x5 (the
    optimised kernel with its scratch), depth multiplier 2 (the generic kernel), odd
    channel counts; max and average pooling with padding."""

    def __init__(self):
        super().__init__()
        self.pw = nn.Conv2d(2, 5, 1)
        self.dw1 = nn.Conv2d(5, 5, 3, padding=1, groups=5)
        self.dw2 = nn.Conv2d(5, 5, 3, stride=2, padding=1, groups=5)
        self.dw3 = nn.Conv2d(5, 5, 5, padding=2, groups=5)
        self.dw4 = nn.Conv2d(5, 10, 3, padding=1, groups=5)
        self.dw5 = nn.Conv2d(10, 10, 3, stride=2, groups=10, bias=False)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.avgpool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x):
        y = torch.relu(self.dw1(self.pw(x)))
        y = self.dw4(self.dw3(self.dw2(y)))
        return self.avgpool(self.maxpool(self.dw5(y)))


STANDIN_MODELS = {"convs": (Convs, (1, 3, 10, 10)), "depthwise": (Depthwise, (1, 2, 14, 12))}


@needs_tree
@needs_qemu
@pytest.mark.parametrize("model", list(STANDIN_MODELS))
def test_cmsis_nn_s8_f746zg_standin(model, tmp_path):
    """Every layer of firmware built with --kernels cmsis-nn equals the numpy reference."""
    from tinygen.hil.target import open_device

    factory, shape = STANDIN_MODELS[model]
    board = get_board("f746zg")
    source, graph = compile_model(factory(), shape, board.isa_features, tmp_path, cmsis_nn=TREE)
    chosen = kernels_of(graph)
    assert all(k.endswith("_cmsis_nn") for k in chosen.values()), chosen
    project = build(source, graph, board, tmp_path / "fw").out_dir
    rng = np.random.default_rng(3)
    with open_device(board, project, emulate=True) as dev:
        for i in range(3):
            x = quantize_input(graph, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32) * 1.5))
            assert_device_equals_reference(dev, graph, x, f"input {i}")


@needs_tree
@needs_qemu
@pytest.mark.parametrize("name", ["kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder"])
def test_cmsis_nn_mlperf_equals_tflm(name, tmp_path):
    from tflite_refs import tflm_run

    from tinygen.hil.target import open_device

    path = mlperf_model(name)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels="cmsis-nn",
                                                          cmsis_nn=TREE))
    assert any(k.endswith("_cmsis_nn") for k in kernels_of(graph).values())
    project = build(source, graph, board, tmp_path / name).out_dir
    rng = np.random.default_rng(1)
    xs = [rng.integers(-128, 128, size=source.input_shape).astype(np.int8) for _ in range(2)]
    want = tflm_run(path.read_bytes(), xs)
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(xs):
            raw, _ = dev.run(x.tobytes())
            got = np.frombuffer(raw, dtype=np.int8)
            assert np.array_equal(got, want[i].ravel()), f"{name} input {i}: {first_difference(want[i].ravel(), got)}"
