"""The wake word's stream detector: its settings tuned on the validation recordings, stored with
the weights and written into RESULTS.md (examples/kws/wakeword_kws.py `--tune`, `--adopt`,
`--listen-options`).

The detector (smoothing, threshold, refractory period: the device's `tg stream start`
settings) is tuned on _wake.VALIDATION's recordings, spoken by voices neither trained on nor
tested (voices="heldout", speech.HELDOUT_VARIANTS): the compiled int8 model runs on them through
the host reference of stream mode (stream.run_stream, what the device computes), and the
settings with the most keywords detected within VALIDATION_BUDGET false accepts per hour win.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

import _kws
import _wake
from tinygen.audio import curve as cv
from tinygen.audio import stream as st
from tinygen.compiler import compile_source, load_source
from tinygen.ref import mfcc as fe

HOP = 4                               # the network every 4 frames (80 ms: a pair of networks in one's time at 2)
SMOOTHS = (1, 2, 3, 4, 5, 6, 8)       # inferences summed
REFRACTORY_MS = (750, 1000, 1500)
VALIDATION_BUDGET = 30.0              # false accepts per hour on the validation recording: half the target's 60


@dataclass(frozen=True)
class Detector:
    """The stream detector's settings: what `tg stream start` takes, as `tinygen listen` spells them."""
    hop: int
    smooth: int
    threshold: float                  # a mean probability: for_graph turns it into output units
    refractory_ms: int

    def options(self) -> list[str]:
        return ["--hop", str(self.hop), "--smooth", str(self.smooth), "--threshold", f"{self.threshold:g}",
                "--refractory-ms", str(self.refractory_ms)]

    def config(self, graph) -> st.StreamConfig:
        return st.StreamConfig.for_graph(graph, self.hop, self.smooth, self.threshold, self.refractory_ms)


def stream_outputs(graph, data: _wake.StreamData) -> tuple[np.ndarray, np.ndarray]:
    """The int8 model's outputs less their zero point at every inference of the recording
    through the host reference of stream mode (stream.run_stream, as the device): smoothing
    over one inference, the sums are the outputs themselves. (window ends, u [n, classes])."""
    config = st.StreamConfig.for_graph(graph, hop_every=HOP, smooth=1, threshold=1.0)
    result = st.run_stream(data.samples, graph, config)
    return np.array(result.samples, np.int64), np.array(result.sums, np.int64)


def _threshold_between(graph, smooth: int, low: int, high: int) -> float:
    """A threshold (mean probability, the fewest decimals from 3 on) whose output units lie in
    (low, high]: every one of those gives the events of `high`'s curve point; the middle one is
    taken. (With more smoothing an output unit is less than 0.001 of probability.)"""
    scale = float(graph.tensor(graph.outputs[0]).qparams.scale[0])
    for decimals in range(3, 7):
        for units in sorted(range(low + 1, high + 1), key=lambda u: abs(2 * u - low - high - 1)):
            p = round(units * scale / smooth, decimals)
            if 0 < p <= 1 and st.StreamConfig.for_graph(graph, smooth=smooth, threshold=p).threshold_units == units:
                return p
    raise ValueError(f"no threshold of at most 6 decimals gives output units in ({low}, {high}]")


def smoothed(u: np.ndarray, smooth: int) -> np.ndarray:
    """stream.Detector's sums S at every inference: the last `smooth` rows of u (outputs less
    their zero point) summed, fewer at the start. int64 [n, classes]."""
    total = np.concatenate([np.zeros((1, u.shape[1]), np.int64), np.cumsum(u, axis=0, dtype=np.int64)])
    n = np.arange(1, len(u) + 1)
    return total[n] - total[np.maximum(n - smooth, 0)]


def curves(samples: np.ndarray, u: np.ndarray, truth: list[st.Truth], num_samples: int, output_scale: float,
           hop: int = HOP, smooths=SMOOTHS, refractories=REFRACTORY_MS):
    """(smooth, refractory ms, the threshold curve) for every setting."""
    for smooth, refractory in itertools.product(smooths, refractories):
        config = st.StreamConfig(hop_every=hop, smooth=smooth, refractory=refractory * fe.SAMPLE_RATE // 1000)
        yield smooth, refractory, cv.threshold_curve(samples, smoothed(u, smooth), config, truth, num_samples,
                                                     output_scale)


def sweep(samples: np.ndarray, u: np.ndarray, truth: list[st.Truth], num_samples: int, output_scale: float,
          hop: int = HOP, smooths=SMOOTHS, refractories=REFRACTORY_MS, budget: float = VALIDATION_BUDGET
          ) -> tuple[int, int, cv.CurvePoint, list[cv.CurvePoint]] | None:
    """The smoothing and refractory period whose curve has the most hits within `budget` false
    accepts per hour (fewest false accepts, then the least smoothing, then the longest
    refractory period among equals): (smooth, refractory ms, its point, its curve); None if no
    setting stays within the budget."""
    best = None
    for smooth, refractory, points in curves(samples, u, truth, num_samples, output_scale, hop, smooths, refractories):
        point = cv.operating_point(points, budget)
        if point is None:
            continue
        rank = (point.hits, -point.false_accepts, -smooth, refractory)
        if best is None or rank > best[0]:
            best = (rank, smooth, refractory, point, points)
    return None if best is None else best[1:]


def tune(graph, samples: np.ndarray, u: np.ndarray, truth: list[st.Truth], num_samples: int, hop: int = HOP
         ) -> tuple[Detector, cv.CurvePoint, list[cv.CurvePoint]]:
    """The settings with the most hits within VALIDATION_BUDGET (sweep's), its point and its curve."""
    best = sweep(samples, u, truth, num_samples, float(graph.tensor(graph.outputs[0]).qparams.scale[0]), hop)
    if best is None:
        raise ValueError(f"no setting stays within {VALIDATION_BUDGET:g} false accepts per hour")
    smooth, refractory, point, points = best
    below = max((p.threshold_units for p in points if p.threshold_units < point.threshold_units), default=0)
    threshold = _threshold_between(graph, smooth, below, point.threshold_units)
    return Detector(hop, smooth, threshold, refractory), point, points


def stored_detector(model_file) -> Detector:
    stored = _kws._stored(model_file)
    if "detector" not in stored:
        raise SystemExit(f"{_kws.weights_path(model_file).name} holds no tuned detector: train it again "
                         f"(python {Path(model_file).name})")
    return Detector(**stored["detector"])


def listen_options(model_file) -> list[str]:
    """The tuned detector as `tinygen listen` options."""
    return stored_detector(model_file).options()


def _store_detector(model_file, detector: Detector) -> None:
    path = _kws.weights_path(model_file)
    stored = torch.load(path, weights_only=True)
    stored["detector"] = asdict(detector)
    torch.save(stored, path)


WAKE_SECTION = "## Wake word: the detector tuned on the validation recording"


def _recordings_text() -> str:
    """The training recordings, as RESULTS.md describes them."""
    w = _wake
    parts = [f"the recordings of seeds {w.TRAIN_SEEDS[0]}-{w.TRAIN_SEEDS[-1]} (training voices)"]
    if w.EXTRA_SEEDS:
        parts.append(f"{w.EXTRA_SEEDS[0]}-{w.EXTRA_SEEDS[-1]} (the extra voices, speech.EXTRA_VARIANTS)")
    if w.NOISY_SEEDS:
        parts.append(f"{w.NOISY_SEEDS[0]}-{w.NOISY_SEEDS[-1]} (training voices, words {w.NOISY_SNR[0]:g}-"
                     f"{w.NOISY_SNR[1]:g} dB over the noise bed)")
    if w.NOISIER_SEEDS:
        parts.append(f"{w.NOISIER_SEEDS[0]}-{w.NOISIER_SEEDS[-1]} (training voices, words {w.NOISIER_SNR[0]:g} to "
                     f"{w.NOISIER_SNR[1]:g} dB over the bed)")
    if w.NOISY_EXTRA_SEEDS:
        parts.append(f"{w.NOISY_EXTRA_SEEDS[0]}-{w.NOISY_EXTRA_SEEDS[-1]} (extra voices, words {w.NOISY_SNR[0]:g}-"
                     f"{w.NOISY_SNR[1]:g} dB over the bed)")
    return ",\n".join(parts[:-1]) + (" and\n" if len(parts) > 1 else "") + parts[-1] + f", {w.MINUTES:g} minutes each"


def _update_wake_section(detector: Detector, point: cv.CurvePoint, points: list[cv.CurvePoint], minutes: float,
                         seconds: float, channels: int, per_epoch: int, members: int = 1) -> None:
    """Rewrite RESULTS.md's wake-word section (the tuned settings and the validation curve)."""
    budgets = (6, 12, 30, 60, 120)
    averaged = "" if members == 1 else (
        f"\nThe model is {({2: 'two', 3: 'three'}).get(members, members)} networks with their probabilities "
        "averaged (_kws.Average), each\nsuch a network trained further (examples/kws/_recipes.py, one-cycle from "
        "its weights): the first by\nREFRESH twice (the windows alone), the second and later ones by FINE_TUNE "
        "(SpecAugment's masks,\nthe sixth round's recordings too).")
    gains = ("\nThe device's front end gives coefficient 0 a gain of "
             f"{_kws.WAKE_GAINS[0]:g} (the others 1: the model file's feature_gains(),\n_kws.WAKE_GAINS), so that "
             "its range does not set the int8 input's step; each network's stem is split\nby the gains its output "
             "columns read, the weights over the gains (_kws.GainedStem), the same float outputs.")
    cells = []
    for budget in budgets:
        p = cv.operating_point(points, budget)
        cells.append("" if p is None else f"{p.hits} ({p.hit_rate:.1%})")
    section = f"""{WAKE_SECTION}

Training (`python examples/kws/wakeword_kws.py`, seed {_wake.SEED}; the epochs and seconds are the
accuracy table's, and where it ran: on a CUDA device through `--export` / `--train-from` /
`--adopt`, on one CPU thread otherwise): from the DS-CNN's seeded initial weights, {channels}
channels wide, {per_epoch:,} stream windows a draw; every epoch all
the training clips and a fresh draw of stream windows (wakeword_kws.py) of
{_recordings_text()},
{_wake.KEYWORD_SHARE:.0%} of the windows holding a whole keyword; every clip and window with its mel axis warped by a
factor in {_wake.WARP[0]:g}-{_wake.WARP[1]:g} and its time axis stretched by one in {_wake.TEMPO[0]:g}-{_wake.TEMPO[1]:g} (voices the
training set lacks).{averaged}{gains}
The runs before this recipe and how it was chosen: "The wake word's recipes" above.

`python examples/kws/wakeword_kws.py` tunes the stream detector of wakeword_kws.pt on the
validation stream: the recordings of tinygen.audio.recording with `voices="heldout"` (espeak-ng
voices neither the corpus's splits nor the training windows have: speech.HELDOUT_VARIANTS),
seeds {', '.join(str(v.seed) for v in _wake.VALIDATION)}, one after another ({minutes:g} minutes, {point.hits + point.misses} keywords; never the test
voices): the int8 model through the host reference of stream mode, then every smoothing in
{', '.join(map(str, SMOOTHS))} and refractory period in {', '.join(f'{r} ms' for r in REFRACTORY_MS)}, each
with the threshold swept (tinygen.audio.curve); chosen: the most hits within
{VALIDATION_BUDGET:g} false accepts per hour ({seconds:.0f} s).

| hop | smooth | threshold | refractory | validation hits | false accepts | per hour |
|---|---|---|---|---|---|---|
| {detector.hop} frames | {detector.smooth} | {detector.threshold:g} | {detector.refractory_ms} ms | {point.hits} ({point.hit_rate:.1%}) | {point.false_accepts} | {point.false_accepts_per_hour:.0f} |

The validation curve with these settings, the most hits within a budget of false accepts per hour:

| {' | '.join(f'<= {b}/h' for b in budgets)} |
|{'---|' * len(budgets)}
| {' | '.join(cells)} |
"""
    text = _kws.RESULTS.read_text()
    parts = text.split("\n## ")
    kept = [p for p in parts[1:] if not ("## " + p).startswith(WAKE_SECTION)]
    _kws.RESULTS.write_text("\n## ".join([parts[0], *kept]).rstrip("\n") + "\n\n" + section)


def tune_stored(name: str, model_file: str, channels: int, per_epoch: int) -> Detector:
    """Tune the detector of the stored weights on the validation recording, store it with
    them, print it and rewrite RESULTS.md's wake-word section."""
    t0 = time.perf_counter()
    validation = _wake.validation_data()
    graph = compile_source(load_source(model_file))
    samples, u = stream_outputs(graph, validation)
    detector, point, points = tune(graph, samples, u, validation.truth, len(validation.samples))
    _store_detector(model_file, detector)
    print(f"{name}: detector {' '.join(detector.options())}: {point.hits} of {point.hits + point.misses} keywords, "
          f"{point.false_accepts} false accepts ({point.false_accepts_per_hour:.0f} per hour) on the validation "
          f"recording ({time.perf_counter() - t0:.0f} s)", flush=True)
    net = _kws.net_for(_kws._stored(model_file)["state"])
    _update_wake_section(detector, point, points, len(validation.samples) / fe.SAMPLE_RATE / 60,
                         time.perf_counter() - t0, channels, per_epoch, len(_kws.members(net)))
    return detector


def adopt(name: str, plan: _kws.Plan, net: nn.Module, model_file: str, channels: int, epochs: int | str,
          per_epoch: int, seconds: float | str, where: str) -> None:
    """Save trained weights (a DS-CNN or an Average of them) as the model file's, evaluate them
    on the test clips, tune the detector on the validation recording; print and update
    RESULTS.md. An Average's epochs and seconds are its members', joined by " + "."""
    path = _kws.save(net, model_file)
    acc = _kws.accuracy(net)
    took = _kws.seconds_text(seconds)
    print(f"{name}: trained {epochs} epochs in {took} s ({where}), saved {path.name} "
          f"({path.stat().st_size / 1024:.0f} KB); eval accuracy {acc:.2%} on the test clips", flush=True)
    _kws.update_results(name, Path(model_file).name, f"{acc:.2%}", plan.bits(), epochs, seconds)
    tune_stored(name, model_file, channels, per_epoch)
