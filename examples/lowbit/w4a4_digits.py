"""4-bit weights and activations on the 8x8 digits: symmetric 4-bit weights
(W in [-7, 7], per-channel scale) and 4-bit ReLU-clip inputs (PACT: the clip is
learned) in the middle layers, int8 first and last layers. The 4-bit input quantizer
is the ReLU: the middle layers' inputs need no separate ReLU module, but the network
keeps them (harmless, and the int8 last layer needs one).

    python examples/lowbit/w4a4_digits.py      # trains, saves w4a4_digits.pt, updates RESULTS.md
    tinygen build examples/lowbit/w4a4_digits.py --board f746zg
"""

import _digits
from tinygen.nn import ActQuant, WeightQuant

W4A4 = (WeightQuant("uniform", bits=4), ActQuant("uniform", bits=4, clip=3.0, learn_clip=True))
PLAN = _digits.Plan(layers=((WeightQuant("int8"), ActQuant("int8")), W4A4, W4A4,
                            (WeightQuant("int8"), ActQuant("int8"))))
EPOCHS, LR = 30, 3e-3


def model():
    return _digits.load(_digits.digits_net(PLAN), __file__)


def example_input():
    return _digits.example_input()


def calibration_data():
    return _digits.calibration_data()


if __name__ == "__main__":
    _digits.run("w4a4", PLAN, __file__, EPOCHS, LR)
