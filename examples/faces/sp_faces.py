"""A switchable-precision face / non-face classifier: one set of shared weights, four
switches, trained jointly on the LFW crops (examples/faces/_faces.py: data, augmentation,
the camera front end's preprocessing, the network's shape).

The first layer is a plain int8 QConv2d shared by every switch (its input the pixels'
[0, 1] grid); the two middle convolutions switch precision with NESTED weights (the 4-,
2- and 1-bit weights are the top bits of the 8-bit codes); the last layer is int8 in every
switch. Every switch has its own batch norms.

    switch  middle weights     middle inputs
    w8a8    8-bit codes        int8
    w4a4    top 4 bits         4-bit ReLU clip (PACT, learned per switch)
    w2a2    top 2 bits         2-bit ReLU clip (PACT, learned per switch)
    w1a1    sign bit (alpha)   binary, pad +1 (conv -> BN -> sign)

    python examples/faces/sp_faces.py       # trains, saves sp_faces.pt
    tinygen camera examples/faces/sp_faces.py --board f746zg --emulate --switch all \\
        --frames examples/faces/faces_test.npz --format gray --size 25x25 --classes non-face,face
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

import _faces
from tinygen.nn import (ActQuant, PerSwitch, QConv2d, SwitchableBatchNorm2d, SwitchableQConv2d,
                        SwitchableQLinear, WeightQuant, set_switch, switches, train_switchable)

SWITCHES = {
    "w8a8": (WeightQuant("nested", bits=8), ActQuant("int8")),
    "w4a4": (WeightQuant("nested", bits=4), ActQuant("uniform", 4, clip=3.0, learn_clip=True)),
    "w2a2": (WeightQuant("nested", bits=2), ActQuant("uniform", 2, clip=2.0, learn_clip=True)),
    "w1a1": (WeightQuant("nested", bits=1), ActQuant("binary")),
}
EPOCHS, LR = 80, 3e-3


def _relu_or_sign() -> PerSwitch:
    """ReLU, except in binary-input switches (the next layer takes the batch norm's sign)."""
    return PerSwitch({n: nn.Identity() if s[1].kind == "binary" else nn.ReLU() for n, s in SWITCHES.items()})


def sp_net() -> nn.Sequential:
    torch.manual_seed(0)
    ch, strides = _faces.CHANNELS, _faces.STRIDES
    first = QConv2d(ch[0], ch[1], 3, padding=1, bias=False)
    _faces.fix_input_range(first)
    mods: list[nn.Module] = [first]
    for i in range(len(strides)):
        if i > 0:
            mods.append(SwitchableQConv2d(ch[i], ch[i + 1], 3, SWITCHES, stride=strides[i], padding=1, bias=False,
                                          pad_value=1))
        mods += [SwitchableBatchNorm2d(ch[i + 1], SWITCHES), _relu_or_sign()]
    side = _faces.SIZE // int(np.prod(strides))
    int8 = {n: (WeightQuant("int8"), ActQuant("int8")) for n in SWITCHES}
    mods += [nn.Flatten(), SwitchableQLinear(ch[-1] * side * side, len(_faces.CLASSES), int8)]
    return nn.Sequential(*mods)


def model():
    return _faces.load(sp_net(), __file__)


def example_input():
    return _faces.example_input()


def calibration_data():
    return _faces.calibration_data()


def accuracies(net: nn.Module, hard: bool = False) -> dict[str, float]:
    acc = {name: _faces.accuracy(set_switch(net, name), hard) for name in switches(net)}
    set_switch(net, switches(net)[0])
    return acc


def main() -> None:
    torch.set_num_threads(1)
    net = sp_net()
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    (frames, labels), _ = _faces.dataset()
    opt = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    t0 = time.perf_counter()
    train_switchable(net, lambda: _faces.batches(rng, frames, labels), opt, EPOCHS, scheduler=sched)
    path = _faces.save(net, __file__)
    acc, hard = accuracies(model()), accuracies(model(), hard=True)
    print(f"switchable: {EPOCHS} epochs in {time.perf_counter() - t0:.0f} s on one thread, saved {path.name} "
          f"({path.stat().st_size / 1024:.0f} KB); held-out accuracy "
          + ", ".join(f"{n} {a:.2%} (perturbed {hard[n]:.2%})" for n, a in acc.items()))
    _faces.write_frames()


if __name__ == "__main__":
    main()
