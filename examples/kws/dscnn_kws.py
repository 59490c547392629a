"""The DS-CNN keyword spotter in float, int8 by tinygen's post-training quantization.

The MLPerf Tiny KWS model's shape (examples/kws/_kws.py) trained on the synthesized
corpus; `tinygen build` calibrates on the 64 training clips' features stored with the
weights and quantizes every layer to int8.

    python examples/kws/dscnn_kws.py      # trains (needs espeak-ng), saves dscnn_kws.pt, updates RESULTS.md
    tinygen build examples/kws/dscnn_kws.py --board f746zg
"""

import _kws

PLAN = _kws.Plan()
EPOCHS, LR = 30, 3e-3


model, example_input, calibration_data = _kws.model_file_functions(lambda: _kws.dscnn(PLAN), __file__)


if __name__ == "__main__":
    _kws.run("dscnn", PLAN, __file__, EPOCHS, LR)
