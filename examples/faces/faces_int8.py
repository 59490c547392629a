"""Face / non-face classifier, int8 weights and inputs in every layer (quantization-aware
training with tinygen.nn; examples/faces/_faces.py has the data, the network, training).

    python examples/faces/faces_int8.py       # trains, saves faces_int8.pt and faces_test.npz
    tinygen camera examples/faces/faces_int8.py --board f446re --emulate \\
        --frames examples/faces/faces_test.npz --format gray --size 25x25 --classes non-face,face
"""

import _faces
from tinygen.nn import ActQuant, WeightQuant

INT8 = (WeightQuant("int8"), ActQuant("int8"))
PLAN = _faces.Plan(layers=(INT8, INT8, INT8, INT8))
EPOCHS, LR = 60, 3e-3

model, example_input, calibration_data = _faces.entry_points(PLAN, __file__)

if __name__ == "__main__":
    _faces.run("int8", PLAN, __file__, EPOCHS, LR)
