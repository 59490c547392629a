"""Power-of-two weights on the 8x8 digits: 4-bit codes (sign + exponent, zero allowed:
0 or +-2^(e-1), e in [1, 7]) in the middle layers with int8 activations, int8 first
and last layers. Multiplications become shifts.

    python examples/lowbit/pow2_digits.py      # trains, saves pow2_digits.pt, updates RESULTS.md
    tinygen build examples/lowbit/pow2_digits.py --board f746zg
"""

import _digits
from tinygen.nn import ActQuant, WeightQuant

INT8 = (WeightQuant("int8"), ActQuant("int8"))
POW2 = (WeightQuant("pow2", bits=4, zero=True), ActQuant("int8"))
PLAN = _digits.Plan(layers=(INT8, POW2, POW2, INT8))
EPOCHS, LR = 30, 3e-3


def model():
    return _digits.load(_digits.digits_net(PLAN), __file__)


def example_input():
    return _digits.example_input()


def calibration_data():
    return _digits.calibration_data()


if __name__ == "__main__":
    _digits.run("pow2", PLAN, __file__, EPOCHS, LR)
