"""order_exits: the node order an early-exit model runs in. Each early head (with the layers
it needs) runs as soon as it can, before the layers it lets the model skip: for each head in
turn, its not yet scheduled ancestors in their original order, then the rest. The generated
code checks a head right after its last node (tinygen/codegen/emit.py, _exit_guards), and
passes/reorder.py keeps this order."""

from __future__ import annotations

from tinygen.ir import Graph


def order_exits(graph: Graph) -> Graph:
    exits = [n for n in graph.nodes if n.op == "exit_select"]
    if not exits:
        return graph
    producer = {t: n for n in graph.nodes for t in n.outputs}
    order: list = []
    placed: set[str] = set()

    def place(tensor: str) -> None:
        node = producer.get(tensor)
        if node is None or node.name in placed:
            return
        for t in node.inputs:
            place(t)
        placed.add(node.name)
        order.append(node)

    for node in exits:
        for head in node.inputs[:-1]:
            place(head)
    order += [n for n in graph.nodes if n.name not in placed]
    graph.nodes = order
    return graph
