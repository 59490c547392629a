"""The wake-word DS-CNN: the MLPerf Tiny KWS shape trained for a stream, with its detector tuned.

Two of dscnn_kws.py's networks (examples/kws/_kws.py) 96 channels wide (the clip-trained DS-CNN
has 64), their probabilities averaged (_kws.Average, MEMBERS), run every 4 frames (80 ms: the
pair takes the F746 what one network takes every 2), int8 by tinygen's post-training
quantization. One network is trained from its seeded initial weights on the
corpus's training clips AND on the
windows a stream makes of recordings spoken by the training voices and espeak-ng's extra
voices, some with the words closer to the noise (examples/kws/_wake.py:
keywords cut by the window's edge, two words in a window, other words and a changing noise
bed between keywords; half of the windows drawn hold a keyword; every clip and window warped
along the mel axis and stretched in time, for voices the training set does not have). The detector's settings
(smoothing, threshold, refractory period: `tinygen listen --smooth --threshold
--refractory-ms`, the device's `tg stream start`) are tuned on validation recordings of
held-out voices (neither trained on nor tested), never on the test voices; they are stored
with the weights (DETECTOR in wakeword_kws.pt) and in RESULTS.md. Both networks are that one
trained further (examples/kws/_recipes.py): the first by REFRESH twice (the windows alone), the
second by FINE_TUNE (SpecAugment's masks, the sixth round's recordings too). The model takes
the features with coefficient 0 times 1/8 (feature_gains(): the front end quantizes each
coefficient on its own step, so the energy's range does not coarsen the others'), each
network's stem split by the gains its output columns read (_kws.GainedStem).

    python examples/kws/wakeword_kws.py     # trains (one CPU thread: hours) and tunes (needs espeak-ng), saves
                                            # wakeword_kws.pt, updates RESULTS.md
    python examples/kws/wakeword_kws.py --tune            # only tunes the stored weights' detector again
    python examples/kws/wakeword_kws.py --fine-tune STATE.pt   # the shipped first network fine-tuned (one CPU
                                            # thread, about 40 min)
    python examples/kws/wakeword_kws.py --refresh IN.pt OUT.pt  # IN's network (a --train-from state)
                                            # refreshed: REFRESH twice, one CPU thread, about 30 min
    # the same training on a machine with a CUDA device (and without espeak-ng or the corpus):
    python examples/kws/wakeword_kws.py --export DATA         # here: the training data, DATA/part-K.npz (< 64 MiB each)
    python examples/kws/wakeword_kws.py --train-from DATA STATE.pt   # there: trains this recipe, saves the weights
    python examples/kws/wakeword_kws.py --round DATA OUT [RECIPE ...]  # there: _recipes.py's recipes at once, scored
    python examples/kws/wakeword_kws.py --score DATA [STATE.pt ...]  # the shipped (or those) weights, scored so
    python examples/kws/wakeword_kws.py --adopt STATE.pt [STATE.pt ...] "an H100"   # here: saves (several:
                                            # their networks averaged), evaluates, tunes

    tinygen listen examples/kws/wakeword_kws.py --board f746zg --emulate --stream REC.wav --truth REC.csv \\
        $(python examples/kws/wakeword_kws.py --listen-options)

The network both come from was trained the second way, on one NVIDIA H200 (CUDA; RESULTS.md's
fourth round): batch order and dropout come from torch's CUDA generator there, so a CPU run of
the same recipe gives other weights of the same recipe. The second network is its `--fine-tune`
on one CPU thread (the eighth round); the first is its REFRESH twice on one CPU thread (the
twelfth round, the script of that round: the frames held as float32, which `--refresh` holds
as the cache's float64, so a rerun gives other weights of the same recipe); the two adopted
together (`--adopt A.pt B.pt WHERE`), and the pair's detector tuned here on the hour of
validation recordings.
"""

import sys
from dataclasses import asdict

import torch

import _detector
import _export
import _kws
import _recipes
import _round
import _wake

PLAN = _kws.Plan()
CHANNELS, EPOCHS, LR, WINDOWS_PER_EPOCH = 96, 30, 1e-3, 150_000
MEMBERS = 2                           # networks averaged (_kws.Average): the second one fine-tuned


model, example_input, calibration_data = _kws.model_file_functions(lambda: _kws.ensemble(PLAN, CHANNELS, MEMBERS),
                                                                   __file__, _kws.WAKE_GAINS)


def feature_gains():
    """What the MFCC front end multiplies each coefficient by before quantizing (_kws.WAKE_GAINS:
    c0 at 1/8, so that the energy's range does not set the other coefficients' int8 step)."""
    return _kws.WAKE_GAINS


if __name__ == "__main__":
    if sys.argv[1:] == ["--listen-options"]:
        print(" ".join(_detector.listen_options(__file__)))
    elif sys.argv[1:] == ["--tune"]:
        _detector.tune_stored("wakeword", __file__, CHANNELS, WINDOWS_PER_EPOCH)
    elif sys.argv[1:2] == ["--export"] and len(sys.argv) == 3:
        for path in _export.export_training(sys.argv[2]):
            print(f"{path} ({path.stat().st_size / 2 ** 20:.1f} MiB)")
    elif sys.argv[1:2] == ["--train-from"] and len(sys.argv) == 4:
        data = _export.import_training(sys.argv[2])
        recordings = [r for r, more in zip(data.recordings, data.more) if not more]
        net, seconds = _wake.train(_kws.dscnn(PLAN, CHANNELS), data.clips, recordings, EPOCHS, LR, WINDOWS_PER_EPOCH)
        torch.save({"state": net.state_dict(), "seconds": seconds}, sys.argv[3])
    elif sys.argv[1:2] == ["--score"] and len(sys.argv) >= 3:
        _round.score_stored(sys.argv[2], sys.argv[3:])
    elif sys.argv[1:2] == ["--round"] and len(sys.argv) >= 4:
        unknown = [n for n in sys.argv[4:] if n not in _recipes.RECIPES]
        if unknown:
            raise SystemExit(f"no recipe {', '.join(unknown)}: the recipes are {', '.join(_recipes.RECIPES)} "
                             f"(_recipes.py)")
        chosen = {n: _recipes.RECIPES[n] for n in sys.argv[4:] or _recipes.RECIPES}
        _round.run_round(sys.argv[2], sys.argv[3], chosen)
    elif sys.argv[1:2] == ["--adopt"] and len(sys.argv) >= 4:
        net, epochs, per_epoch, seconds = _round.adoptable(sys.argv[2:-1], CHANNELS, MEMBERS, _detector.HOP,
                                                           EPOCHS, WINDOWS_PER_EPOCH)
        _detector.adopt("wakeword", PLAN, net, __file__, CHANNELS, epochs, per_epoch, seconds, sys.argv[-1])
    elif sys.argv[1:2] == ["--refresh"] and len(sys.argv) == 4:
        base = torch.load(sys.argv[2], weights_only=True)          # its epochs and seconds lead the new ones'
        net, took = _recipes.refresh(_kws.members(_round.stored_net(sys.argv[2]))[0])
        spent = [str(base.get("recipe", {}).get("epochs", EPOCHS))] + [str(_recipes.REFRESH.epochs)] * 2
        took = [_kws.seconds_text(base["seconds"])] + [f"{s:.0f}" for s in took]
        torch.save({"state": net.state_dict(), "seconds": " + ".join(took),
                    "recipe": {**asdict(_recipes.REFRESH), "epochs": " + ".join(spent)}}, sys.argv[3])
    elif sys.argv[1:2] == ["--fine-tune"] and len(sys.argv) == 3:
        net, seconds = _recipes.fine_tune(_kws.members(_round.stored_net())[0])
        torch.save({"state": net.state_dict(), "seconds": seconds, "recipe": asdict(_recipes.FINE_TUNE)}, sys.argv[2])
    else:
        _recipes.run_ensemble("wakeword", PLAN, __file__, CHANNELS, MEMBERS, EPOCHS, LR, WINDOWS_PER_EPOCH)
