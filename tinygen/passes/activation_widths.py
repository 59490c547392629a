"""Choose each layer's activation width (int8, or int16: TFLite's 16x8 quantization) on the
calibrated float graph, before quantize, and insert a requantize node (TFLite's QUANTIZE
between int8 and int16) wherever a tensor of one width feeds a layer of the other.

`--activations int8` (the default) changes nothing. `--activations int16` makes every layer
int16 whose op has int16 kernels (tinygen.kernels.s16_table: convolutions, depthwise and
transposed convolutions, fully connected, add, sub, mul, pad, strided slice, concat, slice,
transpose, mean, sum, PReLU, batch matmul, logistic, tanh, softmax but a causal one); the rest
(pooling, hard swish, lookup tables, ...) stays int8. `--activations int16:A,B`
makes only the named layers int16 (a layer by its module path, e.g. `conv1` or
`features.0`, or its node name as `tinygen inspect` lists it).

A reshape keeps its input's width. A graph input is int16 where every layer reading it is;
a graph output has the width of the layer writing it. The int16 tensors are listed in
graph.meta["int16_tensors"] (quantize gives them symmetric int16 grids) and the int16
layers in graph.meta["activations"] (the build prints them).
"""

from __future__ import annotations

from tinygen.errors import UsageError
from tinygen.ir import Graph, Node, Tensor, binary_operands
from tinygen.kernels.s16_table import s16_kernels

# the ops with int16 kernels whose int16 quantization this pass and passes/quantize.py make
# (tests/passes/test_quantize_int16.py), but for the requantize between widths that this pass
# inserts: concat, slice and transpose copy values (quantize gives their tensors one grid), mean, sum,
# PReLU (its slopes int8, as TFLite Micro takes them) and batch matmul requantize from any
# symmetric grids, logistic, tanh and softmax write Q0.15 (quant.spec.FIXED_OUTPUT_QPARAMS_S16).
# The int16 kernels of RELU, RELU6 (clamp), the pools, squared difference and rsqrt serve .tflite
# models for now
INT16_OPS = frozenset(spec.op for spec in s16_kernels()) - {
    "requantize", "leaky_relu", "relu", "clamp", "max_pool2d", "avg_pool2d", "squared_difference", "rsqrt"}
# ops that take their input's width (no arithmetic: the same bytes under another shape)
FOLLOW_OPS = frozenset({"reshape"})
# the int16 kernels without broadcasting (tg_add_s16: operands of the output's shape)
SAME_SHAPE_OPS = frozenset({"add"})

WIDTHS = ("int8", "int16")


def parse_activations(text: str) -> tuple[str, frozenset[str] | None]:
    """--activations: "int8", "int16" (every layer that has int16 kernels) or
    "int16:LAYER,LAYER" (those layers) -> (width, layers or None for all)."""
    width, colon, layers = str(text).partition(":")
    if width not in WIDTHS or (width == "int8" and colon):
        raise UsageError(f"--activations {text!r} is not a width", "use int8 (the default), int16 (every layer "
                         "with int16 kernels) or int16:LAYER,LAYER (those layers, by module path or node name)")
    names = frozenset(n.strip() for n in layers.split(",") if n.strip())
    if colon and not names:
        raise UsageError(f"--activations {text!r} names no layer", "list layers after int16:, e.g. int16:conv1,fc")
    return width, (names or None)


def module_path(node: Node) -> str:
    """The layer's module path in the user's model ("conv1 (Conv2d)" -> "conv1")."""
    return node.source.split(" (")[0].strip()


def int16_capable(graph: Graph, node: Node) -> bool:
    """Whether tinygen has an int16 kernel for the node (tinygen.nn low-bit layers: no)."""
    if node.op not in INT16_OPS or "lowbit" in node.attrs or len(node.params) > 1:
        return False
    if node.op in SAME_SHAPE_OPS:
        out = graph.tensor(node.outputs[0]).shape
        return all(graph.tensor(t).shape == out for t in binary_operands(node))
    if node.op == "softmax":        # tg_softmax_s16: not the causal one, not an early exit's head
        return not node.attrs.get("causal") and all(c.op != "exit_select" for c in graph.consumers(node.outputs[0]))
    return True


def activation_widths(graph: Graph, spec: str = "int8") -> Graph:
    width, layers = parse_activations(spec)
    if width == "int8":
        return graph
    if layers is not None:
        known = {n.name for n in graph.nodes} | {module_path(n) for n in graph.nodes}
        unknown = sorted(layers - known)
        if unknown:
            raise UsageError(f"--activations names layers the model does not have: {', '.join(unknown)}",
                             "name layers by module path or node name: " + ", ".join(
                                 sorted({module_path(n) or n.name for n in graph.nodes})))

    def chosen(node: Node) -> bool:
        return int16_capable(graph, node) and (layers is None or bool({node.name, module_path(node)} & layers))

    wide: set[str] = set()           # the int16 tensors
    for x in graph.inputs:
        readers = graph.consumers(x)
        if readers and all(chosen(n) for n in readers):
            wide.add(x)
    converted: dict[tuple[str, bool], str] = {}
    nodes: list[Node] = []
    int16_layers, int8_layers = [], []
    for node in graph.nodes:
        acts = [t for t in node.inputs if graph.tensor(t).in_arena]
        node_wide = (acts[0] in wide) if node.op in FOLLOW_OPS and acts else chosen(node)
        for k, t in enumerate(node.inputs):
            if t in acts and (t in wide) != node_wide:
                if (t, node_wide) not in converted:
                    converted[(t, node_wide)] = _requantize(graph, t, node_wide, node, nodes)
                    if node_wide:
                        wide.add(converted[(t, node_wide)])
                node.inputs[k] = converted[(t, node_wide)]
        nodes.append(node)
        if node_wide:
            wide.update(node.outputs)
        if node.op not in FOLLOW_OPS:
            (int16_layers if node_wide else int8_layers).append(node.name)
    graph.nodes = nodes
    graph.meta["int16_tensors"] = sorted(wide)
    graph.meta["activations"] = {"spec": spec, "int16": int16_layers, "int8": int8_layers}
    return graph


def _requantize(graph: Graph, t: str, to_wide: bool, reader: Node, nodes: list[Node]) -> str:
    """A requantize node from tensor t to the other width (for `reader`), appended to nodes."""
    src = graph.tensor(t)
    name = graph.unique_name(f"{t}_{'s16' if to_wide else 's8'}")
    out = graph.add_tensor(Tensor(name, src.shape, src.dtype))
    out.calib_range = src.calib_range
    nodes.append(Node(graph.unique_name(f"quantize_{name}"), "requantize", [t], [name], {}, [{}],
                      f"QUANTIZE to {'int16' if to_wide else 'int8'} for {reader.name}"))
    return name


__all__ = ["INT16_OPS", "activation_widths", "int16_capable", "module_path", "parse_activations"]
