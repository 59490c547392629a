"""Hand-built IR graphs for the pass tests: a Builder, Before / Expected structure, and the
float interpreter's check that a float pass does not change what the graph computes
(outputs before and after agree to EPS)."""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph, Kind, Node, Tensor, validate
from tinygen.ref.float_interp import run_float

CONV = {"stride": (1, 1), "dilation": (1, 1), "padding": (1, 1, 1, 1)}
CONV_VALID = {"stride": (1, 1), "dilation": (1, 1), "padding": (0, 0, 0, 0)}
POOL2 = {"kernel": (2, 2), "stride": (2, 2), "padding": (0, 0, 0, 0)}
EPS = 1e-5


class Builder:
    """Hand-built float32 IR graphs: `b.op(...)` appends a node and its output."""

    def __init__(self, name: str = "g", seed: int = 0):
        self.g = Graph(name)
        self.rng = np.random.default_rng(seed)

    def input(self, shape, name: str = "input") -> str:
        self.g.add_tensor(Tensor(name, shape, "float32", Kind.INPUT))
        self.g.inputs.append(name)
        return name

    def rand(self, *shape, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
        return self.rng.uniform(lo, hi, shape).astype(np.float32)

    def op(self, op: str, inputs, shape, name: str | None = None, out: str | None = None,
           attrs: dict | None = None, **params) -> str:
        name = name or f"{op}_{len(self.g.nodes)}"
        out = out or name
        self.g.add_tensor(Tensor(out, shape, "float32", Kind.ACTIVATION))
        pset = {}
        for role, data in params.items():
            const = self.g.add_const(f"{name}_{role}", np.asarray(data, np.float32))
            pset[role] = const.name
        self.g.nodes.append(Node(name, op, list(inputs), [out], dict(attrs or {}), [pset], source=name))
        return out

    def bn(self, x: str, shape, channels: int, name: str = "bn", out: str | None = None) -> str:
        return self.op("batch_norm", [x], shape, name=name, out=out, attrs={"eps": EPS},
                       gamma=self.rand(channels, lo=0.5, hi=1.5), beta=self.rand(channels),
                       mean=self.rand(channels), var=self.rand(channels, lo=0.3, hi=2.0))

    def output(self, *names: str) -> Graph:
        for n in names:
            self.g.outputs.append(n)
            self.g.tensors[n].kind = Kind.OUTPUT
        validate(self.g)
        return self.g


def structure(g: Graph) -> list:
    """What Before/Expected compare: ops, wiring, attributes, parameter roles."""
    nodes = [(n.op, n.inputs, n.outputs, {k: v for k, v in n.attrs.items() if k != "kparams"},
              [sorted(p) for p in n.params]) for n in g.nodes]
    return [g.inputs, nodes, g.outputs]


def assert_structure(got: Graph, expected: Graph) -> None:
    assert structure(got) == structure(expected)
    arena = {t.name: t.shape for t in got.activation_tensors()}
    assert arena == {t.name: t.shape for t in expected.activation_tensors()}


def assert_same_function(before: Graph, after: Graph, seed: int = 1, n: int = 4) -> None:
    shape = before.tensors[before.inputs[0]].shape
    x = np.random.default_rng(seed).standard_normal((n,) + shape[1:]).astype(np.float32)
    want = run_float(before, x)
    got = run_float(after, x)
    assert list(got) == list(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-5)


def bn_affine(g: Graph, name: str = "bn") -> tuple[np.ndarray, np.ndarray]:
    """(scale, offset) of a batch norm node, computed independently in float64."""
    c = {r: g.tensors[f"{name}_{r}"].data.astype(np.float64) for r in ("gamma", "beta", "mean", "var")}
    scale = c["gamma"] / np.sqrt(c["var"] + EPS)
    return scale, c["beta"] - c["mean"] * scale


def run_pass(fn, graph: Graph) -> Graph:
    out = fn(graph.copy())
    validate(out)
    return out
