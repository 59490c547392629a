"""The mobile model zoo (tests/zoo_models.py: MobileNetV2 0.35, MobileNetV3-Small,
ShuffleNetV2 x0.5, SqueezeNet 1.1, MnasNet 0.5 at 96 x 96, random weights, perturbed
batch-norm statistics): each is accepted, its host C equals the numpy reference byte for
byte (outputs and every layer), and its int8 error against the float model is no worse
than PyTorch's own post-training quantization (torch.ao FX, the same calibration data).
torchvision's builders are compiled too where `import torchvision` works."""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
import torch

from e2e import ALL_AGREE, build_host, diff_layers, first_difference
from torch_models import compile_module
from zoo_models import ZOO, randomize
from tinygen.ref.interpreter import dequantize, quantize_input, run

SIZE = 96                   # input pixels (MCU-sized)
CALIB = 16                  # calibration images
EVAL = 24                   # held-out images for the agreement figures
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
def compiled(name: str):
    net = randomize(ZOO[name](), seed=1)
    source, graph = compile_module(net, images(CALIB, 1), name.replace(".", "_"))
    return net, source, graph


def torch_ptq(net: torch.nn.Module, calib: np.ndarray) -> torch.nn.Module:
    """PyTorch's FX post-training quantization: per-channel symmetric int8 weights and
    full-range 8-bit activations from min/max observers (TFLite's spec), on `calib`."""
    from torch.ao.quantization import QConfig, get_default_qconfig_mapping
    from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    torch.backends.quantized.engine = "x86"
    qconfig = QConfig(activation=MinMaxObserver.with_args(dtype=torch.quint8, reduce_range=False),
                      weight=PerChannelMinMaxObserver.with_args(dtype=torch.qint8,
                                                                qscheme=torch.per_channel_symmetric))
    mapping = get_default_qconfig_mapping("x86").set_global(qconfig)
    prepared = prepare_fx(copy.deepcopy(net).eval(), mapping, (torch.from_numpy(calib[:1]),))
    with torch.no_grad():
        prepared(torch.from_numpy(calib))
    return convert_fx(prepared)


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """RMS error over RMS of the float outputs."""
    return float(np.sqrt(np.mean((got - want) ** 2)) / np.sqrt(np.mean(want ** 2)))


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_host_c_equals_reference(name, tmp_path):
    _, source, graph = compiled(name)
    host = build_host(source, graph, tmp_path / "host")
    for k, x in enumerate(images(EXACT, 2)):
        q = quantize_input(graph, source.to_graph_layout(x[None]))
        want = run(graph, q)[graph.outputs[0]]
        got = host.invoke(q)[0]
        assert np.array_equal(got.ravel(), want.ravel()), f"{name} image {k}: {first_difference(want, got)}"
    assert diff_layers(graph, host, q) == ALL_AGREE


def zoo_agreement(name: str) -> dict:
    """int8 vs float of tinygen and of PyTorch PTQ on EVAL held-out images."""
    net, source, graph = compiled(name)
    x = images(EVAL, 3)
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
        ptq = torch_ptq(net, images(CALIB, 1))(torch.from_numpy(x)).numpy()
    out = graph.outputs[0]
    ours = np.stack([dequantize(graph, out, run(graph, quantize_input(graph, source.to_graph_layout(xi[None])))[out])
                     .reshape(want.shape[1:]) for xi in x])
    return {"tinygen_error": relative_error(ours, want), "ptq_error": relative_error(ptq, want),
            "tinygen_top1": float(np.mean(ours.argmax(1) == want.argmax(1))),
            "ptq_top1": float(np.mean(ptq.argmax(1) == want.argmax(1)))}


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_int8_error_matches_pytorch_ptq(name):
    r = zoo_agreement(name)
    print(f"{name}: int8 vs float relative error tinygen {r['tinygen_error']:.4f}, PyTorch PTQ "
          f"{r['ptq_error']:.4f}; top-1 agreement {r['tinygen_top1']:.2f} / {r['ptq_top1']:.2f}")
    assert r["tinygen_error"] <= PTQ_SLACK * r["ptq_error"], r


def test_zoo_torchvision_builders(tmp_path):
    """torchvision's own definitions, where torchvision imports (here its only build for this
    torch is a CUDA build whose compiled ops do not load: then this is skipped)."""
    try:
        import torchvision.models as tvm
    except Exception as e:          # ImportError, or a RuntimeError from its compiled ops
        pytest.skip(f"import torchvision failed ({type(e).__name__}: {str(e).splitlines()[0][:120]}); "
                    "the zoo runs on tests/zoo_models.py's definitions instead")
    builders = {"mobilenet_v2_0.35": lambda: tvm.mobilenet_v2(width_mult=0.35, num_classes=10),
                "mobilenet_v3_small": lambda: tvm.mobilenet_v3_small(num_classes=10),
                "shufflenet_v2_x0_5": lambda: tvm.shufflenet_v2_x0_5(num_classes=10),
                "squeezenet1_1": lambda: tvm.squeezenet1_1(num_classes=10),
                "mnasnet0_5": lambda: tvm.mnasnet0_5(num_classes=10)}
    for name, build in builders.items():
        source, graph = compile_module(randomize(build(), seed=1), images(CALIB, 1), name.replace(".", "_"))
        host = build_host(source, graph, tmp_path / name)
        q = quantize_input(graph, source.to_graph_layout(images(1, 2)))
        assert np.array_equal(host.invoke(q)[0].ravel(), run(graph, q)[graph.outputs[0]].ravel()), name
