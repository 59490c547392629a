"""Face / non-face classifier with 4-bit weights and 4-bit inputs in the middle layers
(symmetric 4-bit weights, per-channel scale; PACT ReLU-clip inputs with a learned clip),
int8 first and last layers (examples/faces/_faces.py has the data, the network, training).

    python examples/faces/faces_w4a4.py        # trains, saves faces_w4a4.pt
    tinygen camera examples/faces/faces_w4a4.py --board f446re --emulate \\
        --frames examples/faces/faces_test.npz --format gray --size 25x25 --classes non-face,face
"""

import _faces
from tinygen.nn import ActQuant, WeightQuant

INT8 = (WeightQuant("int8"), ActQuant("int8"))
W4A4 = (WeightQuant("uniform", bits=4), ActQuant("uniform", bits=4, clip=3.0, learn_clip=True))
PLAN = _faces.Plan(layers=(INT8, W4A4, W4A4, INT8))
EPOCHS, LR = 60, 3e-3

model, example_input, calibration_data = _faces.entry_points(PLAN, __file__)

if __name__ == "__main__":
    _faces.run("w4a4", PLAN, __file__, EPOCHS, LR)
