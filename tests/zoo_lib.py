"""The mobile zoo's shared machinery (tests/e2e/test_zoo.py, benchmarks/zoo.py): inputs,
compiled models, PyTorch's own post-training quantization, and the agreement figures."""

from __future__ import annotations

import copy
import functools

import numpy as np
import torch
from torch_models import compile_module
from zoo_models import ZOO, randomize

from tinygen.board import get_board
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import dequantize, quantize_input, run

SIZE = 96                   # input pixels (MCU-sized)
CALIB = 16                  # calibration images
EVAL = 24                   # held-out images for the README's agreement figures (the test uses 16)
EXACT = 3                   # images checked byte for byte (host C vs reference)
# tinygen's int8 error may exceed PyTorch PTQ's by this factor at most (both vs float)
PTQ_SLACK = 1.25


def images(n: int, seed: int) -> np.ndarray:
    """Smooth random images (a blurred noise field plus a colour cast): activations vary
    over the image as they do on photos, unlike white noise."""
    rng = np.random.default_rng(seed)
    coarse = rng.standard_normal((n, 3, SIZE // 8, SIZE // 8)).astype(np.float32)
    x = torch.nn.functional.interpolate(torch.from_numpy(coarse), size=(SIZE, SIZE), mode="bilinear",
                                        align_corners=False).numpy()
    return (x + 0.3 * rng.standard_normal(x.shape)).astype(np.float32)


@functools.lru_cache(maxsize=None)
def compiled(name: str, board: str = "host"):
    """(float net, source, compiled graph) of zoo model `name` with `board`'s kernels."""
    net = randomize(ZOO[name](), seed=1)
    options = CompileOptions(features=get_board(board).isa_features)
    source, graph = compile_module(net, images(CALIB, 1), name.replace(".", "_"), options)
    return net, source, graph


def torch_ptq(net: torch.nn.Module, calib: np.ndarray) -> torch.nn.Module:
    """PyTorch's FX post-training quantization: per-channel symmetric int8 weights and
    full-range 8-bit activations from min/max observers (TFLite's spec), on `calib`, as
    PyTorch's reference quantized model (convert_to_reference_fx: quantize / dequantize around
    float ops, the form PT2E and FX lower from). Not the x86 engine's integer kernels: without
    AVX-512 VNNI their oneDNN u8s8 products saturate on full-range activations (ShuffleNetV2's
    error 0.046 -> 0.260 on QEMU's Haswell), so that column would depend on the CPU."""
    from torch.ao.quantization import QConfig, get_default_qconfig_mapping
    from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver
    from torch.ao.quantization.quantize_fx import convert_to_reference_fx, prepare_fx

    qconfig = QConfig(activation=MinMaxObserver.with_args(dtype=torch.quint8, reduce_range=False),
                      weight=PerChannelMinMaxObserver.with_args(dtype=torch.qint8,
                                                                qscheme=torch.per_channel_symmetric))
    mapping = get_default_qconfig_mapping("x86").set_global(qconfig)
    prepared = prepare_fx(copy.deepcopy(net).eval(), mapping, (torch.from_numpy(calib[:1]),))
    with torch.no_grad():
        prepared(torch.from_numpy(calib))
    return convert_to_reference_fx(prepared)


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """RMS error over RMS of the float outputs."""
    return float(np.sqrt(np.mean((got - want) ** 2)) / np.sqrt(np.mean(want ** 2)))


def zoo_agreement(name: str, n: int = EVAL) -> dict:
    """int8 vs float of tinygen and of PyTorch PTQ on n held-out images."""
    net, source, graph = compiled(name)
    x = images(n, 3)
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
        ptq = torch_ptq(net, images(CALIB, 1))(torch.from_numpy(x)).numpy()
    out = graph.outputs[0]
    ours = np.stack([dequantize(graph, out, run(graph, quantize_input(graph, source.to_graph_layout(xi[None])))[out])
                     .reshape(want.shape[1:]) for xi in x])
    return {"tinygen_error": relative_error(ours, want), "ptq_error": relative_error(ptq, want),
            "tinygen_top1": float(np.mean(ours.argmax(1) == want.argmax(1))),
            "ptq_top1": float(np.mean(ptq.argmax(1) == want.argmax(1)))}
