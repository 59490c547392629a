"""ONNX models through the whole compiler: the four test networks (tests/onnx_lib.py) in float,
QDQ and QOperator form, built for the host, the generated C equal to tinygen's reference byte for
byte on every input and every layer; and through `tinygen hil` on the f746zg stand-in (the
Nucleo-F746ZG's Cortex-M7 in QEMU), bit-exact with the reference, with onnxruntime's agreement
in the report (slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from e2e import assert_bit_exact, build_host, run_cli
from onnx_lib import FORMS, MODELS, onnx_inputs, onnx_model
from standin_lib import needs_qemu
from tinygen.compiler import compile_source, load_source
from tinygen.ref.interpreter import quantize_input

INPUTS = 12


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx_e2e")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", MODELS)
def test_onnx_host_c_equals_reference(models, tmp_path, name, form):
    path = onnx_model(models, name, form)
    np.save(tmp_path / "calib.npy", onnx_inputs(name, 32, seed=100))
    source = load_source(path)
    graph = compile_source(source, str(tmp_path / "calib.npy"))
    host = build_host(source, graph, tmp_path / "host")
    x = onnx_inputs(name, INPUTS, seed=9)
    assert_bit_exact(graph, host, [quantize_input(graph, source.to_graph_layout(x[i:i + 1])) for i in range(INPUTS)])


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("name,form", [("kws", "qdq"), ("mobilenet", "qoperator"), ("mlp", "qoperator"),
                                       ("residual", "float")])
def test_onnx_hil_f746zg_standin(models, tmp_path, name, form):
    """`tinygen hil model.onnx --board f746zg --emulate`: every sample bit-exact with the reference,
    onnxruntime's agreement beside it (quantized: every byte equal to the graph as written; float:
    top-1), and its fused session's apart, labelled CPU-dependent (reported, never asserted)."""
    path = onnx_model(models, name, form)
    np.savez(tmp_path / "data.npz", x=onnx_inputs(name, 16, seed=4))
    extra = []
    if form == "float":
        np.save(tmp_path / "calib.npy", onnx_inputs(name, 32, seed=100))
        extra = ["--calib", tmp_path / "calib.npy"]
    rc, out, err = run_cli("hil", path, "--board", "f746zg", "--emulate", "--data", tmp_path / "data.npz",
                           "-o", tmp_path / "build", "--json", tmp_path / "r.json", "-q", *extra)
    assert rc == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["bit_exact"] == report["samples"] == 16
    agreement = report["onnxruntime"]
    assert agreement["samples"] == 16 and agreement["kind"] == form
    assert agreement["fused"]["samples"] == 16 and "vs onnxruntime, fused" in out and "CPU-dependent" in out
    if form == "float":
        assert agreement["top1_same"] >= 15 and "vs onnxruntime (float model, as written)" in out
    else:
        assert agreement["exact"] == 16
        assert f"vs onnxruntime ({form}, as written)" in out and "16/16 within 1 LSB (16 exact" in out
