"""The mobile model zoo (tests/zoo_models.py: MobileNetV2 0.35, MobileNetV3-Small,
ShuffleNetV2 x0.5, SqueezeNet 1.1, MnasNet 0.5 at 96 x 96, random weights, perturbed
batch-norm statistics): each is accepted, its host C equals the numpy reference byte for
byte (outputs and every layer), and its int8 error against the float model is no worse
than PyTorch's own post-training quantization (torch.ao FX, the same calibration data).
torchvision's builders are compiled too where `import torchvision` works."""

from __future__ import annotations

import numpy as np
import pytest
from e2e import (
    ALL_AGREE,
    assert_device_equals_reference,
    build_host,
    diff_layers,
    first_difference,
)
from standin_lib import needs_qemu
from tflm_single_op import nodes_equal_tflm
from torch_models import compile_module
from zoo_lib import CALIB, EXACT, PTQ_SLACK, compiled, images, zoo_agreement
from zoo_models import ZOO, randomize

from tinygen.board import get_board
from tinygen.compiler import build
from tinygen.ref.interpreter import quantize_input, run


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


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_int8_error_matches_pytorch_ptq(name):
    r = zoo_agreement(name, 16)
    print(f"{name}: int8 vs float relative error tinygen {r['tinygen_error']:.4f}, PyTorch PTQ "
          f"{r['ptq_error']:.4f}; top-1 agreement {r['tinygen_top1']:.2f} / {r['ptq_top1']:.2f}")
    assert r["tinygen_error"] <= PTQ_SLACK * r["ptq_error"], r


@pytest.mark.parametrize("name", ["mobilenet_v3_small", "shufflenet_v2_x0_5"])
def test_zoo_nodes_equal_tflm(name):
    """Every node with a TFLite operator (hard swish, SE multiply, channel shuffle's transpose,
    split, concatenation) equals TFLite Micro's kernel; the hard sigmoids are exact tables, with
    no TFLite operator (tests/ref/test_lookup.py)."""
    _, source, graph = compiled(name)
    feeds = [quantize_input(graph, source.to_graph_layout(x[None])) for x in images(2, 5)]
    checked = nodes_equal_tflm(graph, feeds)
    assert len(checked) >= {"mobilenet_v3_small": 19 + 9, "shufflenet_v2_x0_5": 16 + 26 + 16}[name], checked
    if name == "mobilenet_v3_small":
        assert sum(n.op == "hard_sigmoid" for n in graph.nodes) == 9


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
    for name, builder in builders.items():
        source, graph = compile_module(randomize(builder(), seed=1), images(CALIB, 1), name.replace(".", "_"))
        host = build_host(source, graph, tmp_path / name)
        q = quantize_input(graph, source.to_graph_layout(images(1, 2)))
        assert np.array_equal(host.invoke(q)[0].ravel(), run(graph, q)[graph.outputs[0]].ravel()), name


@pytest.mark.slow
@needs_qemu
def test_zoo_mobilenet_v3_small_cortex_m7_standin(tmp_path):
    """MobileNetV3-Small at 96 x 96 with the Cortex-M7's kernels (DSP) on the F746ZG's
    stand-in (mps2-an500): every layer's output equals the reference. Its weights (1.6 MiB
    with the DSP build's packed ones, 1.5 M parameters) exceed the F746ZG's 1 MB of flash,
    so it is built as the F767ZI (same core and stand-in, 2 MB of flash)."""
    from tinygen.hil.target import open_device

    board = get_board("f767zi")
    _, source, _ = compiled("mobilenet_v3_small")
    graph = compiled("mobilenet_v3_small", "f767zi")[2]
    assert any(n.kernel.endswith("_dsp") for n in graph.nodes if n.kernel)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for k, x in enumerate(images(2, 4)):
            q = quantize_input(graph, source.to_graph_layout(x[None]))
            assert_device_equals_reference(dev, graph, q, f"Cortex-M7 stand-in image {k}")
