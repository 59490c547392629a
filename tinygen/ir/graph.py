"""The graph: tensors by name, nodes in execution order, inputs and outputs."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from tinygen.ir.node import Node
from tinygen.ir.tensor import Kind, Tensor


@dataclass
class Graph:
    name: str
    tensors: dict[str, Tensor] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    # free-form facts passes leave for later stages (e.g. memory plan, source hash)
    meta: dict = field(default_factory=dict)

    # -- construction -----------------------------------------------------
    def add_tensor(self, tensor: Tensor) -> Tensor:
        if tensor.name in self.tensors:
            raise ValueError(f"duplicate tensor name {tensor.name!r}")
        self.tensors[tensor.name] = tensor
        return tensor

    def add_const(self, name: str, data: np.ndarray, dtype: str | None = None, **kw) -> Tensor:
        data = np.asarray(data)
        dtype = dtype or str(data.dtype)
        return self.add_tensor(Tensor(name, data.shape, dtype, Kind.CONST, data=data, **kw))

    def unique_name(self, base: str) -> str:
        if base not in self.tensors:
            return base
        i = 1
        while f"{base}_{i}" in self.tensors:
            i += 1
        return f"{base}_{i}"

    def copy(self) -> "Graph":
        return copy.deepcopy(self)

    # -- queries ------------------------------------------------------------
    def tensor(self, name: str) -> Tensor:
        return self.tensors[name]

    def producer(self, tensor_name: str) -> Node | None:
        for node in self.nodes:
            if tensor_name in node.outputs:
                return node
        return None

    def weight_shape(self, node: Node) -> tuple[int, ...]:
        """A node's weights in their logical layout (OHWI, [O, I], depthwise 1HWO), also
        after passes/lower_bits.py packed them at their bit width."""
        return tuple(node.attrs.get("weight_shape") or self.tensors[node.param("weight")].shape)

    def consumers(self, tensor_name: str) -> list[Node]:
        return [n for n in self.nodes if tensor_name in n.inputs]

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def const(self, node: Node, role: str, switch: int = 0) -> np.ndarray | None:
        name = node.param(role, switch)
        return None if name is None else self.tensors[name].data

    def activation_tensors(self) -> Iterator[Tensor]:
        return (t for t in self.tensors.values() if t.in_arena)

    def is_graph_output(self, tensor_name: str) -> bool:
        return tensor_name in self.outputs

    # -- editing --------------------------------------------------------------
    def replace_uses(self, old: str, new: str) -> None:
        """Make every consumer (and the graph outputs) read `new` instead of `old`."""
        for n in self.nodes:
            n.inputs = [new if t == old else t for t in n.inputs]
        self.outputs = [new if t == old else t for t in self.outputs]

    def remove_node(self, node: Node) -> None:
        self.nodes.remove(node)

    def rename_tensor(self, old: str, new: str) -> None:
        """Give tensor `old` the name `new` everywhere (nodes, inputs, outputs)."""
        if old == new:
            return
        if new in self.tensors:
            raise ValueError(f"tensor {new!r} exists")
        t = self.tensors.pop(old)
        t.name = new
        self.tensors[new] = t
        for n in self.nodes:
            n.inputs = [new if x == old else x for x in n.inputs]
            n.outputs = [new if x == old else x for x in n.outputs]
        self.inputs = [new if x == old else x for x in self.inputs]
        self.outputs = [new if x == old else x for x in self.outputs]

    def drop_dead_nodes(self) -> None:
        """Remove the nodes whose outputs nothing reads (repeatedly), then unused tensors."""
        while True:
            used = set(self.outputs)
            for n in self.nodes:
                used.update(n.inputs)
            dead = [n for n in self.nodes if not any(t in used for t in n.outputs)]
            if not dead:
                break
            for n in dead:
                self.remove_node(n)
        self.drop_unused_tensors()

    def drop_unused_tensors(self) -> None:
        used = set(self.inputs) | set(self.outputs)
        for n in self.nodes:
            used.update(n.inputs)
            used.update(n.outputs)
            used.update(n.const_names())
        for name in [t for t in self.tensors if t not in used]:
            del self.tensors[name]
