"""A binary neural network on the 8x8 digits: binary weights (XNOR-Net's per-channel
alpha) and binary activations in the middle layers, int8 first and last layers.

XNOR-Net's order conv -> batch norm -> sign: each binary layer's input quantizer is
the sign of the batch norm before it (no ReLU); binary convolutions pad with +1.
The last layer has int8 weights and reads the binary activations (+1 / -1).

    python examples/lowbit/bnn_digits.py       # trains, saves bnn_digits.pt, updates RESULTS.md
    tinygen build examples/lowbit/bnn_digits.py --board f746zg
"""

import _digits
from tinygen.nn import ActQuant, WeightQuant

BINARY = (WeightQuant("binary", alpha="channel"), ActQuant("binary"))
PLAN = _digits.Plan(
    layers=((WeightQuant("int8"), ActQuant("int8")), BINARY, BINARY,
            (WeightQuant("int8"), ActQuant("binary"))),
    relu=False, pad_value=1)
EPOCHS, LR = 60, 5e-3


def model():
    return _digits.load(_digits.digits_net(PLAN), __file__)


def example_input():
    return _digits.example_input()


def calibration_data():
    return _digits.calibration_data()


if __name__ == "__main__":
    _digits.run("bnn", PLAN, __file__, EPOCHS, LR)
