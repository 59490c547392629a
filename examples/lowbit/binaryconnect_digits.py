"""BinaryConnect on the 8x8 digits: binary weights (+1 / -1, no alpha; the batch norm
after each layer carries the scale) with int8 activations in the middle layers, int8
first and last layers. Multiplications become additions and subtractions.

    python examples/lowbit/binaryconnect_digits.py   # trains, saves binaryconnect_digits.pt
    tinygen build examples/lowbit/binaryconnect_digits.py --board f746zg
"""

import _digits
from tinygen.nn import ActQuant, WeightQuant

INT8 = (WeightQuant("int8"), ActQuant("int8"))
BINARY = (WeightQuant("binary"), ActQuant("int8"))
PLAN = _digits.Plan(layers=(INT8, BINARY, BINARY, INT8))
EPOCHS, LR = 40, 5e-3


def model():
    return _digits.load(_digits.digits_net(PLAN), __file__)


def example_input():
    return _digits.example_input()


def calibration_data():
    return _digits.calibration_data()


if __name__ == "__main__":
    _digits.run("binaryconnect", PLAN, __file__, EPOCHS, LR)
