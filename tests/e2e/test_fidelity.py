"""Fidelity: the int8 model agrees with the float PyTorch model.

Each example model is first trained briefly on a learnable synthetic task
(class prototypes plus noise, shaped like the model's input), because a model
with random weights often predicts one class for everything and any agreement
figure on it would mean nothing. The trained model goes through the real user
path (torch.export → .pt2 → tinygen), is calibrated on task samples, and is
compared with the float model on held-out samples drawn the same way.
"""

import importlib.util
import sys

import numpy as np
import pytest
import torch

from e2e import EXAMPLE_MODELS, EXAMPLES
from tinygen.compiler import compile_source, load_source
from tinygen.frontend.torch_loader import load as load_model_file
from tinygen.ref.interpreter import quantize_input, run

TRAIN_STEPS = 120
HELD_OUT = 300
MIN_AGREEMENT = 0.98


def synthetic_task(shape, classes: int, n: int, rng: np.random.Generator, protos: np.ndarray):
    labels = rng.integers(0, classes, n)
    x = protos[labels] + rng.normal(0, 1.0, (n,) + tuple(shape))
    return x.astype(np.float32), labels


def train(net: torch.nn.Module, protos, classes: int, shape, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    net.train()
    for _ in range(TRAIN_STEPS):
        x, y = synthetic_task(shape, classes, 32, rng, protos)
        out = net(torch.from_numpy(x))
        probs = torch.allclose(out.sum(1), torch.ones(len(out)), atol=1e-3) and bool((out >= 0).all())
        logp = torch.log(out.clamp_min(1e-7)) if probs else torch.log_softmax(out, 1)
        loss = torch.nn.functional.nll_loss(logp, torch.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


@pytest.mark.parametrize("name", EXAMPLE_MODELS)
def test_int8_agrees_with_float_torch(name, tmp_path):
    loaded = load_model_file(EXAMPLES / f"{name}.py")
    # the exported program cannot be trained: import the file again for its nn.Module
    spec = importlib.util.spec_from_file_location(f"_fid_{name}", EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(EXAMPLES))
    net = mod.model()
    shape = tuple(loaded.example_input.shape[1:])
    with torch.no_grad():
        classes = net.eval()(torch.from_numpy(loaded.example_input)).shape[-1]
    rng = np.random.default_rng(7)
    protos = rng.normal(0, 1.0, (classes,) + shape).astype(np.float32)
    net = train(net, protos, classes, shape, seed=1)

    pt2 = tmp_path / f"{name}.pt2"
    torch.export.save(torch.export.export(net, (torch.from_numpy(loaded.example_input),)), pt2)
    calib, _ = synthetic_task(shape, classes, 128, np.random.default_rng(8), protos)
    np.save(tmp_path / "calib.npy", calib)
    source = load_source(pt2)
    graph = compile_source(source, str(tmp_path / "calib.npy"))

    x, labels = synthetic_task(shape, classes, HELD_OUT, np.random.default_rng(9), protos)
    with torch.no_grad():
        float_top1 = net(torch.from_numpy(x)).argmax(1).numpy()
    xq = quantize_input(graph, source.to_graph_layout(x))
    int8_top1 = np.array([run(graph, xi)[graph.outputs[0]].ravel().argmax() for xi in xq])
    agreement = float(np.mean(float_top1 == int8_top1))
    float_acc = float(np.mean(float_top1 == labels))
    print(f"{name}: float accuracy {float_acc:.3f}, int8 top-1 agreement {agreement:.3f}")
    # the model learned the task, so agreement is measured on meaningful predictions
    assert float_acc > 0.5, f"{name}: training failed (accuracy {float_acc:.2f}); the test would be vacuous"
    assert agreement >= MIN_AGREEMENT, f"{name}: int8 agrees with float on only {agreement:.1%}"
