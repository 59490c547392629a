"""KernelSpec.pack: a kernel's constants laid out at build time (flash), not at run time.

choose_kernels stores pack()'s array as the node's "packed" constant; the generated
weights hold it; the numpy reference keeps computing from the original constants
(ref_roles); choosing another kernel drops it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from e2e import compile_example
from tinygen.codegen.emit import project_data
from tinygen.kernels import table
from tinygen.passes import choose_kernels
from tinygen.ref.interpreter import run


def _widened(p, consts):
    """A stand-in layout: the weights as int16, doubled, then the bias."""
    return np.concatenate([consts["weight"].astype(np.int16).ravel() * 2, consts["bias"].astype(np.int16)])


@pytest.fixture
def packing_conv(monkeypatch):
    """tg_conv2d_s8 as a kernel taking a packed constant instead of weight and bias."""
    spec = dataclasses.replace(table.KERNELS_BY_NAME["tg_conv2d_s8"], pack=_widened,
                               const_roles=("packed", "multiplier", "shift"), ref_roles=table._REQUANT)
    kernels = tuple(spec if k.name == spec.name else k for k in table.KERNELS)
    monkeypatch.setattr(table, "KERNELS", kernels)
    monkeypatch.setitem(table.KERNELS_BY_NAME, spec.name, spec)
    return spec


def test_pack_adds_the_constant_and_the_reference_ignores_it(packing_conv):
    source, plain = compile_example("cnn")
    x = np.random.default_rng(0).integers(-128, 128, size=plain.tensor(plain.inputs[0]).shape).astype(np.int8)
    expected = run(plain, x)[plain.outputs[0]]
    _, graph = compile_example("cnn")
    choose_kernels(graph)
    convs = [n for n in graph.nodes if n.kernel == "tg_conv2d_s8"]
    assert convs
    for node in convs:
        packed = graph.tensor(node.param("packed"))
        w, b = graph.tensor(node.param("weight")).data, graph.tensor(node.param("bias")).data
        assert packed.dtype == "int16" and packed.is_const
        np.testing.assert_array_equal(packed.data, _widened(None, {"weight": w, "bias": b}))
    np.testing.assert_array_equal(run(graph, x)[graph.outputs[0]], expected)

    data = project_data(graph, "cnn", "0", "test")
    names = {a.name: a for a in data["arrays"]}
    for node in convs:
        array = names[node.param("packed")]
        assert array.ctype == "int16_t"
        assert node.param("weight") not in names        # the kernel reads the packed form only
        call = next(line for layer in data["layers"] if layer.kernel == "tg_conv2d_s8" for line in layer.body)
        assert "_packed" in call


def test_choosing_again_replaces_or_drops_the_packed_constant(packing_conv, monkeypatch):
    _, graph = compile_example("cnn")
    choose_kernels(graph)
    node = next(n for n in graph.nodes if n.kernel == "tg_conv2d_s8")
    first = node.param("packed")
    choose_kernels(graph)                       # again (as --kernels auto does): still one
    assert node.param("packed") in graph.tensors
    assert sum(name.startswith(f"{node.name}_packed") for name in graph.tensors) == 1
    monkeypatch.setitem(table.KERNELS_BY_NAME, "tg_conv2d_s8",
                        dataclasses.replace(packing_conv, pack=None, const_roles=table._REQUANT, ref_roles=None))
    monkeypatch.setattr(table, "KERNELS", tuple(table.KERNELS_BY_NAME["tg_conv2d_s8"] if k.name == "tg_conv2d_s8"
                                                else k for k in table.KERNELS))
    choose_kernels(graph)
    assert node.param("packed") is None and first not in graph.tensors
