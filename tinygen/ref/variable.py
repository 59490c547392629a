"""numpy twins of TFLite's resource-variable kernels (firmware/kernels/variable/
tg_kernels_variable.h): tg_read_variable, tg_assign_variable, tg_variable_reset. Named like the C
kernel minus ``tg_``; each takes the kernel's parameter struct as a dict (tinygen.kernels.params_variable)
and the variable's bytes as the uint8 array the interpreter keeps (updated in place)."""

from __future__ import annotations

import numpy as np


def read_variable(p: dict, state: np.ndarray) -> np.ndarray:
    """READ_VARIABLE: the variable's bytes (the caller views them as the output's type)."""
    return state[: p["bytes"]].copy()


def assign_variable(p: dict, value, state: np.ndarray) -> np.ndarray:
    """ASSIGN_VARIABLE: value's bytes become the variable's; the node's output, a one-byte
    marker, is 1."""
    state[: p["bytes"]] = np.ascontiguousarray(value).reshape(-1).view(np.uint8)
    return np.ones(1, np.int8)


def variable_reset(p: dict, initial) -> np.ndarray:
    """The variable's initial value: the init subgraph's constant's bytes, or every byte p["fill"]."""
    if initial is None:
        return np.full(p["bytes"], p["fill"], np.uint8)
    return np.ascontiguousarray(initial).reshape(-1).view(np.uint8).copy()


def call_variable(fn, graph, node, inputs: list, state: dict | None) -> np.ndarray:
    """Run a read_variable or assign_variable node's twin `fn` on its variable's bytes, kept in
    `state` under the node that owns them (attr state_of; its initial value at first, as after
    tg_model_reset_state()); None: the initial value, for this invocation only."""
    owner = graph.node(node.attrs["state_of"])
    p = node.attrs["kparams"]
    held = {} if state is None else state.setdefault(owner.name, {})
    initial = owner.param("initial")
    words = held.setdefault("state", variable_reset(p, None if initial is None else graph.tensor(initial).data))
    if node.op == "read_variable":
        return fn(p, words).view(graph.tensor(node.outputs[0]).np_dtype)
    return fn(p, inputs[0], words)
