"""The wake-word DS-CNN's data, training and detector tuning (examples/kws/wakeword_kws.py).

A streaming detector sees every few frames (_detector.HOP) a window of the last 49 frames, normalised by its own
largest sample (tinygen.audio.stream), wherever the words fall; a model trained only on
one-second clips with a word placed inside sees few of the windows a stream makes: a keyword
cut by the window's edge, two words in one window, a word over a noise bed that changes.
So the training data here is the corpus's training clips together with the windows of
recordings of tinygen.audio.recording (the generator of the evaluation recordings, never its
test voices; training_recordings): the corpus's training voices (TRAIN_SEEDS), espeak-ng's
other voices (voices="extra", EXTRA_SEEDS: more speakers) and the training voices with the
words closer to the noise (NOISY_SEEDS, NOISY_SNR), each window labelled by what it holds
(window_labels):

    a keyword entirely inside, starting at least LEFT_MARGIN into the window -> the keyword
    a keyword cut by an edge, with at least half of it inside             -> not trained on
    (fire or not, both are fine there: it is the same utterance)
    less of a keyword, or any other word with UNKNOWN_MIN samples inside  -> "unknown"
    nothing spoken (the noise bed)                                         -> "silence"

Training starts from the DS-CNN's seeded initial weights, 96 channels wide (wakeword_kws.py:
wider than the clip-trained 64-channel DS-CNN, whose weights it therefore cannot start from;
two of them, averaged, still run an 80 ms hop on the F746). Every epoch draws its windows
afresh, KEYWORD_SHARE of them holding a whole keyword, and every clip and window goes through
augment: the mel axis warped (WARP, through the coefficients' log-mel envelope) and the time
axis stretched (TEMPO). The test voices are voices training never heard, and a model trained
on the training voices alone answers "unknown" to many of their keywords.

The words a recording speaks come from tinygen.audio.recording.make_recording_words. In the
corpus's cache folder each recording's samples and words are kept under its name alone (what
espeak-ng takes minutes to make), and its frames (stream.recording_frames) and labels under that
name, this labelling's version and the front end's source: an edit to either computes the frames
and labels again (about a second a recording) without synthesizing the words again.

The detector is tuned on the VALIDATION recordings (examples/kws/_detector.py).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

import _kws
from tinygen.audio import corpus
from tinygen.audio import recording as rc
from tinygen.audio import speech as sp
from tinygen.audio import stream as st
from tinygen.ref import mfcc as fe

LABELS_VERSION = 1                    # bump when window_labels changes
MINUTES = 10.0
TRAIN_SEEDS = tuple(range(1000, 1040))           # recordings of the training voices
EXTRA_SEEDS = tuple(range(1100, 1140))           # recordings of the "extra" voices (speech.EXTRA_VARIANTS)
NOISY_SEEDS = tuple(range(1200, 1220))           # recordings of the training voices with the words NOISY_SNR over the bed
NOISY_SNR = (0.0, 20.0)
NOISIER_SEEDS = tuple(range(1300, 1340))         # the training voices with the words NOISIER_SNR over the bed
NOISIER_SNR = (-5.0, 10.0)
NOISY_EXTRA_SEEDS = tuple(range(1400, 1420))     # the extra voices with the words NOISY_SNR over the bed
# the sixth round's recordings (seeds, voices, the words' SNR), for examples/kws/_recipes.py's recipes
MORE = ((tuple(range(1500, 1540)), "extra", NOISIER_SNR), (tuple(range(1600, 1640)), "train", NOISIER_SNR),
        (tuple(range(1700, 1740)), "extra", NOISY_SNR), (tuple(range(1800, 1840)), "train", NOISY_SNR))
# the detector's tuning (and the recipe's choice): voices never trained on and never tested
VALIDATION = tuple(rc.RecordingSpec(seed=s, minutes=MINUTES, voices="heldout") for s in range(3000, 3006))


def training_recordings() -> list[rc.RecordingSpec]:
    return ([rc.RecordingSpec(seed=s, minutes=MINUTES, voices="train") for s in TRAIN_SEEDS]
            + [rc.RecordingSpec(seed=s, minutes=MINUTES, voices="extra") for s in EXTRA_SEEDS]
            + [rc.RecordingSpec(seed=s, minutes=MINUTES, voices="train", snr_db=NOISY_SNR) for s in NOISY_SEEDS]
            + [rc.RecordingSpec(seed=s, minutes=MINUTES, voices="train", snr_db=NOISIER_SNR) for s in NOISIER_SEEDS]
            + [rc.RecordingSpec(seed=s, minutes=MINUTES, voices="extra", snr_db=NOISY_SNR) for s in NOISY_EXTRA_SEEDS])


def more_recordings() -> list[rc.RecordingSpec]:
    """MORE's recordings: not in the shipped recipe; a round's recipe may add them."""
    return [rc.RecordingSpec(seed=s, minutes=MINUTES, voices=voices, snr_db=snr) for seeds, voices, snr in MORE
            for s in seeds]


LEFT_MARGIN = 640                     # samples (40 ms) between the window's start and a keyword's
UNKNOWN_MIN = 800                     # samples (50 ms) of another word that make a window "unknown"
IGNORE = -1
KEYWORD = {w: st.KWS_LABELS.index(w) for w in sp.KEYWORDS}
SILENCE, UNKNOWN = st.KWS_LABELS.index("silence"), st.KWS_LABELS.index("unknown")


def window_labels(spoken: list[st.Truth], num_frames: int) -> np.ndarray:
    """The label of the window ending at each frame (frames f - 48 .. f; IGNORE for the first
    48, which end no window, and for a keyword cut by the window's edge)."""
    ends = np.arange(num_frames)
    s0 = (ends - (fe.NUM_FRAMES - 1)) * fe.FRAME_STEP               # the window's first sample
    s1 = ends * fe.FRAME_STEP + fe.FRAME_LENGTH                     # one past its last
    labels = np.full(num_frames, SILENCE, np.int64)
    cut = np.zeros(num_frames, bool)                                # a keyword half inside or more
    keyword = np.zeros(num_frames, bool)
    for w in spoken:
        a, b = int(round(w.start * fe.SAMPLE_RATE)), int(round(w.end * fe.SAMPLE_RATE))
        lo, hi = np.searchsorted(s1, a, side="right"), np.searchsorted(s0, b, side="left")
        inside = np.minimum(b, s1[lo:hi]) - np.maximum(a, s0[lo:hi])
        if w.label in KEYWORD:
            whole = (a >= s0[lo:hi] + LEFT_MARGIN) & (b <= s1[lo:hi])
            labels[lo:hi][whole] = KEYWORD[w.label]
            keyword[lo:hi] |= whole
            cut[lo:hi] |= ~whole & (2 * inside >= b - a)
            some = ~whole & (2 * inside < b - a) & (inside > 0)
        else:
            some = inside >= min(UNKNOWN_MIN, b - a)
        labels[lo:hi][some & (labels[lo:hi] == SILENCE)] = UNKNOWN
    labels[cut & ~keyword] = IGNORE
    labels[:fe.NUM_FRAMES - 1] = IGNORE
    return labels


@dataclass
class StreamData:
    """One recording's frames (stream.recording_frames), window labels and keywords."""
    mfcc: np.ndarray             # float64 [F, 10]
    peaks: np.ndarray            # int64 [F]
    labels: np.ndarray           # int64 [F]: the window ending at frame f
    samples: np.ndarray | None   # int16: the recording (None: not loaded, for training)
    truth: list[st.Truth]

    def windows(self, ends: np.ndarray) -> np.ndarray:
        """float32 [n, 49, 10]: the windows ending at frames `ends`, as stream mode normalises them."""
        index = np.asarray(ends)[:, None] + np.arange(1 - fe.NUM_FRAMES, 1)[None, :]
        return st.window_values(self.mfcc[index], self.peaks[index]).astype(np.float32)


def _key(spec: rc.RecordingSpec) -> str:
    """The frames' cache name: the recording's (its spec, generator and voices), this labelling's
    version and margins, and the front end's source (the frames' MFCCs)."""
    own = hashlib.sha256(f"{LABELS_VERSION} {LEFT_MARGIN} {UNKNOWN_MIN}".encode() + Path(fe.__file__).read_bytes())
    return f"{spec.name()}-labels{LABELS_VERSION}-{own.hexdigest()[:8]}"


def _truths(words, spans) -> list[st.Truth]:
    return [st.Truth(str(w), float(a), float(b)) for w, (a, b) in zip(words, spans)]


def _spans(truth: list[st.Truth]) -> np.ndarray:
    return np.array([[t.start, t.end] for t in truth]).reshape(-1, 2)


def recording(spec: rc.RecordingSpec, cache: Path = _kws.CACHE) -> tuple[np.ndarray, list[st.Truth], list[st.Truth]]:
    """rc.make_recording_words(spec), synthesized once and cached under the recording's name:
    (int16 samples, its keywords, every word spoken)."""
    path = Path(cache) / f"wake-audio-{spec.name()}.npz"
    if path.exists():
        with np.load(path) as z:
            return z["samples"], _truths(z["words"], z["spans"]), _truths(z["spoken"], z["spoken_spans"])
    samples, truth, spoken = rc.make_recording_words(spec)
    corpus.save_npz(path, samples=samples, words=[t.label for t in truth], spans=_spans(truth),
                    spoken=[t.label for t in spoken], spoken_spans=_spans(spoken))
    return samples, truth, spoken


def stream_data(spec: rc.RecordingSpec, cache: Path = _kws.CACHE, with_samples: bool = False) -> StreamData:
    """A recording's frames and labels (computed once, cached in `cache`); with `with_samples`,
    the recording itself too."""
    path = Path(cache) / f"wake-{_key(spec)}.npz"
    if path.exists():
        with np.load(path) as z:
            data = StreamData(z["mfcc"], z["peaks"], z["labels"], None, _truths(z["words"], z["spans"]))
        if with_samples:
            data.samples = recording(spec, cache)[0]
        return data
    samples, truth, spoken = recording(spec, cache)
    mfcc, peaks = st.recording_frames(samples)
    data = StreamData(mfcc, peaks, window_labels(spoken, len(peaks)), samples if with_samples else None, truth)
    corpus.save_npz(path, mfcc=mfcc, peaks=peaks, labels=data.labels, words=[t.label for t in truth],
                    spans=_spans(truth))
    return data


def validation_data(cache: Path = _kws.CACHE) -> StreamData:
    """The VALIDATION recordings one after another, as one stream (the truth shifted)."""
    parts = [stream_data(spec, cache, with_samples=True) for spec in VALIDATION]
    truth, offset = [], 0.0
    for part in parts:
        truth += [st.Truth(t.label, t.start + offset, t.end + offset) for t in part.truth]
        offset += len(part.samples) / fe.SAMPLE_RATE
    return StreamData(np.concatenate([p.mfcc for p in parts]), np.concatenate([p.peaks for p in parts]),
                      np.concatenate([p.labels for p in parts]), np.concatenate([p.samples for p in parts]), truth)


def training_clips() -> tuple[np.ndarray, np.ndarray]:
    """The corpus's training clips (features [N, 1, 49, 10], labels) less those of a keyword's
    homophone (speech.HOMOPHONES: "know" is "no", sample for sample, yet labelled unknown)."""
    split = corpus.load_split("train", cache_dir=_kws.CACHE, progress=lambda m: print(m, flush=True))
    keep = np.array([w not in sp.HOMOPHONES for w in split.words])
    return split.features()[keep][:, None], split.labels[keep]


KEYWORD_SHARE = 0.5                   # of each epoch's stream windows, drawn from those holding a whole keyword
SEED = 1                              # torch's (batch order, dropout), the window draws' and the augmentation's
WARP = (0.8, 1.2)                     # the mel axis stretched by a factor drawn from this (a longer or shorter vocal tract)
TEMPO = (0.85, 1.15)                  # the time axis stretched about the window's middle (a faster or slower speaker)
WARP_STEPS = 25                       # the warp factors: this many evenly spaced in WARP


def _warp_matrix(alpha: float) -> np.ndarray:
    """[10, 10]: MFCCs -> the MFCCs of their log-mel spectrum (the 10 coefficients' smooth
    envelope, least squares) read at mel bin m * alpha (linear interpolation, held at the top)."""
    dct = fe.dct_matrix()                                       # [40, 10]
    pos = np.minimum(np.arange(fe.NUM_MEL) * alpha, fe.NUM_MEL - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, fe.NUM_MEL - 1)
    interp = np.zeros((fe.NUM_MEL, fe.NUM_MEL))                 # logmel' = logmel @ interp
    interp[lo, np.arange(fe.NUM_MEL)] += 1 - (pos - lo)
    interp[hi, np.arange(fe.NUM_MEL)] += pos - lo
    return np.linalg.pinv(dct) @ interp @ dct


def augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """float32 [n, 1, 49, 10] windows, each with its mel axis warped (WARP) and its time axis
    stretched about its middle (TEMPO), linear interpolation, the edge frames held: voices
    the training set does not have, from those it has (the test voices are new ones)."""
    n = len(x)
    alphas = np.linspace(*WARP, WARP_STEPS)
    which = rng.integers(0, WARP_STEPS, n)
    out = np.empty_like(x)
    for i, alpha in enumerate(alphas):
        sel = which == i
        out[sel] = x[sel] @ _warp_matrix(alpha).astype(np.float32)
    middle = (fe.NUM_FRAMES - 1) / 2
    pos = np.clip(middle + (np.arange(fe.NUM_FRAMES)[None, :] - middle) * rng.uniform(*TEMPO, (n, 1)),
                  0, fe.NUM_FRAMES - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, fe.NUM_FRAMES - 1)
    frac = (pos - lo).astype(np.float32)[:, None, :, None]
    take = lambda idx: np.take_along_axis(out, idx[:, None, :, None], axis=2)
    return take(lo) * (1 - frac) + take(hi) * frac


def draw_windows(recordings: list[StreamData], per_epoch: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    """`per_epoch` labelled windows of the recordings, KEYWORD_SHARE of them holding a whole
    keyword (a recording is mostly other words and noise: drawn evenly, the keywords would be
    an eighth of the windows and the model learns to answer "unknown" where a voice is new):
    (windows float32 [n, 49, 10], labels [n])."""
    rows = [np.flatnonzero(d.labels >= 0) for d in recordings]
    which = np.concatenate([np.full(len(f), r) for r, f in enumerate(rows)])
    frames = np.concatenate(rows)
    labels = np.concatenate([d.labels[f] for d, f in zip(recordings, rows)])
    is_keyword = (labels != SILENCE) & (labels != UNKNOWN)
    n_keyword = int(round(KEYWORD_SHARE * per_epoch))
    pick = np.concatenate([rng.choice(np.flatnonzero(is_keyword), n_keyword, replace=False),
                           rng.choice(np.flatnonzero(~is_keyword), per_epoch - n_keyword, replace=False)])
    pick = pick[np.lexsort((frames[pick], which[pick]))]
    wx = np.concatenate([recordings[r].windows(frames[pick][which[pick] == r]) for r in range(len(recordings))])
    return wx, labels[pick]


def cross_entropy(net: nn.Sequential, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """train()'s loss: the logits before the softmax against the labels."""
    return nn.functional.cross_entropy(net[:-1](x), y)


def train(net: nn.Sequential, clips: tuple[np.ndarray, np.ndarray], recordings: list[StreamData], epochs: int,
          lr: float, per_epoch: int, report=None, *, seed: int = SEED, transform=augment,
          loss=cross_entropy) -> tuple[nn.Sequential, float]:
    """Adam with a one-cycle learning rate, batch 64, `seed` (SEED): every epoch all the training
    clips (training_clips) and `per_epoch` windows drawn afresh from the recordings' labelled
    ones (draw_windows). On a CUDA device where torch has one (the same draws and
    augmentation, batch order and dropout from torch's CUDA generator), else deterministic
    on one CPU thread. `report(epoch, net)` after each epoch. Another recipe (examples/kws/_recipes.py)
    sets the seed, the augmentation (`transform(x, rng)`) and the loss (`loss(net, x, y)`).
    Returns the net on the CPU in eval mode and the seconds."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    cx, cy = clips
    net = net.to(device)
    batches = (len(cy) + per_epoch + 63) // 64
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=epochs * batches, pct_start=0.15)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        wx, wy = draw_windows(recordings, per_epoch, rng)
        x = torch.from_numpy(transform(np.concatenate([cx, wx[:, None]]), rng)).to(device)
        y = torch.from_numpy(np.concatenate([cy, wy])).long().to(device)
        net.train()
        total = torch.zeros((), device=device)
        for idx in torch.randperm(len(y)).to(device).split(64):
            opt.zero_grad()
            batch_loss = loss(net, x[idx], y[idx])
            batch_loss.backward()
            opt.step()
            sched.step()
            total += batch_loss.detach() * len(idx)
        print(f"  epoch {epoch + 1}/{epochs}: loss {float(total) / len(y):.4f} ({time.perf_counter() - t0:.0f} s, "
              f"{device.type})", flush=True)
        if report is not None:
            report(epoch, net.eval())
    return net.cpu().eval(), time.perf_counter() - t0
