"""Translate a `torch.export` program into a tinygen IR graph (float32).

The exported graph is walked node by node; each aten op we support maps to
one or a few IR nodes through the handler table (tinygen/frontend/torch_ops.py). Torch works in
NCHW, the IR in NHWC, so:

* a 4-D torch value [1, C, H, W] lives in the IR as [1, H, W, C], a 3-D one
  [1, C, L] (Conv1d's layout) as [1, 1, L, C], so that 1-D convolutions and pools are
  1 x k 2-D ones; other ranks keep their torch shape (2-D activations are
  [rows, features]); batch-first sequences [B, T, D] and the values of attention blocks
  keep torch's order instead (the two layouts: tinygen/frontend/torch_values.py);
* conv weights OIHW become OHWI; depthwise weights become (1, KH, KW, OC);
* axis arguments (cat, softmax) are remapped NCHW -> NHWC;
* flatten / view / reshape / transpose / permute of a 3-D or 4-D value follow torch's
  element order: an IR `transpose` to NCHW comes first, then `reshape` (and back).
  When H = W = 1 or C = 1 both orders agree and only the `reshape` is emitted; the
  fold_layout pass merges what remains into one transpose or a free reshape.

Nodes whose results nothing reads (e.g. the averaged attention weights of an
nn.MultiheadAttention whose second output is dropped) are not translated.
Values computed only from parameters and constants (e.g. a weight passed
through `alias`) are folded with torch at import time. Every op that is not in
the table (or that its handler refuses) is collected, and one `UnsupportedOpError`
lists them all, each with the module path in the user's model and, where one
exists, the rewrite to use (tinygen/frontend/torch_advice.py).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import torch
import torch.fx

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.torch_advice import advice, refusal
from tinygen.frontend.torch_ops import handler_for, packet_key
from tinygen.frontend.torch_pt2e import import_program, is_pt2e
from tinygen.frontend.torch_layout import LayoutConversions, input_layout, live_nodes
from tinygen.frontend.torch_values import IMAGE, TORCH, _Act, _Const, has_image_form, ir_axis, ir_shape
from tinygen.ir import Graph, Kind, Node, Tensor, validate

SUPPORTED_LAYERS = (
    "Conv2d / Conv1d (groups=1 or depthwise, any kernel/stride/padding/dilation)",
    "Linear", "BatchNorm2d", "BatchNorm1d", "ReLU", "ReLU6", "Hardtanh", "clamp", "Sigmoid",
    "Hardswish", "Hardsigmoid", "SiLU", "MaxPool2d / MaxPool1d (dilation 1)", "AvgPool2d / AvgPool1d",
    "AdaptiveAvgPool2d / AdaptiveAvgPool1d (1) / mean over H,W",
    "tensor + - * / constant, tensor + * tensor (broadcasting)", "torch.cat (any axis but batch)",
    "chunk / split", "flatten / reshape / view / transpose / permute", "F.pad (constant)",
    "F.interpolate / nn.Upsample (nearest by whole factors; bilinear, align_corners=False)",
    "softmax", "Dropout (every form)", "Identity",
    "tinygen.nn QConv2d / QLinear (binary, power-of-two, 4/2-bit, int8)",
    "tinygen.nn GatedConv2d / ExitHead / EarlyExit (run-time channel gating, early exits)",
    # the simpler operators users' models bring (torch_simple.py)
    "Tanh", "PReLU", "GELU (approximate 'none' or 'tanh')", "sum over dims after the batch",
    "select / narrow / unbind / slicing with steps / flip", "F.pad (reflect, replicate, circular)",
    "ConvTranspose2d / ConvTranspose1d (groups=1, any kernel/stride/padding/output_padding/dilation)",
    # normalization and attention (torch_attention.py)
    "LayerNorm / RMSNorm over the last dim, and x * rsqrt(mean(x^2) + eps) * w",
    "Linear on sequences [B, T, D] (any leading dims)",
    "MultiheadAttention (batch_first, no mask or a causal one)",
    "matmul / bmm / baddbmm of two activations, F.scaled_dot_product_attention (causal or not)",
    "softmax over the last dim with a causal mask (is_causal, masked_fill, an added -inf triangle)",
    "tensor - tensor, x ** 2, rsqrt, select, mean over a sequence's features",
    "LSTM / GRU (unidirectional, any layers, batch-first or not; y[:, -1] keeps the last step only)",
)


def from_exported(program: "torch.export.ExportedProgram", name: str = "model", filename: str | None = None) -> Graph:
    """Translate an exported program (batch 1) into a validated float32 IR graph; a program
    PT2E quantized (convert_pt2e) into an int8 one with its own scales (torch_pt2e.py)."""
    if is_pt2e(program):
        return import_program(program, _c_ident(name), filename or name)
    graph = _Importer(program, name).run()
    validate(graph)
    return graph


# ---------------------------------------------------------------------------


class _Importer(LayoutConversions):
    Act, Const = _Act, _Const          # for the handler modules (torch_mobile)
    ir_shape, ir_axis = staticmethod(ir_shape), staticmethod(ir_axis)
    IMAGE, TORCH = IMAGE, TORCH

    def __init__(self, program, name: str):
        self.program = program
        self.graph = Graph(name=_c_ident(name))
        self.env: dict[torch.fx.Node, Any] = {}
        self.fx_node: torch.fx.Node | None = None  # the node being translated
        self.refusals: list[tuple[str, str, UnsupportedOpError]] = []   # (op, where, error)

    # -- driver ---------------------------------------------------------------
    def run(self) -> Graph:
        consts = self._constants()
        user_inputs = list(self.program.graph_signature.user_inputs)
        live = live_nodes(self.program.graph)
        for node in self.program.graph.nodes:
            self.fx_node = node
            if node.op == "call_function" and node not in live:
                self.env[node] = None       # read by nothing, changes nothing: not translated
                continue
            if node.op == "placeholder":
                if node.name in consts:
                    self.env[node] = consts[node.name]
                elif node.name in user_inputs:
                    self.env[node] = self._graph_input(node, user_inputs.index(node.name), len(user_inputs))
                else:
                    raise self._unsupported("an input that is neither a tensor nor a parameter")
            elif node.op == "call_function":
                try:
                    self.env[node] = self._call(node)
                except UnsupportedOpError as e:     # note it, go on: one refusal lists them all
                    self.refusals.append((self._op_name(), self._where(), e))
                    self.env[node] = self._stand_in(node)
            elif node.op == "output":
                if not self.refusals:
                    self._outputs(node)
            else:
                raise self._unsupported(f"fx node kind {node.op!r}")
        if self.refusals:
            raise refusal(self.refusals, SUPPORTED_LAYERS)
        self._prune_dead_nodes()
        return self.graph

    def _stand_in(self, node: torch.fx.Node):
        """A value for an unsupported node's result (its shape from the export), so that the
        rest of the model is still checked."""
        def one(val):
            if not isinstance(val, torch.Tensor):
                return None
            # a size that depends on the input's values (nonzero, a boolean mask) stands in as 1
            tshape = tuple(d if isinstance(d, int) else 1 for d in val.shape)
            name = self.graph.unique_name(f"unsupported_{len(self.refusals)}")
            self.graph.add_tensor(Tensor(name, ir_shape(tshape), "float32", Kind.ACTIVATION))
            return _Act(name, tshape)
        val = node.meta.get("val")
        return [one(v) for v in val] if isinstance(val, (list, tuple)) else one(val)

    def _constants(self) -> dict[str, _Const]:
        sig = self.program.graph_signature
        state = dict(self.program.state_dict)
        state.update(getattr(self.program, "constants", {}) or {})
        for target, value in state.items():
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                if not torch.isfinite(value.detach()).all():
                    bad = int((~torch.isfinite(value.detach())).sum())
                    raise ModelError(f"parameter {target!r} contains {bad} NaN or Inf values",
                                     hint="retrain or repair the model; tinygen cannot quantize "
                                          "non-finite weights")
        out = {}
        for mapping in (sig.inputs_to_parameters, sig.inputs_to_buffers,
                        getattr(sig, "inputs_to_lifted_tensor_constants", {})):
            for placeholder, target in mapping.items():
                if target in state and isinstance(state[target], torch.Tensor):
                    out[placeholder] = _Const(state[target].detach(), target)
        return out

    def _graph_input(self, node: torch.fx.Node, index: int, count: int) -> _Act:
        """Model input `index` of `count`: IR tensor "input" (one input) or "input_<index>"."""
        val = node.meta.get("val")
        if not isinstance(val, torch.Tensor) or not val.is_floating_point():
            raise ModelError("the model input must be a floating-point tensor",
                             hint="feed the model float features; integer inputs (token ids for nn.Embedding) "
                                  "are looked up in your application")
        tshape = tuple(int(d) for d in val.shape)
        if len(tshape) < 2 or tshape[0] != 1:
            raise ModelError(f"the model input has shape {list(tshape)}; tinygen needs a batched "
                             f"input exported with batch 1 (e.g. [1, C, H, W] or [1, features])")
        name = "input" if count == 1 else f"input_{index}"
        layout = input_layout(node) if has_image_form(tshape) else IMAGE
        self.graph.add_tensor(Tensor(name, ir_shape(tshape, layout), "float32", Kind.INPUT))
        self.graph.inputs.append(name)
        if layout == TORCH:
            self.graph.meta.setdefault("torch_layouts", {})[name] = TORCH
        return _Act(name, tshape, layout)

    def _call(self, node: torch.fx.Node):
        if node.target is operator.getitem:
            return self.env[node.args[0]][node.args[1]]
        if _size_arithmetic(node):
            return None     # torch's bookkeeping of a size computed at run time: the op giving it is refused
        if not isinstance(node.target, torch._ops.OpOverload):
            raise self._unsupported("a call that is not an aten operator")
        if packet_key(node.target).startswith(("aten::_assert", "aten::sym_constrain")):
            return None     # checks torch inserts (e.g. on a pruning mask's dtype): no value
        args = self._normalized_args(node)
        inputs = [v for v in _flatten(args.values()) if isinstance(v, (_Act, _Const))]
        if not any(isinstance(v, _Act) for v in inputs):
            return self._fold(node)     # e.g. a pruned layer's weight_orig * weight_mask
        handler = handler_for(node.target)
        if handler is None:
            raise self._unsupported()
        return handler(self, args, node)

    def _normalized_args(self, node: torch.fx.Node) -> dict[str, Any]:
        out = {}
        for i, arg in enumerate(node.target._schema.arguments):
            if i < len(node.args):
                v = node.args[i]
            elif arg.name in node.kwargs:
                v = node.kwargs[arg.name]
            elif arg.has_default_value():
                v = arg.default_value
            else:
                v = None
            out[arg.name] = self._map(v)
        return out

    def _map(self, v):
        if isinstance(v, torch.fx.Node):
            return self.env[v]
        if isinstance(v, (list, tuple)):
            return type(v)(self._map(x) for x in v)
        return v

    def _fold(self, node: torch.fx.Node) -> _Const | list[_Const]:
        """Evaluate a node that depends only on constants (a list of them: chunk, split)."""
        unwrap = lambda v: v.value if isinstance(v, _Const) else v  # noqa: E731
        args = torch.fx.node.map_aggregate(self._map(node.args), unwrap)
        kwargs = torch.fx.node.map_aggregate(self._map(dict(node.kwargs)), unwrap)
        try:
            with torch.no_grad():
                value = node.target(*args, **kwargs)
        except Exception as e:
            raise self._unsupported(f"folding a constant failed: {e}") from None
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, torch.Tensor) for v in value):
            return [_Const(v, f"{node.name}[{k}] (computed from parameters)") for k, v in enumerate(value)]
        if not isinstance(value, torch.Tensor):
            raise self._unsupported("a constant computation that does not yield a tensor")
        return _Const(value, f"{node.name} (computed from parameters)")

    def _outputs(self, node: torch.fx.Node) -> None:
        values = list(_flatten(self._map(node.args[0])))
        names: list[str] = []
        layouts: list[str] = []
        for v in values:
            if not isinstance(v, _Act):
                raise ModelError("a model output does not depend on the input (it is a constant); "
                                 "tinygen compiles outputs computed from the input")
            v = self.act_in(v, v.layout, "output")     # (a pending mask refused)
            name = v.name
            if name in self.graph.inputs or name in names:
                # an output that is the input itself, or a repeat: copy it
                name = self._emit("reshape", "copy", [name], v.ir_shape)
            names.append(name)
            layouts.append(v.layout if has_image_form(v.tshape) else IMAGE)
        for k, (name, layout) in enumerate(zip(names, layouts)):
            new = "output" if len(names) == 1 else f"output_{k}"
            _rename_tensor(self.graph, name, new)
            self.graph.tensors[new].kind = Kind.OUTPUT
            self.graph.outputs.append(new)
            if layout == TORCH:
                self.graph.meta.setdefault("torch_layouts", {})[new] = TORCH

    def _prune_dead_nodes(self) -> None:
        self.graph.drop_dead_nodes()

    # -- building IR ------------------------------------------------------------
    def _emit(self, op: str, prefix: str, inputs: list[str], out_shape: tuple[int, ...],
              attrs: dict | None = None, params: dict[str, np.ndarray] | None = None) -> str:
        g = self.graph
        name = f"{prefix}_{len(g.nodes)}"
        while name in g.tensors or any(n.name == name for n in g.nodes):
            name += "_"
        g.add_tensor(Tensor(name, out_shape, "float32", Kind.ACTIVATION))
        pset = {}
        for role, data in (params or {}).items():
            cname = g.unique_name(f"{name}_{role}")
            g.add_const(cname, np.ascontiguousarray(data, dtype=np.float32))
            pset[role] = cname
        g.nodes.append(Node(name, op, list(inputs), [name], dict(attrs or {}), [pset],
                            source=self._source()))
        return name

    def _source(self) -> str:
        node = self.fx_node
        path, cls, is_layer = _module_of(node)
        if is_layer:
            return f"{path} ({cls})" if path else cls
        op = packet_key(node.target).replace("::", ".") if node.op == "call_function" else node.op
        return f"{op} in {path} ({cls})" if path else op

    # -- errors --------------------------------------------------------------------
    def module_of(self) -> tuple[str, str, bool]:
        """(path, class name, is a torch.nn layer) of the module the node being translated is in."""
        return _module_of(self.fx_node)

    def _where(self) -> str:
        path, cls, _ = _module_of(self.fx_node)
        if path:
            return f"module '{path}' ({cls})"
        return f"the model's forward() ({cls})" if cls else "the model's forward()"

    def _op_name(self) -> str:
        node = self.fx_node
        return str(node.target) if node is not None and node.op == "call_function" else "input"

    def _unsupported(self, reason: str | None = None) -> UnsupportedOpError:
        msg = f"{self._op_name()} at {self._where()} is not supported by tinygen"
        if reason:
            msg += f": {reason}"
        use = advice(self._op_name())
        return UnsupportedOpError(msg, hint=(f"{use}; " if use else "") + "supported layers: "
                                  + ", ".join(SUPPORTED_LAYERS))

    def _const(self, v, what: str) -> np.ndarray | None:
        if v is None:
            return None
        if isinstance(v, _Const):
            data = v.value.detach().cpu().float().numpy()
            if not np.isfinite(data).all():  # parameters were checked; this was computed
                raise ModelError(f"{v.origin} contains NaN or Inf values")
            return data
        raise self._unsupported(f"its {what} must be a parameter of the model, "
                                f"not computed from the input")

    def _out_tshape(self, node: torch.fx.Node) -> tuple[int, ...]:
        val = node.meta.get("val")
        if isinstance(val, (list, tuple)):
            val = val[0]
        if not all(isinstance(d, int) for d in val.shape):
            raise self._unsupported("its result's shape depends on the input's values (after an op such as "
                                    "nonzero or a boolean mask); a compiled model fixes every shape")
        return tuple(int(d) for d in val.shape)

# ---------------------------------------------------------------------------
# helpers

def _flatten(values):
    for v in values:
        if isinstance(v, (list, tuple)):
            yield from _flatten(v)
        else:
            yield v


def _size_arithmetic(node: torch.fx.Node) -> bool:
    """A node computing with a size that depends on the input's values (aten.sym_size, a
    comparison of it): what torch.export adds after a data-dependent op such as nonzero."""
    val = node.meta.get("val")
    if isinstance(val, torch.Tensor):
        return False
    if isinstance(node.target, torch._ops.OpOverload):
        return packet_key(node.target).startswith("aten::sym_")
    return getattr(node.target, "__module__", None) in ("_operator", "operator")


def _module_of(node) -> tuple[str, str, bool]:
    """(path, class name, is a torch.nn layer) of the innermost module around `node`."""
    stack = (node.meta.get("nn_module_stack") or {}) if node is not None else {}
    if not stack:
        return "", "", False
    path, cls = list(stack.values())[-1]
    cls = cls if isinstance(cls, str) else f"{cls.__module__}.{cls.__qualname__}"
    is_layer = cls.startswith("torch.nn.") and not cls.endswith((".Sequential", ".ModuleList"))
    return path, cls.rsplit(".", 1)[-1], is_layer


def _rename_tensor(graph: Graph, old: str, new: str) -> None:
    graph.rename_tensor(old, new)


def _c_ident(name: str) -> str:
    s = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name) or "model"
    return s if not s[0].isdigit() else "m_" + s
