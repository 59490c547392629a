"""End to end: example models → int8 → generated C on the host == numpy reference, byte for byte."""

import numpy as np
import pytest

from e2e import (ALL_AGREE, EXAMPLE_MODELS, assert_bit_exact, build_host, compile_example, diff_layers,
                 random_inputs)
from tinygen.ir import MAC_OPS
from tinygen.passes.plan_memory import check_plan

INPUTS_PER_MODEL = 50


@pytest.mark.parametrize("name", EXAMPLE_MODELS)
def test_example_model_s8_host(name, tmp_path):
    source, graph = compile_example(name)
    check_plan(graph)
    host = build_host(source, graph, tmp_path / name)
    inputs = random_inputs(source, graph, INPUTS_PER_MODEL, seed=11)
    assert_bit_exact(graph, host, inputs)
    # every intermediate tensor too, on a few inputs
    for x in inputs[:3]:
        assert diff_layers(graph, host, x) == ALL_AGREE
    # the check has teeth: the last multiply-accumulate layer's output depends on the input
    last_mac = max(i for i, n in enumerate(n for n in graph.nodes if n.kernel) if n.op in MAC_OPS)
    assert len({host.invoke_layers(x)[last_mac].tobytes() for x in inputs[:10]}) > 1


def test_layer_by_layer_equals_invoke_host(tmp_path):
    source, graph = compile_example("resnet8")
    host = build_host(source, graph, tmp_path / "r8")
    x = random_inputs(source, graph, 1, seed=3)[0]
    layers = host.invoke_layers(x)
    full = host.invoke(x)[0]
    assert np.array_equal(layers[-1], full.ravel())
    assert len(layers) == len(host.layers) == sum(1 for n in graph.nodes if n.kernel)


def test_runner_executable_matches_library_host(tmp_path):
    import subprocess

    source, graph = compile_example("mlp")
    out = tmp_path / "mlp"
    host = build_host(source, graph, out)
    x = random_inputs(source, graph, 1, seed=5)[0]
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    proc = subprocess.run([str(out / "tg_runner"), str(tmp_path / "in.bin")], capture_output=True, check=True)
    assert proc.stdout == host.invoke(x)[0].tobytes()
    short = subprocess.run([str(out / "tg_runner")], input=x.tobytes()[:-1], capture_output=True)
    assert short.returncode == 1 and b"expected" in short.stderr
