"""The integer reference interpreter: runs a lowered graph with the numpy
twins of the C kernels. Its outputs are the golden values the generated C (on
the host, a stand-in or a board) must equal byte for byte.
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import (BINARY_OPS, LIST_INPUT_OPS, RECURRENT_OPS, ROLE_OPERAND_OPS, STATEFUL_OPS, VARIABLE_OPS, Graph,
                        binary_operands, role_operands)
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.ref import binary as ref_binary, bitserial as ref_bitserial, kernels as ref_kernels, subbyte as ref_subbyte
from tinygen.ref import layout as ref_layout
from tinygen.ref import gating as ref_gating
from tinygen.ref import lookup as ref_lookup, prelu as ref_prelu, slicing as ref_slicing
from tinygen.ref import transpose_conv as ref_transpose_conv
from tinygen.ref import attention as ref_attention
from tinygen.ref import recurrent as ref_recurrent
from tinygen.ref import int16 as ref_int16
from tinygen.ref import float32 as ref_float32
from tinygen.ref import float32_layout as ref_float32_layout
from tinygen.ref import float32_mac as ref_float32_mac
from tinygen.ref import float32_more as ref_float32_more
from tinygen.ref import float32_nonlinear as ref_float32_nonlinear
from tinygen.ref import signal as ref_signal
from tinygen.ref import signal_fft as ref_signal_fft
from tinygen.ref import signal_bank as ref_signal_bank
from tinygen.ref import plain as ref_plain
from tinygen.ref import select as ref_select
from tinygen.ref import signal_stream as ref_signal_stream
from tinygen.ref import mathops as ref_mathops
from tinygen.ref import moves as ref_moves
from tinygen.ref import variable as ref_variable
from tinygen.ref import mathsums as ref_mathsums
from tinygen.ref import mathops_f32 as ref_mathops_f32
from tinygen.ref import detection as ref_detection
from tinygen.ref.recurrent import call_recurrent
from tinygen.ref.variable import call_variable

# the modules holding the numpy twins of the C kernels
_TWINS = (ref_kernels, ref_binary, ref_subbyte, ref_bitserial, ref_layout, ref_gating,
          ref_lookup, ref_prelu, ref_slicing, ref_transpose_conv,
          ref_attention, ref_recurrent, ref_int16, ref_float32, ref_float32_layout,
          ref_float32_mac, ref_float32_more, ref_float32_nonlinear, ref_signal, ref_signal_fft, ref_signal_bank,
          ref_plain, ref_select, ref_signal_stream, ref_mathops, ref_moves, ref_variable, ref_mathsums, ref_mathops_f32,
          ref_detection)


def twin(name: str):
    """The numpy twin named `name` (KernelSpec.ref_name)."""
    for module in _TWINS:
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"no numpy twin {name!r} in {', '.join(m.__name__ for m in _TWINS)}")


def _stored(graph: Graph, name: str) -> tuple[int, ...]:
    """The shape the interpreter holds a tensor's bytes in: its own, or flat packed bytes (b1)."""
    t = graph.tensor(name)
    return (t.nbytes,) if t.dtype == "b1" else t.shape


def _kernel_view(graph: Graph, name: str, value: np.ndarray) -> np.ndarray:
    """An activation as a kernel twin takes it: packed binary tensors as their uint32 words."""
    return value.view("<u4") if graph.tensor(name).dtype == "b1" else value


def quantize_input(graph: Graph, x: np.ndarray, index: int = 0) -> np.ndarray:
    """Float model input (graph layout, any leading batch) → int8 (int16) on the input's grid; a
    quantized ONNX model's as onnxruntime's QuantizeLinear (graph.meta["input_rounding"]); a
    float32 input (a float model run in float32) as it is; a plain integer input (no
    quantization: a signal front end's samples) rounded and saturated to its type."""
    t = graph.tensor(graph.inputs[index])
    if t.dtype == "float32":            # a float model run in float32: the values themselves
        return np.asarray(x, dtype=np.float32)
    q, kind = t.qparams, np.iinfo(t.np_dtype)
    if q is None:                       # plain integers (a signal front end): the values, saturated
        rounded = np.sign(x) * np.floor(np.abs(np.asarray(x, dtype=np.float64)) + 0.5)
        return np.clip(rounded, kind.min, kind.max).astype(t.np_dtype)
    if graph.meta.get("input_rounding") == "half_even":
        # QuantizeLinear: a float32 division, rounded half to even, plus the zero point, saturated
        scaled = np.asarray(x, dtype=np.float32) / np.float32(q.scale[0])
        return np.clip(np.rint(scaled).astype(np.int64) + int(q.zero_point[0]), kind.min, kind.max).astype(t.np_dtype)
    scaled = np.asarray(x, dtype=np.float64) / np.float64(q.scale[0])
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + int(q.zero_point[0])
    return np.clip(rounded, kind.min, kind.max).astype(t.np_dtype)


def quantize_float_input(graph: Graph, x: np.ndarray, index: int = 0) -> np.ndarray:
    """A float32 model input → int8, exactly as TFLite's QUANTIZE (reference AffineQuantize)
    does at a .tflite model's float boundary (graph.meta["float_inputs"]): a float32
    division by the scale, rounded half away from zero, plus the zero point, clamped."""
    t = graph.tensor(graph.inputs[index])
    q, kind = t.qparams, np.iinfo(t.np_dtype)
    scaled = np.asarray(x, dtype=np.float32) / np.float32(q.scale[0])
    # the float32 quotient is exact in float64, where adding 1/2 cannot round
    rounded = np.sign(scaled) * np.floor(np.abs(scaled.astype(np.float64)) + 0.5)
    return np.clip(rounded + int(q.zero_point[0]), kind.min, kind.max).astype(t.np_dtype)


def dequantize(graph: Graph, name: str, q: np.ndarray) -> np.ndarray:
    """int8 → float32: (q - zero_point) * scale, rounded once to float32; equal to TFLite's
    DEQUANTIZE at a float output (graph.meta["float_outputs"])."""
    qp = graph.tensor(name).qparams
    return (q.astype(np.float32) - np.float32(qp.zero_point[0])) * qp.scale[0]


def _state_words(graph: Graph, node, state: dict | None) -> np.ndarray:
    """A stateful node's state (that of the node its attr state_of names, if any) as its owner's
    output words: kept in `state` by the owner's name, made at first as tg_model_reset_state()
    leaves it (zeros, then the kernel's reset twin where it has one: KernelSpec.reset)."""
    owner = graph.node(node.attrs.get("state_of", node.name))
    layer_state = {} if state is None else state.setdefault(owner.name, {})
    if "state" not in layer_state:
        layer_state["state"] = np.zeros(owner.state_bytes, np.uint8)
        reset = KERNELS_BY_NAME[owner.kernel].reset
        if reset is not None and _has_twin(reset[len("tg_"):]):
            twin(reset[len("tg_"):])(owner.attrs["kparams"], layer_state["state"])
    return layer_state["state"].view(f"<u{graph.tensor(owner.outputs[0]).np_dtype.itemsize}")


def _has_twin(name: str) -> bool:
    return any(hasattr(module, name) for module in _TWINS)


def run_node(graph: Graph, node, values: dict[str, np.ndarray], switch: int = 0,
             state: dict | None = None) -> np.ndarray:
    """One node's int8 output. `state`: the stateful layers' state by node name, kept by the
    caller across invocations (None: every stateful layer starts from its initial state)."""
    out = graph.tensor(node.outputs[0])
    if node.kernel is None:           # an alias: same bytes, new shape
        return values[node.inputs[0]].reshape(_stored(graph, out.name))
    spec = KERNELS_BY_NAME[node.kernel]
    fn = twin(spec.ref_name)
    p = node.attrs["kparams"]
    inputs = [_kernel_view(graph, t, values[t]) for t in node.inputs]
    consts = [graph.const(node, role, switch) for role in (spec.const_roles if spec.ref_roles is None else spec.ref_roles)]
    if node.op in RECURRENT_OPS:     # the initial state from inputs or constants; the layer's state
        layer_state = None if state is None else state.setdefault(node.name, {})
        result = call_recurrent(fn, graph, node, values, p, layer_state, switch)
    elif node.op in VARIABLE_OPS:    # a resource variable's bytes, shared by its read and assign
        result = call_variable(fn, graph, node, inputs, state)
    elif node.op in STATEFUL_OPS:    # the kernel's state bytes as its words, updated in place
        result = fn(p, *inputs, *consts, _state_words(graph, node, state))
    elif node.op in LIST_INPUT_OPS:     # the activations as one list
        result = fn(p, inputs)
    elif node.op in ROLE_OPERAND_OPS:   # operands in role order, each an activation or a constant
        result = fn(p, *[values[t] if t in values else graph.tensor(t).data for t in role_operands(node)])
    elif node.op in BINARY_OPS:     # an activation and a constant, or two activations
        result = fn(p, *[values[t] if t in values else graph.tensor(t).data for t in binary_operands(node)])
    else:
        result = fn(p, *inputs, *consts)
    result = np.asarray(result)
    if out.dtype == "b1" and result.dtype == np.uint32:     # packed words: their bytes
        result = np.ascontiguousarray(result, dtype="<u4").view(np.int8)
    if result.dtype != out.np_dtype or result.nbytes != out.nbytes:
        raise AssertionError(f"reference {spec.ref_name} returned {result.dtype}{list(result.shape)} "
                             f"for {node.name}, expected {out.np_dtype} with {out.nbytes} bytes")
    return result.reshape(_stored(graph, out.name))


def run(graph: Graph, x, keep_all: bool = False, switch: int = 0, state: dict | None = None) -> dict[str, np.ndarray]:
    """Run one int8 input (the graph input's shape, or anything with as many elements; a
    list or tuple of them, in graph.inputs' order, for a model with several inputs) and
    return the graph outputs, or every tensor with keep_all. `state`: a dict the caller keeps
    between invocations, holding the stateful layers' state as the device's persistent region
    does ({} after tg_model_reset_state(); None: a fresh state for this invocation only)."""
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    if len(xs) != len(graph.inputs):
        raise ValueError(f"graph {graph.name!r} takes {len(graph.inputs)} inputs, got {len(xs)}")
    values = {name: np.asarray(v, dtype=graph.tensor(name).np_dtype).reshape(graph.tensor(name).shape)
              for name, v in zip(graph.inputs, xs)}
    for node in graph.nodes:
        values[node.outputs[0]] = run_node(graph, node, values, switch, state)
    if keep_all:
        return values
    return {name: values[name] for name in graph.outputs}
