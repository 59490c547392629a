"""Shared by the keyword-spotting examples: data, the DS-CNN, training, saving, results.

Every model is the MLPerf Tiny KWS DS-CNN's shape on tinygen's MFCC front end
(tinygen.ref.mfcc, [49, 10] per 1 s clip), trained on the synthesized corpus
(tinygen.audio.corpus: espeak-ng voices, noise; the test voices never heard in training):

    conv 10x4 /2 1->C        BN ReLU          49x10 -> 25x5
    4 x [ depthwise 3x3 C    BN ReLU
          pointwise 1x1 C->C BN ReLU ]
    average pool 25x5, linear C->12, softmax

with a (WeightQuant, ActQuant) pair for the stem, the pointwise convolutions and the
linear layer (`act` quantizes the layer's input); None keeps nn.Conv2d / nn.Linear,
quantized by tinygen's int8 PTQ at compile time, as the depthwise convolutions always are
(tinygen.nn's QConv2d has groups = 1). Trained weights are saved next to the model file as
<name>.pt, large tensors as float16, with 64 training clips' features for calibration, so
that the model compiles without the corpus; every accuracy reported is measured on the
stored weights.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tinygen.audio import corpus, speech
from tinygen.audio.stream import KWS_LABELS
from tinygen.errors import ModelError
from tinygen.nn import ActQuant, QConv2d, QLinear, WeightQuant

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
CHANNELS = 64
CLASSES = len(KWS_LABELS)
HALF_AT = 1024             # tensors with more elements are stored as float16
CALIBRATION = 64           # training clips' features stored with the weights
CACHE = Path(os.environ.get("TINYGEN_KWS_CORPUS", corpus.DEFAULT_CACHE))


@dataclass(frozen=True)
class Plan:
    """Quantizers of the stem, the four pointwise convolutions and the linear layer."""
    stem: tuple[WeightQuant, ActQuant] | None = None
    pointwise: tuple[WeightQuant, ActQuant] | None = None
    fc: tuple[WeightQuant, ActQuant] | None = None

    def bits(self) -> str:
        return " / ".join("float" if q is None else f"w{q[0].storage_bits}a{q[1].bits}"
                          for q in (self.stem, self.pointwise, self.fc))


def _conv(cin: int, cout: int, kernel, q, **kw) -> nn.Module:
    if q is None:
        return nn.Conv2d(cin, cout, kernel, bias=False, **kw)
    return QConv2d(cin, cout, kernel, bias=False, weight=q[0], act=q[1], **kw)


def dscnn(plan: Plan = Plan(), channels: int = CHANNELS) -> nn.Sequential:
    """The DS-CNN; the last module is the softmax (training uses the logits before it)."""
    torch.manual_seed(0)
    mods: list[nn.Module] = [_conv(1, channels, (10, 4), plan.stem, stride=2, padding=(5, 1)),
                             nn.BatchNorm2d(channels), nn.ReLU(), nn.Dropout(0.1)]
    for _ in range(4):
        mods += [nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
                 nn.BatchNorm2d(channels), nn.ReLU(),
                 _conv(channels, channels, 1, plan.pointwise), nn.BatchNorm2d(channels), nn.ReLU()]
    mods += [nn.AvgPool2d((25, 5)), nn.Flatten(), nn.Dropout(0.2)]
    mods.append(nn.Linear(channels, CLASSES) if plan.fc is None
                else QLinear(channels, CLASSES, weight=plan.fc[0], act=plan.fc[1]))
    mods.append(nn.Softmax(dim=1))
    return nn.Sequential(*mods)


class Average(nn.Module):
    """Networks on the same input, their outputs (the probabilities) averaged: an ensemble that
    tinygen compiles as one model (the networks one after another on the device, the mean an
    int8 add and multiply)."""

    def __init__(self, nets: list[nn.Module]):
        super().__init__()
        self.nets = nn.ModuleList(nets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.nets[0](x)
        for net in self.nets[1:]:
            out = out + net(x)
        return out * (1 / len(self.nets))


def averaged(nets: list[nn.Module]) -> nn.Module:
    """The one network, or the Average of several."""
    return nets[0] if len(nets) == 1 else Average(nets)


def members(net: nn.Module) -> list[nn.Module]:
    """The networks of an Average, or the one network."""
    return list(net.nets) if isinstance(net, Average) else [net]


def ensemble(plan: Plan = Plan(), channels: int = CHANNELS, members: int = 1) -> nn.Module:
    """The DS-CNN, or the Average of `members` of them."""
    return averaged([dscnn(plan, channels) for _ in range(members)])


def net_for(state: dict[str, torch.Tensor]) -> nn.Module:
    """The (untrained) DS-CNN, or Average of DS-CNNs, that a float model's state dict fits."""
    if "0.weight" in state:
        return dscnn(channels=len(state["0.weight"]))
    indices = sorted({int(k.split(".")[1]) for k in state if k.startswith("nets.")})
    if not indices:
        raise ModelError("these weights are neither a DS-CNN's nor an Average of DS-CNNs'",
                         hint="give a state file that wakeword_kws.py, --train-from or --round wrote")
    return Average([dscnn(channels=len(state[f"nets.{m}.0.weight"])) for m in indices])


# The wake word's feature gains (a model file's feature_gains(), tinygen.ref.mfcc.coefficient_scales):
# the MFCC front end multiplies coefficient k by gain k before the int8 quantization. Coefficient 0
# (the energy) spans -124 to 19 on the calibration clips, the others at most -12 to 15, so on one
# grid c0 would set the step (0.56) and leave c1-c9 a few steps each; at 1/8 the step is 0.12.
WAKE_GAINS = (1 / 8,) + (1.0,) * 9


class GainedStem(nn.Module):
    """The stem convolution, its batch norm (eval mode, folded) and ReLU on features multiplied
    by per-coefficient gains. A convolution slides along the coefficients, so one weight cannot
    take a coefficient's gain: the output columns are grouped where the coefficients they read
    have the same gains tap by tap (with the wake word's gains, the column reading coefficient 0
    and the other four), and each group is its own convolution over the coefficients it reads,
    each weight divided by its coefficient's gain, with its ReLU (which tinygen fuses; ReLU
    commutes with the concatenation). The outputs equal the three layers' on the features
    without gains (up to float rounding)."""

    def __init__(self, conv: nn.Conv2d, bn: nn.BatchNorm2d, gains):
        super().__init__()
        if conv.groups != 1 or conv.dilation != (1, 1):
            raise ValueError("GainedStem takes a plain convolution")
        (kh, kw), (sh, sw), (ph, pw) = conv.kernel_size, conv.stride, conv.padding
        width = len(gains)
        factor = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        weight = conv.weight.detach() * factor[:, None, None, None]
        bias = bn.bias - bn.running_mean * factor + (0 if conv.bias is None else conv.bias * factor)
        self.reads, self.convs = [], nn.ModuleList()      # per group: (first, end, left pad, right pad)
        for first_col, cols, taps in _column_groups(gains, kw, sw, pw):
            t0 = min(next(i for i, g in enumerate(t) if g is not None) for t in cols)
            t1 = kw - min(next(i for i, g in enumerate(reversed(t)) if g is not None) for t in cols)
            lo = first_col * sw - pw + t0                             # the first coefficient read
            hi = (first_col + len(cols) - 1) * sw - pw + t1           # one past the last
            c = nn.Conv2d(conv.in_channels, conv.out_channels, (kh, t1 - t0), stride=(sh, sw), padding=(ph, 0))
            g = torch.tensor([1.0 if taps[i] is None else taps[i] for i in range(t0, t1)], dtype=torch.float32)
            with torch.no_grad():
                c.weight.copy_(weight[:, :, :, t0:t1] / g)
                c.bias.copy_(bias)
            self.convs.append(c)
            self.reads.append((max(lo, 0), min(hi, width), max(-lo, 0), max(hi - width, 0)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = []
        for c, (lo, hi, left, right) in zip(self.convs, self.reads):
            part = x[..., lo:hi]
            outs.append(torch.relu(c(nn.functional.pad(part, (left, right)) if left or right else part)))
        return outs[0] if len(outs) == 1 else torch.cat(outs, dim=3)


def _column_groups(gains, kw: int, sw: int, pw: int) -> list[tuple[int, list[list], list]]:
    """The stem's output columns in runs that can share weights: (first column, each column's
    gains tap by tap (None where it reads padding), the run's gains tap by tap). Columns join
    a run while every tap's gain equals the run's (padding matches any gain)."""
    width = len(gains)
    groups = []
    for j in range((width + 2 * pw - kw) // sw + 1):
        taps = [gains[j * sw - pw + i] if 0 <= j * sw - pw + i < width else None for i in range(kw)]
        if groups and all(a is None or b is None or a == b for a, b in zip(groups[-1][2], taps)):
            first, cols, merged = groups[-1]
            groups[-1] = (first, cols + [taps], [a if a is not None else b for a, b in zip(merged, taps)])
        else:
            groups.append((j, [taps], list(taps)))
    return groups


def gained(net: nn.Module, gains) -> nn.Module:
    """The DS-CNN (or Average of them) in eval mode taking features times `gains`: every
    network's stem, batch norm and ReLU a GainedStem."""
    for member in members(net.eval()):
        if not isinstance(member[2], nn.ReLU):
            raise ValueError("gained() takes the DS-CNN: stem, batch norm, ReLU")
        member[0], member[1], member[2] = GainedStem(member[0], member[1], gains), nn.Identity(), nn.Identity()
    return net


FLOAT_MODEL = HERE / "dscnn_kws.py"


def init_from_float(net: nn.Module) -> nn.Module:
    """Start from the trained float DS-CNN (dscnn_kws.pt): every weight and batch norm it has,
    the batch norms copied into each switch of a switchable model; the quantizers' own state
    (input ranges, clips) starts fresh."""
    state = {k: v.float() for k, v in torch.load(weights_path(FLOAT_MODEL), weights_only=True)["state"].items()}
    own = net.state_dict()
    load = {}
    for key, value in state.items():
        index, _, rest = key.partition(".")
        targets = [key] if key in own else [k for k in own if k.startswith(f"{index}.choices.")
                                            and k.endswith(f".{rest}")]
        if not targets:
            raise ModelError(f"the float model's {key} has no place in {type(net).__name__}",
                             hint="the quantized model must have the float model's layers")
        load.update(dict.fromkeys(targets, value))
    net.load_state_dict(load, strict=False)
    return net


def dataset(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(features float32 [N, 1, 49, 10], labels [N]) of a corpus split."""
    s = corpus.load_split(split, cache_dir=CACHE, progress=lambda m: print(m, flush=True))
    return s.features()[:, None], s.labels


def train(net: nn.Sequential, epochs: int, lr: float, step=None) -> tuple[nn.Sequential, float]:
    """Adam with a cosine learning rate, batch 64, deterministic on one thread; `step(net,
    x, y)` does one batch's forward and backward (default: cross-entropy on the logits).
    Returns the net in eval mode and the seconds it took."""
    torch.set_num_threads(1)
    torch.manual_seed(1)
    x, y = dataset("train")
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    step = step or (lambda n, xb, yb: nn.functional.cross_entropy(n[:-1](xb), yb).backward())
    t0 = time.perf_counter()
    net.train()
    for epoch in range(epochs):
        for idx in torch.randperm(len(xt)).split(64):
            opt.zero_grad()
            step(net, xt[idx], yt[idx])
            opt.step()
        sched.step()
        if (epoch + 1) % 5 == 0 or epoch + 1 == epochs:
            print(f"  epoch {epoch + 1}/{epochs} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return net.eval(), time.perf_counter() - t0


@torch.no_grad()
def predictions(net: nn.Module, x: np.ndarray) -> np.ndarray:
    net.eval()
    return torch.cat([net(b) for b in torch.from_numpy(x).split(256)]).argmax(1).numpy()


def accuracy(net: nn.Module) -> float:
    """Eval-mode accuracy on the test split (QConv2d / QLinear: LOWBIT.md's integer semantics)."""
    x, y = dataset("test")
    return float(np.mean(predictions(net, x) == y))


def weights_path(model_file: str | Path) -> Path:
    return Path(model_file).with_suffix(".pt")


def save(net: nn.Module, model_file: str | Path) -> Path:
    """State dict (large float tensors as float16) and the calibration features; loads the
    rounded weights back into `net`, so that what is evaluated afterwards is what was stored."""
    x, _ = dataset("train")
    pick = np.random.default_rng(0).permutation(len(x))[:CALIBRATION]
    state = {k: v.half() if v.is_floating_point() and v.numel() > HALF_AT else v
             for k, v in net.state_dict().items()}
    path = weights_path(model_file)
    torch.save({"state": state, "calibration": torch.from_numpy(x[pick]).half()}, path)
    load(net, model_file)
    return path


def _stored(model_file: str | Path) -> dict:
    path = weights_path(model_file)
    if not path.exists():
        raise ModelError(f"trained weights {path} are missing",
                         hint=f"train them: python {Path(model_file).name} (in {path.parent}; needs espeak-ng)")
    return torch.load(path, weights_only=True)


def load(net: nn.Module, model_file: str | Path) -> nn.Module:
    state = _stored(model_file)["state"]
    net.load_state_dict({k: v.float() if v.dtype == torch.float16 else v for k, v in state.items()})
    return net.eval()


def calibration_data(model_file: str | Path) -> np.ndarray:
    """The stored training features [64, 1, 49, 10] (float32)."""
    return _stored(model_file)["calibration"].float().numpy()


def example_input(model_file: str | Path) -> torch.Tensor:
    return torch.from_numpy(calibration_data(model_file)[:1])


def model_file_functions(build, model_file: str | Path, gains=None):
    """model(), example_input() and calibration_data() for a model file (what tinygen's
    loader calls), from a function that builds the untrained net; with feature `gains` (the
    file's feature_gains()) the net takes features times the gains (gained) and so does the data."""
    if gains is None:
        return (lambda: load(build(), model_file), lambda: example_input(model_file),
                lambda: calibration_data(model_file))
    scale = np.asarray(gains, np.float32)
    return (lambda: gained(load(build(), model_file), gains),
            lambda: example_input(model_file) * torch.from_numpy(scale), lambda: calibration_data(model_file) * scale)


RESULTS_HEAD = """# Keyword-spotting models: accuracy

The synthesized corpus of tinygen.audio.corpus (seed 0; espeak-ng {espeak}): train
{train} clips, test {test} clips, the 12 classes of the MLPerf Tiny KWS model; the test
split's voices (tinygen.audio.speech.TEST_VARIANTS: {test_voices}, in every accent) never
speak in training. Every model is the DS-CNN of examples/kws/_kws.py on tinygen's MFCC
front end; "eval acc" is the model's eval mode in PyTorch on the test clips' features
(tinygen.nn layers compute LOWBIT.md's integer semantics), "bits" the stem / pointwise /
linear layers' weight and input bits (depthwise convolutions: int8 PTQ at compile time);
w4a4 and sp start from the trained float model (dscnn_kws.pt) and fine-tune with their
quantizers in place (sp: all three switches every batch); wakeword is 96 channels wide, starts
from its seeded initial weights and trains on the training clips and on stream windows of
recordings (examples/kws/_wake.py: half of the windows hold a keyword; every window's mel
axis warped and time axis stretched), its detector tuned on validation recordings of held-out
voices (below). Each row is rewritten by `python examples/kws/<model>.py` (deterministic: one
thread, fixed seeds; the seconds are wall clock on a shared 2-core machine; wakeword's were
trained on a GPU, its section below says how). No validation split for the clip models (dscnn, w4a4, sp):
their epochs and learning rates were set after a few runs scored on the test clips.

| model | file | eval acc | bits | epochs | seconds |
|---|---|---|---|---|---|
"""


def _table_rows() -> tuple[list[str], str]:
    """The accuracy table's rows and what follows the table in RESULTS.md."""
    text = RESULTS.read_text() if RESULTS.exists() else ""
    table = text[text.index("| model |"):] if "| model |" in text else ""
    tail = table[table.index("\n\n"):] if "\n\n" in table else "\n"
    return re.findall(r"^\| (?!model \||---).*$", table.split("\n\n")[0], re.MULTILINE), tail


def results_row(name: str) -> tuple[str, str]:
    """The epochs and the seconds the accuracy table gives this model."""
    for row in _table_rows()[0]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if cells[0] == name:
            return cells[4], cells[5]
    raise SystemExit(f"RESULTS.md's accuracy table has no row {name}")


def seconds_text(seconds: float | str) -> str:
    """Seconds as the accuracy table writes them: whole, or a lineage's text ("455 + 909") as it is."""
    return seconds if isinstance(seconds, str) else f"{seconds:.0f}"


def update_results(name: str, file: str, acc: str, bits: str, epochs: int | str, seconds: float | str) -> None:
    """Rewrite this model's row of the accuracy table; sections after the table are kept.
    (An ensemble's epochs and seconds are its members', joined by " + ".)"""
    rows, tail = _table_rows()
    rows = [r for r in rows if not r.startswith(f"| {name} |")]
    took = seconds_text(seconds)
    rows.append(f"| {name} | {file} | {acc} | {bits} | {epochs} | {took} |")
    head = RESULTS_HEAD.format(espeak=speech.espeak_version().split(":")[-1].strip(), train=len(dataset("train")[1]),
                               test=len(dataset("test")[1]), test_voices=", ".join(speech.TEST_VARIANTS))
    RESULTS.write_text(head + "\n".join(sorted(rows)) + tail)


def run(name: str, plan: Plan, model_file: str, epochs: int, lr: float, from_float: bool = False) -> None:
    """Train (from the trained float model's weights with `from_float`), save, evaluate,
    print and update RESULTS.md."""
    net = dscnn(plan)
    net, seconds = train(init_from_float(net) if from_float else net, epochs, lr)
    path = save(net, model_file)
    acc = accuracy(net)
    print(f"{name}: trained {epochs} epochs in {seconds:.0f} s on one thread, saved {path.name} "
          f"({path.stat().st_size / 1024:.0f} KB); eval accuracy {acc:.2%} on the test clips")
    update_results(name, Path(model_file).name, f"{acc:.2%}", plan.bits(), epochs, seconds)
