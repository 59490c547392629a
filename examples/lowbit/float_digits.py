"""The float baseline of the low-bit digits models: the same CNN with nn.Conv2d /
nn.Linear and ReLU (compiled by tinygen's int8 post-training quantization).

    python examples/lowbit/float_digits.py     # trains, saves float_digits.pt, updates RESULTS.md
    tinygen build examples/lowbit/float_digits.py --board f746zg
"""

import _digits

EPOCHS, LR = _digits.FLOAT_EPOCHS, _digits.FLOAT_LR


def model():
    return _digits.load(_digits.digits_net(None), __file__)


def example_input():
    return _digits.example_input()


def calibration_data():
    return _digits.calibration_data()


if __name__ == "__main__":
    _digits.run("float", None, __file__, EPOCHS, LR)
