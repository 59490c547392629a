"""Brevitas models (brevitas.nn QuantConv2d, QuantLinear, QuantReLU, QuantIdentity, ...) as
tinygen.nn's low-bit ops, read through Brevitas' own quantizer state.

`lower(net, xs)` runs the model once on the example input with hooks that record the grid of
every quantized tensor (Brevitas' quant tensors: scale, zero point, bit width, signedness,
narrow range) and returns a plain module in which

- each QuantConv2d / QuantLinear is one `tinygen.qconv2d` / `tinygen.qlinear` op (the contract
  in tinygen/nn's docstring): its integer weights and scales from `quant_weight()` (1-bit
  weights binary, 2- and 4-bit weights sub-byte, up to 8 bits int8; per tensor or per output
  channel), its float bias, and its input grid, the grid of the quant tensor it reads (its own
  input quantizer, a QuantTensor, or the output of the act quantizer it reads, through max
  pooling, flattening and dropout);
- each act quantizer (QuantReLU, QuantIdentity, QuantHardTanh, ...) is its float activation:
  the reader quantizes on the grid, as Brevitas did (its outputs reach a reader on the grid);
- TruncAvgPool2d / TruncAdaptiveAvgPool2d are the float pools (tinygen rounds the average to
  the nearest code of the reader's grid, Brevitas truncates: one code at most); a global
  average pool (these, or nn.AdaptiveAvgPool2d(1)) is a mean, requantized onto its reader's
  grid. Other average pools keep their input's grid (TFLite's), so their output grid must be
  their input's.

Inputs tinygen's kernels take: signed 8-bit (zero point 0), unsigned 8-bit (a zero point of
-128 on the int8 grid), unsigned 4- and 2-bit (uniform grids, zero point 0) and binary
(+1 / -1 of a scale, folded into the weight scales). Weights are symmetric (zero point 0).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from tinygen.errors import ModelError
from tinygen.nn.ops import layer_config
from tinygen.frontend.quant_grid import HINT, Grid, weight_spec
from tinygen.nn.quantizers import ActQuant
from tinygen.quant.lowbit import WeightQuant

# modules that pass a quantized tensor through on its grid (max of codes, views)
_ON_GRID = (nn.MaxPool2d, nn.MaxPool1d, nn.Flatten, nn.Dropout, nn.Identity)


def is_brevitas(net: nn.Module) -> bool:
    """Whether the module holds Brevitas layers."""
    return any(type(m).__module__.startswith("brevitas.") for m in net.modules())


def _grid_of(qt, where: str) -> Grid:
    scale = qt.scale.detach().reshape(-1)
    zp = qt.zero_point.detach().reshape(-1)
    if scale.numel() != 1 or zp.numel() != 1:
        raise ModelError(f"{where}: the input is quantized per channel; tinygen's inputs have one scale",
                         hint="use a per-tensor activation quantizer (e.g. Int8ActPerTensorFloat)")
    return Grid(float(scale[0]), int(round(float(zp[0]))), int(round(float(qt.bit_width))), bool(qt.signed))


def _quant_tensor_class():
    from brevitas.quant_tensor import QuantTensor

    return QuantTensor


class _Recorder:
    """Forward hooks that note the grid of each quantized tensor and each layer's input grid."""

    def __init__(self, net: nn.Module):
        self.QT = _quant_tensor_class()
        self.by_storage: dict[int, tuple[Grid, torch.Tensor]] = {}
        self.inputs: dict[str, Grid] = {}
        self.handles = []
        for name, m in net.named_modules():
            if _is_layer(m):
                self.handles.append(m.register_forward_pre_hook(self._layer_input(name)))
                self.handles.append(m.register_forward_hook(self._layer_output(name)))
            elif hasattr(m, "act_quant"):
                self.handles.append(m.register_forward_hook(self._act_output(name)))
            elif isinstance(m, _ON_GRID):
                self.handles.append(m.register_forward_hook(self._pass_through))

    def _note(self, out, grid: Grid) -> None:
        t = out.value if isinstance(out, self.QT) else out
        if isinstance(t, torch.Tensor):
            self.by_storage[t.untyped_storage().data_ptr()] = (grid, t)     # kept: its storage stays

    def grid(self, x, where: str) -> Grid | None:
        if isinstance(x, self.QT):
            return _grid_of(x, where)
        found = self.by_storage.get(x.untyped_storage().data_ptr()) if isinstance(x, torch.Tensor) else None
        return found[0] if found else None

    def _act_output(self, name: str):
        def hook(m, inp, out):
            if m.act_quant.is_quant_enabled:
                self._note(out, _grid_of(m.act_quant(_plain(inp[0], self.QT)), f"{name} ({type(m).__name__})"))
        return hook

    def _pass_through(self, m, inp, out):
        grid = self.grid(inp[0], type(m).__name__) if inp else None
        if grid is not None:
            self._note(out, grid)

    def _layer_input(self, name: str):
        def hook(m, inp):
            where = f"{name} ({type(m).__name__})"
            x = inp[0]
            if m.input_quant.is_quant_enabled:
                grid = _grid_of(m.input_quant(_plain(x, self.QT)), where)
            else:
                grid = self.grid(x, where)
            if grid is None:
                raise ModelError(f"Brevitas layer {where} reads a float input, which it computes in float",
                                 hint=HINT)
            self.inputs[name] = grid
        return hook

    def _layer_output(self, name: str):
        def hook(m, inp, out):
            if m.output_quant.is_quant_enabled:
                self._note(out, _grid_of(out if isinstance(out, self.QT) else m.output_quant(_plain(out, self.QT)),
                                         name))
        return hook

    def close(self) -> None:
        for h in self.handles:
            h.remove()


def _plain(x, QT):
    return x.value if isinstance(x, QT) else x


def _is_layer(m: nn.Module) -> bool:
    return type(m).__name__ in ("QuantConv2d", "QuantLinear") and hasattr(m, "quant_weight")


class BrevitasLayer(nn.Module):
    """A QuantConv2d / QuantLinear as tinygen's op (its float output, as Brevitas computes it)."""

    def __init__(self, op, w_int: np.ndarray, w_scale: np.ndarray, bias, act_qparams, config: str):
        super().__init__()
        self.op, self.config = op, config
        self.register_buffer("w_int", torch.from_numpy(w_int.astype(np.float32)))
        self.register_buffer("w_scale", torch.from_numpy(w_scale.astype(np.float32)))
        self.register_buffer("bias", None if bias is None else bias.detach().float().clone())
        self.register_buffer("act_qparams", torch.tensor(act_qparams, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x, self.w_int, self.w_scale, self.bias, self.act_qparams, self.config)


def _weights(m: nn.Module, where: str) -> tuple[np.ndarray, np.ndarray, WeightQuant]:
    """(integer weights, per-output-channel scales, tinygen weight quantizer) of a layer."""
    qw = m.quant_weight()
    W = qw.int().detach().cpu().numpy().astype(np.int64)
    if float(qw.zero_point.detach().abs().max()) != 0.0:
        raise ModelError(f"{where}: its weights have a zero point; tinygen's weights are symmetric", hint=HINT)
    bits = int(round(float(qw.bit_width)))
    # per tensor ([]) or per output channel ([O, 1, ...]): one scale per output channel
    scale = torch.broadcast_to(qw.scale.detach().cpu().double(), W.shape).reshape(W.shape[0], -1)[:, 0].numpy()
    try:
        spec = weight_spec(bits)
    except ModelError as e:
        raise ModelError(f"{where}: {e.message}", hint=e.hint) from None
    return W, scale, spec


def _layer(m: nn.Module, name: str, grid: Grid) -> BrevitasLayer:
    where = f"{name} ({type(m).__name__})"
    W, scale, spec = _weights(m, where)
    try:
        kind, s_in, zp = grid.act()
    except ModelError as e:
        raise ModelError(f"{where}: {e.message}", hint=e.hint) from None
    act = ActQuant(kind["kind"], kind["bits"], clip=s_in * (2 ** kind["bits"] - 1) if kind["kind"] == "uniform" else None)
    if act.kind == "binary":        # +-1 codes: the grid's scale joins the weights'
        scale = scale * grid.scale
    ops = torch.ops.tinygen
    if type(m).__name__ == "QuantLinear":
        return BrevitasLayer(ops.qlinear, W, scale, m.bias, [s_in, zp], layer_config(spec, act, fine_bias=True))
    if isinstance(m.padding, str) or m.padding_mode != "zeros":
        raise ModelError(f"{where}: padding {m.padding!r} ({m.padding_mode})",
                         hint="give explicit zero padding, e.g. padding=k // 2")
    # fine_bias: the float bias is added finer than one accumulator unit (passes/quantize_lowbit.py)
    conv = {"stride": m.stride, "padding": m.padding, "dilation": m.dilation, "pad_value": 0, "fine_bias": True}
    if m.groups != 1:
        conv["groups"] = m.groups
    return BrevitasLayer(ops.qconv2d, W, scale, m.bias, [s_in, zp], layer_config(spec, act, **conv))


class GlobalMean(nn.Module):
    """A global average pool as a mean: its output is requantized onto the grid its reader
    takes (Brevitas' grids differ before and after the pool; tinygen's pools keep the grid)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c = x.shape[:2]         # a mean over one axis of [N, C, H * W]: TFLite's MEAN, requantized
        return x.flatten(2).transpose(1, 2).mean(1).reshape(n, c, 1, 1)


def _float_module(m: nn.Module, name: str) -> nn.Module | None:
    """The plain module that stands for a Brevitas module other than a layer (None: keep it)."""
    cls = type(m).__name__
    if hasattr(m, "act_quant"):
        impl = m.act_quant.fused_activation_quant_proxy.activation_impl
        return copy.deepcopy(impl) if impl is not None else nn.Identity()
    if cls == "TruncAvgPool2d":
        return nn.AvgPool2d(m.kernel_size, m.stride, m.padding, m.ceil_mode, m.count_include_pad)
    if cls == "TruncAdaptiveAvgPool2d" or isinstance(m, nn.AdaptiveAvgPool2d):
        if m.output_size in (1, (1, 1)):
            return GlobalMean()
        return nn.AdaptiveAvgPool2d(m.output_size) if cls != "AdaptiveAvgPool2d" else None
    if type(m).__module__.startswith("brevitas.nn"):
        raise ModelError(f"Brevitas module {name} ({cls}) is not supported",
                         hint="use QuantConv2d, QuantLinear, QuantReLU, QuantIdentity, QuantHardTanh, "
                              "TruncAvgPool2d and plain torch modules")
    return None


def lower(net: nn.Module, xs: list[torch.Tensor]) -> nn.Module:
    """The Brevitas model `net` as a plain module of tinygen ops (see the module docstring)."""
    net = copy.deepcopy(net).eval()
    recorder = _Recorder(net)
    try:
        with torch.no_grad():
            net(*xs)
    except ModelError:
        raise
    except Exception as e:
        raise ModelError(f"running the Brevitas model on example_input() failed: {type(e).__name__}: "
                         f"{str(e).strip().splitlines()[0] if str(e).strip() else ''}",
                         hint="check that example_input() has the shape the model expects") from None
    finally:
        recorder.close()
    replaced = {}
    for name, m in net.named_modules():
        if _is_layer(m):
            replaced[name] = _layer(m, name, recorder.inputs[name]) if name in recorder.inputs else None
        elif name and not any(name.startswith(r + ".") for r in replaced):
            new = _float_module(m, name)
            if new is not None:
                replaced[name] = new
    for name, new in replaced.items():
        if new is None:
            raise ModelError(f"Brevitas layer {name} did not run on example_input()", hint=HINT)
        parent, _, attr = name.rpartition(".")
        setattr(net.get_submodule(parent) if parent else net, attr, new)
    return net


__all__ = ["BrevitasLayer", "GlobalMean", "is_brevitas", "lower"]
