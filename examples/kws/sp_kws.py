"""A switchable-precision DS-CNN keyword spotter: one set of shared weights, three switches.

The DS-CNN of examples/kws/_kws.py. The stem is an int8 QConv2d shared by every switch,
the depthwise convolutions are shared nn.Conv2d (int8 by tinygen's post-training
quantization, per switch), the four pointwise convolutions switch precision, the linear
layer is int8 in every switch (its input range private per switch); every switch has its
own batch norms. The pointwise weights are NESTED: the 4- and 2-bit weights are the top
bits of the 8-bit codes, so one copy of the 8-bit codes holds every switch's
(`--storage nested`).

    switch  pointwise weights   pointwise inputs
    w8a8    8-bit               int8
    w4a4    top 4 bits          4-bit ReLU clip (PACT, learned per switch)
    w2a2    top 2 bits          2-bit ReLU clip (PACT, learned per switch)

Training starts from the trained float DS-CNN (dscnn_kws.pt: its weights shared, its batch
norms copied into every switch) and fine-tunes all switches together
(tinygen.nn.train.switch_step: every switch per batch, one optimizer step).

    python examples/kws/sp_kws.py      # trains (needs espeak-ng), saves sp_kws.pt, updates RESULTS.md
    tinygen build examples/kws/sp_kws.py --board f746zg
"""

import torch
from torch import nn

import _kws
from tinygen.nn import (ActQuant, QConv2d, SwitchableBatchNorm2d, SwitchableQConv2d, SwitchableQLinear,
                        WeightQuant, set_switch, switches)
from tinygen.nn.train import switch_step

SWITCHES = {
    "w8a8": (WeightQuant("nested", bits=8), ActQuant("int8")),
    "w4a4": (WeightQuant("nested", bits=4), ActQuant("uniform", 4, clip=4.0, learn_clip=True)),
    "w2a2": (WeightQuant("nested", bits=2), ActQuant("uniform", 2, clip=2.0, learn_clip=True)),
}
EPOCHS, LR = 10, 1e-3          # fine-tuning from the trained float model (dscnn_kws.pt)


def sp_net(sw: dict = SWITCHES, channels: int = _kws.CHANNELS) -> nn.Sequential:
    torch.manual_seed(0)
    int8 = {n: (WeightQuant("int8"), ActQuant("int8")) for n in sw}
    mods = [QConv2d(1, channels, (10, 4), stride=2, padding=(5, 1), bias=False), SwitchableBatchNorm2d(channels, sw),
            nn.ReLU(), nn.Dropout(0.1)]
    for _ in range(4):
        mods += [nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
                 SwitchableBatchNorm2d(channels, sw), nn.ReLU(),
                 SwitchableQConv2d(channels, channels, 1, sw, bias=False), SwitchableBatchNorm2d(channels, sw), nn.ReLU()]
    mods += [nn.AvgPool2d((25, 5)), nn.Flatten(), nn.Dropout(0.2), SwitchableQLinear(channels, _kws.CLASSES, int8),
             nn.Softmax(dim=1)]
    return nn.Sequential(*mods)


model, example_input, calibration_data = _kws.model_file_functions(sp_net, __file__)


def accuracies(net: nn.Module) -> dict[str, float]:
    """Eval-mode test accuracy of every switch."""
    acc = {name: _kws.accuracy(set_switch(net, name)) for name in switches(net)}
    set_switch(net, switches(net)[0])
    return acc


def main() -> None:
    order = list(SWITCHES)
    net, seconds = _kws.train(_kws.init_from_float(sp_net()), EPOCHS, LR,
                              step=lambda n, x, y: switch_step(n[:-1], x, y, order, nn.functional.cross_entropy))
    set_switch(net, order[0])
    path = _kws.save(net, __file__)
    acc = accuracies(net)
    print(f"sp: trained {EPOCHS} epochs in {seconds:.0f} s on one thread, saved {path.name} "
          f"({path.stat().st_size / 1024:.0f} KB)")
    for name, a in acc.items():
        w, x = SWITCHES[name]
        print(f"  {name}: {a:.2%}")
        _kws.update_results(f"sp-{name}", "sp_kws.py", f"{a:.2%}", f"w8a8 / w{w.bits}a{x.bits} / w8a8",
                            EPOCHS, seconds)


if __name__ == "__main__":
    main()
