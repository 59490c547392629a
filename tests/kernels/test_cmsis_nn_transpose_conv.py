"""The transposed convolution under --kernels cmsis-nn: tg_transpose_conv2d_s8_cmsis_nn
(firmware/cmsis_nn/), which calls CMSIS-NN's arm_transpose_conv_s8, its scratch formula and
the layers it computes exactly (tinygen.kernels.cmsis_nn.transpose_conv_fits).

Always run: which kernel each layer takes with a stand-in tree (the fallback to tinygen's
kernels where arm_transpose_conv_s8 would not compute TFLM's bytes, and where the tree's file
predates the fix of its rows for padding that is not a multiple of the stride), what --kernels
auto may pick, the sources a build compiles. With CMSIS_NN_PATH (CI: .ci/third_party.sh):
the scratch formula equals the tree's arm_transpose_conv_s8_get_buffer_size where that
function sizes this path; the tree's own code, built for the host with AddressSanitizer and
run in exactly the planned scratch, equals the numpy twin on every drawn layer the spec
accepts; firmware built for the F746ZG with --kernels cmsis-nn equals the reference layer by
layer on its stand-in.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from e2e import assert_device_equals_reference
from kernel_lib import assert_same
from standin_lib import needs_qemu
from test_cmsis_nn import ADAPTER_DIR, TREE, compile_model, fake_tree, kernels_of, needs_tree
from transpose_conv_lib import FIELDS, tconv_case, tconv_geometry
from tinygen.board import get_board
from tinygen.compiler import build
from tinygen.kernels.cmsis_nn import transpose_conv_fits, transpose_conv_scratch
from tinygen.kernels.cmsis_nn_tree import TRANSPOSE_CONV_SOURCE, find_cmsis_nn
from tinygen.passes.choose_kernels import kernel_candidates
from tinygen.ref.interpreter import quantize_input
from tinygen.ref.transpose_conv import transpose_conv2d_s8
from tinygen.resources import data_dir

ADAPTER = "tg_transpose_conv2d_s8_cmsis_nn"
needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no host C compiler (cc) to build CMSIS-NN's code")


class Decoder(nn.Module):
    """The layers arm_transpose_conv_s8 takes (k3 s2 padding 1 output_padding 1 and k4 s2 p1:
    padding not a multiple of the stride; k3 s2 p0; more than 16 input channels) and two it
    does not compute exactly: output rows past its buffer's (output_padding 2 at stride 3)
    and dilation."""

    def __init__(self):
        super().__init__()
        self.a = nn.ConvTranspose2d(3, 20, 3, stride=2, padding=1, output_padding=1)
        self.b = nn.ConvTranspose2d(20, 7, 4, stride=2, padding=1)
        self.c = nn.ConvTranspose2d(7, 5, 3, stride=2)
        self.d = nn.ConvTranspose2d(5, 4, 2, stride=3, output_padding=2)
        self.e = nn.ConvTranspose2d(4, 3, 3, dilation=2, padding=1)

    def forward(self, x):
        return self.e(self.d(torch.relu(self.c(torch.relu(self.b(torch.relu(self.a(x))))))))


SHAPE = (1, 3, 3, 2)
FITS = ["tconv_0", "tconv_2", "tconv_4"]       # a, b, c: arm_transpose_conv_s8's; d, e: tinygen's


def _tree_with_source(root, revision: str | None):
    tree = fake_tree(root)
    if revision is not None:
        src = tree / TRANSPOSE_CONV_SOURCE
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(f"/*\n * $Revision:    {revision}\n */\n")
    return tree


@pytest.mark.parametrize("revision, takes", [("V.2.0.1", FITS), ("V.2.0.0", ["tconv_4"]), (None, ["tconv_4"])])
def test_transpose_conv_cmsis_nn_chosen_where_exact(revision, takes, tmp_path):
    """arm_transpose_conv_s8 where it computes TFLM's bytes; tinygen's DSP kernel elsewhere: beyond
    its rows, with dilation, and where the tree's file (older than V.2.0.1) misplaces rows for
    padding that is not a multiple of the stride."""
    tree = _tree_with_source(tmp_path / "tree", revision)
    _, graph = compile_model(Decoder(), SHAPE, get_board("f746zg").isa_features, tmp_path, cmsis_nn=str(tree))
    chosen = {n.name: n.kernel for n in graph.nodes if n.op == "transpose_conv2d"}
    assert sorted(chosen) == ["tconv_0", "tconv_2", "tconv_4", "tconv_6", "tconv_7"]
    assert {n for n, k in chosen.items() if k == ADAPTER} == set(takes)
    assert all(k == "tg_transpose_conv2d_s8_dsp" for n, k in chosen.items() if n not in takes)
    scratch = {n.name: n.scratch_bytes for n in graph.nodes if n.kernel == ADAPTER}
    assert scratch == {n.name: transpose_conv_scratch(n.attrs["kparams"]) for n in graph.nodes if n.name in scratch}
    if revision:
        assert graph.meta["cmsis_nn"]["transpose_conv_revision"] == revision[2:]


def test_transpose_conv_auto_may_pick_either(tmp_path):
    """--kernels auto measures both where arm_transpose_conv_s8 is exact, only tinygen's elsewhere."""
    tree = _tree_with_source(tmp_path / "tree", "V.2.0.1")
    features = get_board("f746zg").isa_features
    _, graph = compile_model(Decoder(), SHAPE, features, tmp_path, kernels="auto", cmsis_nn=str(tree))
    feats = frozenset(features) | {"cmsis-nn"}
    for node in (n for n in graph.nodes if n.op == "transpose_conv2d"):
        names = [k.name for k in kernel_candidates(graph, node, feats, "auto")]
        want = ["tg_transpose_conv2d_s8_dsp", "tg_transpose_conv2d_s8"] + ([ADAPTER] if node.name in FITS else [])
        assert names == want, node.name


def test_transpose_conv_cmsis_nn_sources(tmp_path):
    tree = fake_tree(tmp_path / "tree", sources=["ConvolutionFunctions/arm_transpose_conv_s8.c",
                                                  "ConvolutionFunctions/arm_transpose_conv_wrapper_s8.c",
                                                  "NNSupportFunctions/arm_nn_transpose_conv_row_s8_s32.c"])
    sources = find_cmsis_nn(tree).sources(["transpose_conv2d"])
    assert "ConvolutionFunctions/arm_transpose_conv_s8.c" in sources
    assert "NNSupportFunctions/arm_nn_transpose_conv_row_s8_s32.c" in sources
    assert "ConvolutionFunctions/arm_transpose_conv_wrapper_s8.c" not in sources


# -- with a CMSIS-NN tree ----------------------------------------------------------------------

QUERY_C = r"""
#include <stdio.h>
#include "arm_nnfunctions.h"
int main(void)
{
    int in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, sh, sw;
    while (scanf("%d %d %d %d %d %d %d %d %d %d", &in_h, &in_w, &in_c, &out_h, &out_w, &out_c, &kh, &kw, &sh,
                 &sw) == 10) {
        const cmsis_nn_dims in = {1, in_h, in_w, in_c}, out = {1, out_h, out_w, out_c}, f = {out_c, kh, kw, in_c};
        cmsis_nn_transpose_conv_params c = {0};
        c.stride.h = sh;
        c.stride.w = sw;
        printf("%d\n", (int)arm_transpose_conv_s8_get_buffer_size(&c, &in, &f, &out));
    }
    return 0;
}
"""


@needs_tree
@needs_cc
def test_transpose_conv_scratch_equals_get_buffer_size(tmp_path):
    """Where arm_transpose_conv_s8_get_buffer_size sizes arm_transpose_conv_s8's buffer (the
    reverse-convolution path of the wrapper not taken: in_c at most the tree's
    REVERSE_TCOL_EFFICIENT_THRESHOLD or a stride above 2; the row length it computes with stride_h
    is the kernel's with stride_w where they agree or the kernel is wider)."""
    tree = find_cmsis_nn(TREE)
    threshold = int(re.search(r"#define\s+REVERSE_TCOL_EFFICIENT_THRESHOLD\s+\(?(\d+)",
                              (tree.include_dir / "arm_nnsupportfunctions.h").read_text()).group(1))
    (tmp_path / "q.c").write_text(QUERY_C)
    src = tree.path / "Source" / "ConvolutionFunctions"
    done = subprocess.run(["cc", "-O1", f"-I{tree.include_dir}", str(tmp_path / "q.c"),
                           str(src / "arm_transpose_conv_get_buffer_sizes_s8.c"),
                           str(src / "arm_convolve_get_buffer_sizes_s8.c"), "-o", str(tmp_path / "q")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rng = np.random.default_rng(11)
    cases = []
    while len(cases) < 300:
        s = int(rng.integers(1, 5))
        p = {"in_h": int(rng.integers(1, 12)), "in_w": int(rng.integers(1, 12)), "in_c": int(rng.integers(1, 40)),
             "out_c": int(rng.integers(1, 20)), "kernel_h": int(rng.integers(1, 6)), "kernel_w": int(rng.integers(1, 6)),
             "stride_h": s, "stride_w": s if rng.random() < 0.8 else int(rng.integers(1, 4))}
        p["out_h"], p["out_w"] = p["in_h"] * s, p["in_w"] * p["stride_w"]
        plain_path = p["in_c"] <= threshold or p["stride_h"] > 2 or p["stride_w"] > 2
        row_agrees = p["stride_w"] == p["stride_h"] or p["kernel_w"] >= max(p["stride_w"], p["stride_h"])
        if plain_path and row_agrees:
            cases.append(p)
    assert any(c["in_c"] > threshold for c in cases) and any(c["stride_w"] != c["stride_h"] for c in cases)
    keys = ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w", "stride_h", "stride_w")
    lines = [" ".join(str(p[k]) for k in keys) for p in cases]
    out = subprocess.run([str(tmp_path / "q")], input="\n".join(lines) + "\n", capture_output=True, text=True,
                         check=True).stdout.split()
    bad = [(p, int(o), transpose_conv_scratch(p)) for p, o in zip(cases, out) if int(o) != transpose_conv_scratch(p)]
    assert len(out) == len(cases) and not bad, f"{len(bad)} differ, first (case, CMSIS-NN, tinygen): {bad[:3]}"


DRIVER_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include "tg_cmsis_nn.h"

static int get(void *dst, size_t n) { return fread(dst, 1, n, stdin) == n; }

/* per case: the params, the scratch bytes, bias present, then input, weights, bias, multiplier, shift */
int main(void)
{
    tg_transpose_conv2d_params_t p;
    int32_t scratch_bytes, has_bias;
    while (get(&p, sizeof p) && get(&scratch_bytes, 4) && get(&has_bias, 4)) {
        const size_t in_n = (size_t)(p.in_h * p.in_w * p.in_c), out_n = (size_t)(p.out_h * p.out_w * p.out_c);
        const size_t w_n = (size_t)(p.out_c * p.kernel_h * p.kernel_w * p.in_c), c_n = 4 * (size_t)p.out_c;
        int8_t *x = malloc(in_n), *w = malloc(w_n), *out = malloc(out_n);
        int8_t *scratch = malloc(scratch_bytes > 0 ? (size_t)scratch_bytes : 1);
        int32_t *b = malloc(c_n), *m = malloc(c_n), *s = malloc(c_n);
        if (!get(x, in_n) || !get(w, w_n) || !get(b, c_n) || !get(m, c_n) || !get(s, c_n)) {
            return 2;
        }
        tg_transpose_conv2d_s8_cmsis_nn(&p, x, w, has_bias ? b : NULL, m, s, scratch, out);
        fwrite(out, 1, out_n, stdout);
        fflush(stdout);
        free(x); free(w); free(out); free(scratch); free(b); free(m); free(s);
    }
    return 0;
}
"""


@needs_tree
@needs_cc
def test_arm_transpose_conv_s8_equals_twin_in_planned_scratch(tmp_path):
    """The tree's arm_transpose_conv_s8 (its portable C, built for the host with AddressSanitizer,
    which stops at the first byte read or written past the planned scratch) through the
    adapter equals the numpy twin on every drawn layer transpose_conv_fits accepts."""
    tree = find_cmsis_nn(TREE)
    (tmp_path / "driver.c").write_text(DRIVER_C)
    exe = tmp_path / "driver"
    cmd = ["cc", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", f"-I{ADAPTER_DIR}",
           f"-I{data_dir('firmware') / 'kernels' / 'support'}", f"-I{tree.include_dir}", str(tmp_path / "driver.c"),
           str(ADAPTER_DIR / f"{ADAPTER}.c"), str(tree.path / TRANSPOSE_CONV_SOURCE),
           str(tree.path / "Source" / "NNSupportFunctions" / "arm_nn_transpose_conv_row_s8_s32.c"), "-o", str(exe)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    fixed = tree.transpose_conv_revision is not None and tree.transpose_conv_revision >= (2, 0, 1)
    cases = []

    @settings(derandomize=True, max_examples=1500, deadline=None, database=None)
    @given(p=tconv_geometry(dilations=(1,), channels=st.integers(1, 9)), seed=st.integers(0, 2**32 - 1),
           with_bias=st.booleans())
    def draw(p, seed, with_bias):
        if transpose_conv_fits(p, fixed) and len(cases) < 400:
            cases.append((p, seed, with_bias))

    draw()
    assert len(cases) >= 200
    assert any(c[0]["pad_top"] % c[0]["stride_h"] for c in cases) == fixed
    blob, wants = bytearray(), []
    for p, seed, with_bias in cases:
        x, w, b, m, s = tconv_case(p, seed, True)
        blob += np.array([p[f] for f in FIELDS] + [transpose_conv_scratch(p), int(with_bias)], np.int32).tobytes()
        blob += x.tobytes() + w.tobytes() + b.tobytes() + m.tobytes() + s.astype(np.int32).tobytes()
        wants.append(transpose_conv2d_s8(p, x, w, b if with_bias else None, m, s).ravel())
    run = subprocess.run([str(exe)], input=bytes(blob), capture_output=True)
    got = np.frombuffer(run.stdout, np.int8)
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-3000:]
    assert got.size == sum(w.size for w in wants)
    at = 0
    for (p, _, _), want in zip(cases, wants):
        assert_same(want, got[at:at + want.size], f"arm_transpose_conv_s8, p={p}")
        at += want.size


@needs_tree
@needs_qemu
def test_transpose_conv_cmsis_nn_f746zg_standin(tmp_path):
    """Firmware built with --kernels cmsis-nn (arm_transpose_conv_s8 for the layers it computes
    exactly, tinygen's DSP kernel for the others): every layer equals the reference on the stand-in."""
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    source, graph = compile_model(Decoder(), SHAPE, board.isa_features, tmp_path, cmsis_nn=TREE)
    chosen = kernels_of(graph)
    assert [n for n, k in chosen.items() if k == ADAPTER] == FITS
    project = build(source, graph, board, tmp_path / "fw").out_dir
    rng = np.random.default_rng(4)
    with open_device(board, project, emulate=True) as dev:
        for i in range(3):
            x = quantize_input(graph, source.to_graph_layout(rng.standard_normal(SHAPE).astype(np.float32) * 1.5))
            assert_device_equals_reference(dev, graph, x, f"input {i}")
