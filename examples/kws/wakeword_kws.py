"""The wake-word DS-CNN: the MLPerf Tiny KWS shape trained for a stream, with its detector tuned.

dscnn_kws.py's network (examples/kws/_kws.py), int8 by tinygen's post-training quantization,
starting from dscnn_kws.pt's weights and trained on the corpus's training clips AND on the
windows a stream makes of recordings spoken by the training voices and espeak-ng's extra
voices, some with the words closer to the noise (examples/kws/_wake.py:
keywords cut by the window's edge, two words in a window, other words and a changing noise
bed between keywords; half of the windows drawn hold a keyword; every clip and window warped
along the mel axis and stretched in time, for voices the training set does not have). The detector's settings
(smoothing, threshold, refractory period: `tinygen listen --smooth --threshold
--refractory-ms`, the device's `tg stream start`) are tuned on validation recordings of
held-out voices (neither trained on nor tested), never on the test voices; they are stored
with the weights (DETECTOR in wakeword_kws.pt) and in RESULTS.md.

    python examples/kws/wakeword_kws.py     # trains and tunes (needs espeak-ng), saves wakeword_kws.pt, updates RESULTS.md
    python examples/kws/wakeword_kws.py --tune            # only tunes the stored weights' detector again
    tinygen listen examples/kws/wakeword_kws.py --board f746zg --emulate --stream REC.wav --truth REC.csv \\
        $(python examples/kws/wakeword_kws.py --listen-options)
"""

import sys

import _kws
import _wake

PLAN = _kws.Plan()
EPOCHS, LR, WINDOWS_PER_EPOCH = 12, 1e-3, 40_000


model, example_input, calibration_data = _kws.model_file_functions(lambda: _kws.dscnn(PLAN), __file__)


if __name__ == "__main__":
    if sys.argv[1:] == ["--listen-options"]:
        print(" ".join(_wake.listen_options(__file__)))
    elif sys.argv[1:] == ["--tune"]:
        _wake.tune_stored("wakeword", __file__)
    else:
        _wake.run("wakeword", PLAN, __file__, EPOCHS, LR, WINDOWS_PER_EPOCH)
