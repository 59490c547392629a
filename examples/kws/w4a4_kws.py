"""The DS-CNN keyword spotter with 4-bit pointwise convolutions, trained quantization-aware.

tinygen.nn layers: the stem and the linear layer int8 (QConv2d / QLinear), the four 1x1
pointwise convolutions with 4-bit weights (per-channel uniform) reading 4-bit inputs (a
learned ReLU clip, PACT); the depthwise convolutions stay nn.Conv2d, int8 by tinygen's
post-training quantization. The pointwise layers hold 3/4 of the weights, so the model's
weights take about half of the int8 model's flash. Training starts from the trained float
DS-CNN (dscnn_kws.pt) and fine-tunes with the quantizers in place.

    python examples/kws/w4a4_kws.py      # trains (needs espeak-ng), saves w4a4_kws.pt, updates RESULTS.md
    tinygen build examples/kws/w4a4_kws.py --board f746zg
"""

import _kws
from tinygen.nn import ActQuant, WeightQuant

INT8 = (WeightQuant("int8"), ActQuant("int8"))
W4A4 = (WeightQuant("uniform", bits=4), ActQuant("uniform", 4, clip=4.0, learn_clip=True))
PLAN = _kws.Plan(stem=INT8, pointwise=W4A4, fc=INT8)
EPOCHS, LR = 10, 1e-3          # quantization-aware fine-tuning of the trained float model (dscnn_kws.pt)


model, example_input, calibration_data = _kws.model_file_functions(lambda: _kws.dscnn(PLAN), __file__)


if __name__ == "__main__":
    _kws.run("w4a4", PLAN, __file__, EPOCHS, LR, from_float=True)
