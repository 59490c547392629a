"""Kernel parameter structs computed from quantized nodes.

One builder per IR op; each returns a dict keyed by the C struct's field names
(see firmware/kernels/support/tg_kernels.h). Ops whose parameters follow TFLite Micro's
Prepare step (add, mul, softmax, logistic, mean, hard swish, relu, requantize)
delegate to tinygen.quant.op_params.

The builders live by op family in params_conv, params_elementwise and params_layout (and
tinygen.kernels.gating for the gating ops), registered in params_base; importing this module
registers them all. Here: kernel_params, the entry point, and kernel_variants.
"""

from __future__ import annotations

from tinygen.ir import Graph, Node, binary_operands
from tinygen.kernels import params_elementwise, params_layout, params_simple  # noqa: F401  (register their builders)
from tinygen.kernels import params_transpose_conv  # noqa: F401  (registers its builder)
from tinygen.kernels import params_attention  # noqa: F401  (norms and attention)
from tinygen.kernels import params_recurrent  # noqa: F401  (registers its builders)
from tinygen.kernels import params_signal  # noqa: F401  (the signal library's builders)
from tinygen.kernels import params_signal_bank  # noqa: F401  (the signal library's filter-bank half)
from tinygen.kernels import params_plain  # noqa: F401  (builtin ops on plain integers)
from tinygen.kernels import params_signal_stream  # noqa: F401  (the signal library's streaming ops)
from tinygen.kernels import params_select  # noqa: F401  (comparisons and selection on bool tensors)
from tinygen.kernels import params_math  # noqa: F401  (MAXIMUM, REDUCE_MAX, ARG_MAX, ABS)
from tinygen.kernels import params_moves  # noqa: F401  (data movement on elements of any size)
from tinygen.kernels import params_variable  # noqa: F401  (resource variables)
from tinygen.kernels import params_math_f32  # noqa: F401  (their float32 forms, the float math functions)
from tinygen.kernels import params_detection  # noqa: F401  (DETECTION_POSTPROCESS, an SSD's float end)
from tinygen.kernels.params_base import BUILDERS, builder  # noqa: F401  (builder: for tinygen.kernels.gating)
from tinygen.kernels.params_float import FLOAT_BUILDERS
from tinygen.kernels.params_conv import _conv, _fc, planes_params, struct_fields  # noqa: F401


def kernel_params(graph: Graph, node: Node) -> dict:
    dtypes = {graph.tensor(node.outputs[0]).dtype, graph.tensor(node.inputs[0]).dtype if node.inputs else None}
    # a float model run as it is (its integer ports' QUANTIZE, DEQUANTIZE too); the ops whose one
    # builder serves every type (comparisons, selection) from BUILDERS
    if "float32" in dtypes and node.op in FLOAT_BUILDERS:
        return FLOAT_BUILDERS[node.op](graph, node)
    return BUILDERS[node.op](graph, node)


def kernel_variants(graph: Graph, node: Node) -> tuple[str | None, ...]:
    """The kernel variants (KernelSpec.variant) able to compute the node, most specialised
    first: a specialised kernel is preferred where the target has one, the general kernel
    (None) serves the rest. A broadcasting add has no general form to fall back on."""
    if node.op == "add":
        a, b = (graph.tensor(t).shape for t in binary_operands(node))
        if a != b:
            return ("broadcast",)
    if node.op == "conv2d" and _is_pointwise(graph, node):
        return ("1x1", None)
    if node.op == "softmax" and node.attrs.get("causal"):
        return ("causal",)
    if node.op == "softmax" and params_elementwise.softmax_scaled(graph, node):
        return ("scaled",)
    if node.op == "avg_pool2d" and "requant" in node.attrs:      # an ONNX model's (tg_avg_pool2d_requant_s8)
        return ("requant",)
    if node.op == "depthwise_conv2d":
        multiplied = int(node.attrs.get("depth_multiplier", 1)) > 1
        return ("depth_multiplier_n" if multiplied else "depth_multiplier_1", None)
    return (None,)


def _is_pointwise(graph: Graph, node: Node) -> bool:
    """A 1x1 kernel, stride 1, no padding: a matrix product of pixels by channels."""
    kernel_hw = graph.weight_shape(node)[1:3]
    return (tuple(kernel_hw) == (1, 1) and tuple(node.attrs["stride"]) == (1, 1)
            and not any(node.attrs["padding"]))
