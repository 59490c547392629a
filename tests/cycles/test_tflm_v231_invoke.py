"""benchmarks/calibration/cmsis_nn_2020/tflm_v231_invoke.c: the work TFLM v2.3.1's cmsis-nn kernels did in every
Eval besides the CMSIS-NN call, compiled into the twin of the NUCLEO-L4R5ZI points. Its table is generated from a
real model's graph (old_twins.invokes), the C is compiled for the host and called with the parameters tinygen's
kernels run: they must agree layer by layer, and a wrong multiplier, shift, activation range or layer order must
be caught (KWS's graph has a conv, depthwise, average pooling, fully connected and softmax layer; tinygen fuses
ResNet's adds, so add is checked on scales of its own). The 2020 header's wrappers must run it before each
kernel."""

import ctypes
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks" / "calibration"))
sys.path.insert(0, str(ROOT / "tests"))

import old_cmsis_nn as old  # noqa: E402
import old_twins  # noqa: E402
from mlperf_models import mlperf_model  # noqa: E402

from tinygen.compiler import compile_source, load_source  # noqa: E402
from tinygen.passes import CompileOptions  # noqa: E402
from tinygen.quant.op_params import add_params  # noqa: E402

CC = shutil.which("cc") or shutil.which("gcc")
I32 = ctypes.c_int32
KINDS = {"conv2d": 1, "depthwise_conv2d": 2, "avg_pool2d": 4, "max_pool2d": 5}


def graph_of(name: str):
    return compile_source(load_source(mlperf_model(name)), options=CompileOptions(kernels="tinygen"))


def host_library(entries: list[dict], tmp_path: Path):
    unit = tmp_path / "unit.c"
    unit.write_text(old.invoke_unit(entries))
    lib = tmp_path / "libinvoke.so"
    subprocess.run([CC, "-std=gnu17", "-Wall", "-Wextra", "-Werror", "-O2", "-shared", "-fPIC",
                    f"-I{old.INVOKE_HEADER.parent}", str(unit), "-o", str(lib), "-lm"], check=True)
    return ctypes.CDLL(str(lib))


def array(values) -> ctypes.Array:
    values = [int(v) for v in np.ravel(values)]
    return (I32 * len(values))(*values)


class Layers:
    """Call the library for each layer of `graph` as the 2020 header's wrappers do, with tinygen's parameters
    (`change`: a function that may alter a layer's before the call)."""

    def __init__(self, lib, graph):
        self.lib, self.graph = lib, graph

    def const(self, node, role):
        return self.graph.tensors[node.param(role)].data

    def call(self, node, change=None) -> int:
        kp = dict(node.attrs["kparams"])
        lib, op = self.lib, node.op
        if op in ("conv2d", "depthwise_conv2d", "fully_connected"):
            mult, shift = np.array(self.const(node, "multiplier")), np.array(self.const(node, "shift"))
            if change:
                change(kp, mult, shift)
            if op == "fully_connected":
                return lib.tg2020_invoke_fc(kp["in_features"], kp["out_features"], int(mult[0]), int(shift[0]),
                                            kp["act_min"], kp["act_max"])
            return lib.tg2020_invoke_conv(KINDS[op], kp["in_c"], kp["out_c"], array(mult), array(shift),
                                          kp["act_min"], kp["act_max"])
        if change:
            change(kp, None, None)
        if op in ("avg_pool2d", "max_pool2d"):
            return lib.tg2020_invoke_pool(KINDS[op], kp["channels"], kp["act_min"], kp["act_max"])
        if op == "add":
            mult = array([kp["input1_multiplier"], kp["input2_multiplier"], kp["output_multiplier"]])
            shift = array([kp["input1_shift"], kp["input2_shift"], kp["output_shift"]])
            return lib.tg2020_invoke_add(kp["size"], kp["left_shift"], mult, shift, kp["act_min"], kp["act_max"])
        assert op == "softmax", op
        return lib.tg2020_invoke_softmax(kp["depth"], kp["input_multiplier"], kp["input_left_shift"], kp["diff_min"])

    def nodes(self):
        return [n for n in self.graph.nodes if n.kernel and n.op in old_twins.INVOKE_KINDS]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    assert CC is not None, "no host C compiler (cc) to build tflm_v231_invoke.c with"
    graph = graph_of("kws_dscnn")
    entries = old_twins.invokes(graph)
    return Layers(host_library(entries, tmp_path_factory.mktemp("kws")), graph), entries


def test_the_table_has_every_wrapped_layer_in_order_with_its_scales(model):
    layers, entries = model
    nodes = layers.nodes()
    assert [e["kind"] for e in entries] == [old_twins.INVOKE_KINDS[n.op][0] for n in nodes]
    ops = {n.op for n in nodes}
    assert ops == {"conv2d", "depthwise_conv2d", "avg_pool2d", "fully_connected", "softmax"}
    for node, e in zip(nodes, entries):
        if node.op in ("conv2d", "depthwise_conv2d"):
            assert len(e["filter_scales"]) == node.attrs["kparams"]["out_c"]      # these models: per channel
            assert all(s > 0 for s in e["filter_scales"])


def test_every_layer_agrees_with_the_parameters_the_twin_runs_pass_after_pass(model):
    layers, _ = model
    for _ in range(2):                      # a second inference: the first layer restarts the count
        assert [layers.call(n) for n in layers.nodes()] == [0] * len(layers.nodes())
    # layer_out's runs stop part way and start again from the first layer
    nodes = layers.nodes()
    assert [layers.call(n) for n in nodes[:3]] == [0, 0, 0]
    assert [layers.call(n) for n in nodes] == [0] * len(nodes)


def bump(index, by=1):
    def change(kp, mult, shift):
        mult[index] += by
    return change


@pytest.mark.parametrize("what", ["multiplier", "shift", "act_min", "order"])
def test_a_wrong_parameter_or_order_is_caught(model, what):
    layers, _ = model
    nodes = layers.nodes()
    convs = [i for i, n in enumerate(nodes) if n.op in ("conv2d", "depthwise_conv2d")]
    target = convs[1]                       # not the first layer (which restarts the count)
    channel = nodes[target].attrs["kparams"]["out_c"] - 1

    def change(kp, mult, shift):
        if what == "multiplier":
            mult[channel] += 1
        elif what == "shift":
            shift[channel] -= 1
        else:
            kp["act_min"] += 1

    results = []
    for i, n in enumerate(nodes):
        if what == "order" and i == target:
            results.append(layers.call(nodes[target + 1]))      # a layer skipped
            break
        results.append(layers.call(n, change if i == target else None))
    assert results[:target] == [0] * target and results[target] != 0


def test_the_fully_connected_multiplier_is_checked_to_a_tolerance_only(model):
    """TFLM v2.3.1 took the FC's scale product in float (a few units in 2^31 from the twin's): allowed; a
    multiplier 2^-19 off is not."""
    layers, _ = model
    nodes = layers.nodes()
    fc = next(i for i, n in enumerate(nodes) if n.op == "fully_connected")
    for by, caught in ((100, False), (1 << 12, True)):
        results = [layers.call(n, bump(0, by) if i == fc else None) for i, n in enumerate(nodes[:fc + 1])]
        assert results[:fc] == [0] * fc and (results[fc] != 0) == caught, by


def test_an_add_computes_its_three_multipliers_as_tflite_does(tmp_path):
    s1, s2, so = np.float32(0.0712), np.float32(0.0531), np.float32(0.0917)
    entry = {"kind": "TG2020_ADD", "a": 4096, "b": 0, "output_zero_point": -5, "input_scale": float(s1),
             "input2_scale": float(s2), "output_scale": float(so), "activation": "TG2020_ACT_RELU"}
    lib = host_library([entry], tmp_path)
    kp = add_params(4096, s1, 3, s2, -7, so, -5, -5, 127)

    def call(**changed):
        p = {**kp, **changed}
        return lib.tg2020_invoke_add(4096, p["left_shift"], array([p["input1_multiplier"], p["input2_multiplier"],
                                                                  p["output_multiplier"]]),
                                     array([p["input1_shift"], p["input2_shift"], p["output_shift"]]),
                                     p["act_min"], p["act_max"])
    assert call() == 0
    assert call(input2_multiplier=kp["input2_multiplier"] + 1) != 0
    assert call(output_shift=kp["output_shift"] - 1) != 0
    assert call(act_min=-128) != 0                      # ReLU's bound is the zero point
    assert call(left_shift=19) != 0


def test_the_2020_wrappers_run_the_eval_work_before_each_kernel():
    shim = old.STACKS["2020"].shim.read_text()
    assert f'#include "{old.INVOKE_HEADER.name}"' in shim
    wrappers = {"tg2020_convolve_wrapper_s8": ("tg2020_invoke_conv", "arm_convolve_wrapper_s8("),
                "tg2020_depthwise_conv_wrapper_s8": ("tg2020_invoke_conv", "arm_depthwise_conv_s8"),
                "tg2020_fully_connected_s8": ("tg2020_invoke_fc", "arm_fully_connected_s8("),
                "tg2020_avgpool_s8": ("tg2020_invoke_pool", "arm_avgpool_s8("),
                "tg2020_max_pool_s8": ("tg2020_invoke_pool", "arm_max_pool_s8("),
                "tg2020_elementwise_add_s8": ("tg2020_invoke_add", "arm_elementwise_add_s8("),
                "tg2020_softmax_s8": ("tg2020_invoke_softmax", "arm_softmax_s8(")}
    for name, (work, kernel) in wrappers.items():
        body = re.search(rf"^static inline \w+ {name}\(.*?^}}", shim, re.M | re.S).group(0)
        body = body.split("{", 1)[1]
        call = re.search(rf"\n    if \({work}\(", body)          # the wrapper's first test, unconditional
        assert call and call.start() < body.index(kernel), name
        assert re.search(rf"^#define arm_\w+ {name}$", shim, re.M), f"no adapter call maps to {name}"


def test_a_tree_gets_a_table_only_where_its_stack_does_the_work(tmp_path):
    assert old.STACKS["2020"].invoke and not old.STACKS["2022"].invoke
    assert not old.write_invokes(tmp_path, [])                       # no INVOKE_UNIT: another stack's tree
    (tmp_path / "Source" / old.INVOKE_UNIT).parent.mkdir(parents=True)
    (tmp_path / "Source" / old.INVOKE_UNIT).write_text("")
    entry = {"kind": "TG2020_SOFTMAX", "a": 12, "b": 0, "input_scale": 0.25, "beta": 1.0, "filter_scales": []}
    assert old.write_invokes(tmp_path, [entry])
    text = (tmp_path / "Source" / old.INVOKE_UNIT).read_text()
    assert "tg2020_invoke_count = 1;" in text and "0x1.0000000000000p-2f" in text
    assert text.rstrip().endswith(f'#include "{old.INVOKE_SOURCE.as_posix()}"')
