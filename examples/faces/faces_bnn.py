"""Face / non-face classifier with binary weights and binary inputs in the middle layers
(XNOR-Net order: conv -> batch norm -> the next layer's sign; +1 padding), int8 first
layer, int8 last layer on binary inputs (examples/faces/_faces.py has the data, training).

    python examples/faces/faces_bnn.py         # trains, saves faces_bnn.pt
    tinygen camera examples/faces/faces_bnn.py --board f446re --emulate \\
        --frames examples/faces/faces_test.npz --format gray --size 25x25 --classes non-face,face
"""

import _faces
from tinygen.nn import ActQuant, WeightQuant

BINARY = (WeightQuant("binary", alpha="channel"), ActQuant("binary"))
PLAN = _faces.Plan(layers=((WeightQuant("int8"), ActQuant("int8")), BINARY, BINARY,
                           (WeightQuant("int8"), ActQuant("binary"))), relu=False, pad_value=1)
EPOCHS, LR = 80, 3e-3

model, example_input, calibration_data = _faces.entry_points(PLAN, __file__)

if __name__ == "__main__":
    _faces.run("bnn", PLAN, __file__, EPOCHS, LR)
