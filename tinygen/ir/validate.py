"""Structural checks of a graph; run after every pass."""

from __future__ import annotations

from tinygen.ir.graph import Graph
from tinygen.ir.ops import SCHEMAS
from tinygen.ir.tensor import Kind


class IRValidationError(Exception):
    """The IR is malformed: a bug in a frontend or pass, not a user error."""


def validate(graph: Graph) -> None:
    errors: list[str] = []
    defined = set(graph.inputs)
    for name in graph.inputs:
        if name not in graph.tensors:
            errors.append(f"graph input {name!r} has no tensor")
        elif graph.tensors[name].kind is not Kind.INPUT:
            errors.append(f"graph input {name!r} is not of kind input")
    node_names = set()
    for node in graph.nodes:
        where = f"node {node.name!r} ({node.op})"
        if node.name in node_names:
            errors.append(f"{where}: duplicate node name")
        node_names.add(node.name)
        schema = SCHEMAS.get(node.op)
        if schema is None:
            errors.append(f"{where}: unknown op")
            continue
        if len(node.inputs) < schema.min_inputs or (
            schema.max_inputs is not None and len(node.inputs) > schema.max_inputs
        ):
            errors.append(f"{where}: {len(node.inputs)} inputs")
        for attr in schema.attrs:
            if attr not in node.attrs:
                errors.append(f"{where}: missing attribute {attr!r}")
        if len(node.outputs) != 1:
            errors.append(f"{where}: expected one output, got {len(node.outputs)}")
        for t in node.inputs:
            if t not in graph.tensors:
                errors.append(f"{where}: input {t!r} does not exist")
            elif graph.tensors[t].is_const:
                errors.append(f"{where}: input {t!r} is a constant (constants go in params)")
            elif t not in defined:
                errors.append(f"{where}: input {t!r} used before it is produced")
        if not node.params:
            errors.append(f"{where}: no parameter set")
        for role in schema.param_roles:
            for k, pset in enumerate(node.params):
                if role not in pset:
                    errors.append(f"{where}: parameter set {k} lacks {role!r}")
        for name in node.const_names():
            t = graph.tensors.get(name)
            if t is None:
                errors.append(f"{where}: constant {name!r} does not exist")
            elif not t.is_const or t.data is None:
                errors.append(f"{where}: constant {name!r} has no data")
        for t in node.outputs:
            if t not in graph.tensors:
                errors.append(f"{where}: output {t!r} does not exist")
            elif t in defined:
                errors.append(f"{where}: output {t!r} is produced twice")
            defined.add(t)
    for name in graph.outputs:
        if name not in defined:
            errors.append(f"graph output {name!r} is never produced")
    for t in graph.tensors.values():
        if any(d <= 0 for d in t.shape):
            errors.append(f"tensor {t.name!r} has a non-positive dimension {list(t.shape)}")
        if t.is_const and t.data is not None and tuple(t.data.shape) != t.shape:
            errors.append(f"constant {t.name!r}: data shape {t.data.shape} != {t.shape}")
    if errors:
        raise IRValidationError(
            f"invalid IR for graph {graph.name!r}:\n  " + "\n  ".join(errors)
        )
