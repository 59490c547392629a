"""Which onnxruntime session tinygen compares with (tinygen/hil/onnx_check.py): the graph as
written (graph optimizations off, the same bytes on every x86-64 CPU) is the reference and is
asserted on; onnxruntime's default session, whose fused u8s8 kernels give other bytes on CPUs
without AVX-512 VNNI, is computed and reported only. The suite scrambles the fused session's
outputs (tests/conftest.py sets PERTURB_FUSED_ENV), so an assertion resting on them fails on
every machine; and nothing builds an onnxruntime session but run_onnxruntime."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from onnx_lib import onnx_inputs, onnx_model
from tinygen.compiler import compile_source, load_source
from tinygen.hil.onnx_check import (AS_WRITTEN, PERTURB_FUSED_ENV, agreement_rows, cpu_features,
                                    onnxruntime_agreement, run_onnxruntime)
from tinygen.hil.session import SampleRun
from tinygen.ref.interpreter import quantize_input, run

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = 20


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx_sessions")


@pytest.mark.parametrize("form", ["qdq", "qoperator"])
def test_onnx_agreement_as_written_asserted_fused_reported(models, tmp_path, form):
    """What `tinygen hil` reports on an .onnx: the graph as written, byte for byte (tinygen's
    requantization rounds as onnxruntime's does on these models), and the fused session apart,
    labelled CPU-dependent with this machine's features."""
    path = onnx_model(models, "mlp", form)
    source = load_source(path)
    graph = compile_source(source)
    x = onnx_inputs("mlp", SAMPLES, seed=7)
    np.savez(tmp_path / "data.npz", x=x)
    q = quantize_input(graph, source.to_graph_layout(x))
    ours = [[run(graph, q[i:i + 1])[o] for o in graph.outputs] for i in range(SAMPLES)]
    a = onnxruntime_agreement(source, graph, tmp_path / "data.npz", SampleRun(counts=[0] * SAMPLES, outputs=ours))
    assert a["session"] == AS_WRITTEN and a["kind"] == form
    assert a["exact"] == a["samples"] == SAMPLES, a
    fused = a["fused"]
    assert fused["samples"] == SAMPLES and fused["cpu"] == cpu_features()
    # the suite's switch scrambles the fused outputs: this row is the fused session's, and no check can rest on it
    assert fused["exact"] < SAMPLES and fused["scrambled"], fused
    rows = agreement_rows(a)
    n = f"{SAMPLES}/{SAMPLES}"
    assert rows[0] == [f"vs onnxruntime ({form}, as written)",
                       f"{n} within 1 LSB ({SAMPLES} exact, largest 0 LSB), {n} same top-1"]
    assert rows[1][0] == "vs onnxruntime, fused"
    assert rows[1][1].endswith(f"; CPU-dependent (fused kernels; this machine: {cpu_features()}); scrambled "
                               f"({PERTURB_FUSED_ENV} is set)")
    print(rows[1][1])       # reported, not asserted: its bytes depend on the CPU


def test_fused_session_scrambled_by_the_suite_switch(models, monkeypatch):
    """Under PERTURB_FUSED_ENV (set for the whole suite) the fused session's outputs are its own,
    each sample's values reversed and the samples rotated by one; the as-written session's are
    untouched."""
    path = onnx_model(models, "mlp", "qdq")
    x = onnx_inputs("mlp", 6, seed=8)
    assert os.environ.get(PERTURB_FUSED_ENV)
    scrambled, written = run_onnxruntime(path, [x], fused=True)[0], run_onnxruntime(path, [x])[0]
    monkeypatch.delenv(PERTURB_FUSED_ENV)
    plain, written_plain = run_onnxruntime(path, [x], fused=True)[0], run_onnxruntime(path, [x])[0]
    np.testing.assert_array_equal(scrambled, np.roll(plain[:, ::-1], 1, axis=0))
    assert not np.array_equal(scrambled, plain)
    np.testing.assert_array_equal(written, written_plain)


SESSION = re.compile(r"\bInferenceSession\s*\(")
FUSED = re.compile(r"\bfused\s*=\s*True\b")


def test_only_run_onnxruntime_builds_an_onnxruntime_session():
    """Every comparison with onnxruntime goes through run_onnxruntime, whose default is the
    graph as written; the fused session is asked for only where `tinygen hil` reports it apart
    (tinygen/hil/onnx_check.py) and in this file. The build's check that onnxruntime loads the
    graph (tinygen/frontend/onnx/check_graph.py runs) builds one too, with graph optimizations
    off, and runs nothing."""
    here = Path(__file__).resolve()
    sessions, fused = [], []
    for folder in ("tinygen", "tests", "benchmarks", "examples", "hil"):
        for f in sorted((ROOT / folder).rglob("*.py")):
            if f.resolve() == here:
                continue
            text = f.read_text(encoding="utf-8", errors="replace")
            rel = f.relative_to(ROOT).as_posix()
            sessions += [rel] if SESSION.search(text) else []
            fused += [rel] if FUSED.search(text) else []
    assert sessions == ["tinygen/frontend/onnx/check_graph.py", "tinygen/hil/onnx_check.py"], sessions
    assert fused == ["tinygen/hil/onnx_check.py"], fused
