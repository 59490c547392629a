"""Nodes (operators) of the graph IR.

A node consumes and produces activation tensors (`inputs`, `outputs`); its
constants (weights, bias, requantization parameters) are grouped in parameter
sets. A plain model has one set; a switchable-precision model has one per
switch, and the generated code selects between them at run time. The kernel
that implements the node is a separate decision, recorded in `kernel` by the
choose_kernels pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Node:
    name: str
    op: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    # one dict per parameter set: role ("weight", "bias", "multiplier", ...) -> const tensor name
    params: list[dict[str, str]] = field(default_factory=lambda: [{}])
    # where the node came from in the user's model (module path, or op index)
    source: str = ""
    # chosen kernel (C function name) once choose_kernels has run
    kernel: str | None = None
    # scratch bytes the kernel needs (from its _get_buffer_size formula)
    scratch_bytes: int = 0
    # recurrent layers: bytes of state kept across invocations (KernelSpec.state), in the arena's
    # persistent region (passes/plan_memory.py)
    state_bytes: int = 0

    def param(self, role: str, switch: int = 0) -> str | None:
        return self.params[switch].get(role)

    def set_param(self, role: str, tensor: str, switch: int = 0) -> None:
        self.params[switch][role] = tensor

    def const_names(self) -> list[str]:
        return [name for pset in self.params for name in pset.values()]
