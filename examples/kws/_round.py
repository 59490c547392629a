"""Training rounds of the wake word on another machine (a CUDA device without espeak-ng or the
corpus; examples/kws/wakeword_kws.py `--export`, `--train-from`, `--round`, `--score`, `--adopt`).

Here, _export.export_training(FOLDER) writes everything _wake.train reads and the validation
recordings into FOLDER/part-1.npz, part-2.npz, ..., each small enough to travel to a lent
machine with the working tree in one call (_export.part_bytes). There, `import_training(FOLDER)`
reads them back, and `run_round(FOLDER, OUT, RECIPES)` trains several recipes at once, one process
each on the one device, and scores each on the validation voices through the float model's
outputs rounded to the int8 model's grid (a proxy of the device's scores: _wake.tune later
tunes the adopted model's detector on the int8 model itself), beside the shipped weights:

    recipe    hop  within 15/h  within 30/h  within 60/h   (keywords detected, of the validation's)

A recipe (Recipe) names the width, the epochs, the seed, the recordings (the shipped
recipe's, or MORE's as well), SpecAugment's masks (Park et al., 2019), the int8 input's grid
(`grid`: every window rounded to what the device's input holds, input_grid) and mutual learning
(Zhang et al., 2018): `peers` networks trained side by side as one grouped network, each
pulled toward the others' mean prediction beside its labels; the peer that scores best on
the validation windows is kept, and the peers' average is scored too (what the one kept
would gain if it learnt all of it); or (`keep_all`) all the peers are kept, as one
_kws.Average of them, what the device then runs. OUT gets a NAME.pt per recipe (the kept weights, the
recipe, and its scores as JSON under "result"), NAME.log, NAME.json and round.json.

The counts move by a few keywords with the float arithmetic alone (the same weights on the
validation frames in float64 and in float32: up to 5 within 30 per hour): compare a recipe
with the shipped weights' row of the same run, scored on the same device, and take a gain
of a few keywords for noise.

On a lent machine (a session's device time is 15 minutes; a call may run 10, and what it
leaves in $OUT comes back, at most 8 files):

    python examples/kws/wakeword_kws.py --export build/wake-data      # here: synthesis, about 25 min on 2 cores
    # one call per part but the last, each carrying one (an ignored path stays on a warm machine):
    #   carry ["build/wake-data/part-K.npz"], command "ls -l build/wake-data"
    # the last carries the last part and runs the round, leaving time to copy what it made:
    #   timeout 560 python3 examples/kws/wakeword_kws.py --round build/wake-data build/round [RECIPE ...];
    #   cp build/round/*.pt build/round/round.json $OUT/
    python examples/kws/wakeword_kws.py --adopt OUT/NAME.pt "an H100"   # here, the recipe that gained most
    # (a pair kept together, or states averaged: --adopt A.pt B.pt WHERE, with MEMBERS set to match)
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

import _kws
import _wake
from _export import Training, exported_more, import_training
from tinygen.audio import curve as cv
from tinygen.audio import stream as st
from tinygen.compiler import compile_source, load_source
from tinygen.ref import mfcc as fe

SHIPPED = Path(__file__).resolve().parent / "wakeword_kws.py"

# ---------------------------------------------------------------------------------------- recipes

@dataclass(frozen=True)
class Recipe:
    channels: int = 96
    epochs: int = 24
    lr: float = 1e-3
    per_epoch: int = 150_000
    seed: int = 2
    peers: int = 1                    # networks trained side by side (mutual learning); 1: the shipped recipe's loss
    mutual: float = 1.0               # the weight of each peer's pull toward the others' mean (KL divergence)
    keep_all: bool = False            # keep every peer, as an Average (n times the instructions), not the best one
    masks: bool = False               # SpecAugment's masks after the warp and the stretch
    grid: bool = False                # the windows rounded to the int8 model's input grid (input_grid), last
    more: bool = False                # MORE's recordings too
    hops: tuple[int, ...] = (4,)      # the hops scored (4 frames: half the inferences, room for a wider network)


# The next GPU round's recipes, each about 6 minutes on one H100 or H200 with six at once (the
# shipped recipe, 30 epochs, took 455 s as one of four). Scored at a hop of 4 frames (80 ms):
# the shipped weights lose nothing measurable there against 2 frames (`--score`), and half the
# inferences leave the F746 room for about twice the network. `tinygen hil` of the DS-CNN on
# the f746zg stand-in (seeded weights): 5.93 M instructions an inference at 96 channels, 9.75 M
# at 128, 12.0 M at 144; with the front end's 58,136 a frame (kws-stream), 128 channels take 58%
# of a 216 MHz core at a hop of 4 frames and 144 take 71%, where 96 take 69.6% at 2.
RECIPES = {
    "control": Recipe(hops=(2, 4)),                        # the shipped recipe at this round's epochs and seed
    "wide128": Recipe(channels=128),
    "wide144": Recipe(channels=144),
    "mutual4": Recipe(peers=4),
    "pair": Recipe(peers=2, keep_all=True),                # two peers averaged: at a hop of 4, one peer's time at 2
    "masks": Recipe(masks=True),
    "grid": Recipe(masks=True, grid=True),                 # trained on what the int8 model's input can hold
    "more": Recipe(more=True),
}
SCORE_SMOOTHS = {2: (3, 4, 6, 8), 4: (2, 3, 4)}          # the smoothings scored at each hop (about 120-320 ms)
SCORE_REFRACTORY = (1000,)
BUDGETS = (15, 30, 60)                                   # false accepts per hour


def masks(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """SpecAugment on float32 [n, 1, 49, 10] windows: with probability 0.5 two runs of 1 to 6
    frames each set to the window's mean frame; with probability 0.5 one band of 1 to 6 of the
    40 mel bins of the coefficients' log-mel envelope flattened to the frame's mean."""
    x = x.copy()
    n, t = len(x), np.arange(fe.NUM_FRAMES)
    timed = rng.random(n) < 0.5
    mean = x.mean(axis=2, keepdims=True)
    for _ in range(2):
        start, width = rng.integers(0, fe.NUM_FRAMES, n), rng.integers(1, 7, n)
        run = timed[:, None] & (t[None] >= start[:, None]) & (t[None] < (start + width)[:, None])
        x = np.where(run[:, None, :, None], mean, x)
    banded = np.flatnonzero(rng.random(n) < 0.5)
    start, width = rng.integers(0, fe.NUM_MEL, len(banded)), rng.integers(1, 7, len(banded))
    dct = fe.dct_matrix()                                                  # [40, 10]
    for s, w in set(zip(start.tolist(), width.tolist())):
        flat = np.eye(fe.NUM_MEL)
        flat[:, s:s + w] = 1 / fe.NUM_MEL                                   # those bins -> the frame's mean
        sel = banded[(start == s) & (width == w)]
        x[sel] = x[sel] @ (np.linalg.pinv(dct) @ flat @ dct).astype(np.float32)
    return x


class Peers(nn.Module):
    """`n` DS-CNNs `channels` wide as one network of grouped convolutions (the same kernel
    launches as one: they train at one network's speed on a GPU). Peer k is the k-th block of
    channels of every layer; peer_state takes it out as a _kws.dscnn's weights. Logits [B, n, 12]."""

    def __init__(self, n: int, channels: int):
        super().__init__()
        self.n, self.channels = n, channels
        c = n * channels
        mods: list[nn.Module] = [nn.Conv2d(1, c, (10, 4), stride=2, padding=(5, 1), bias=False),
                                 nn.BatchNorm2d(c), nn.ReLU(), nn.Dropout(0.1)]
        for _ in range(4):
            mods += [nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                     nn.Conv2d(c, c, 1, groups=n, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        mods += [nn.AvgPool2d((25, 5)), nn.Identity(), nn.Dropout(0.2), nn.Conv2d(c, n * _kws.CLASSES, 1, groups=n)]
        self.layers = nn.Sequential(*mods)              # indices as _kws.dscnn's, the Flatten an Identity here

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x).reshape(len(x), self.n, _kws.CLASSES)


def peer_state(peers: Peers, k: int) -> dict[str, torch.Tensor]:
    """Peer k's weights as a _kws.dscnn(channels=peers.channels)'s state dict."""
    out = {}
    for key, value in peers.layers.state_dict().items():
        if key.endswith("num_batches_tracked"):
            out[key] = value.clone()
            continue
        rows = len(value) // peers.n
        part = value[k * rows:(k + 1) * rows].clone()
        out[key] = part.reshape(rows, -1) if key == "31.weight" else part          # the Linear's [12, C]
    return out


def mutual_loss(weight: float):
    """Each peer's cross-entropy with the labels plus `weight` times its KL divergence from the
    other peers' mean prediction (held fixed), summed over the peers."""
    def loss(net: Peers, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = net(x)                                                     # [B, n, 12]
        ce = nn.functional.cross_entropy(logits.transpose(1, 2), y[:, None].expand(-1, net.n), reduction="sum")
        if net.n == 1:
            return ce / len(y)
        p = logits.softmax(-1).detach()
        others = (p.sum(1, keepdim=True) - p) / (net.n - 1)
        kl = (others * (others.clamp_min(1e-8).log() - logits.log_softmax(-1))).sum()
        return (ce + weight * kl) / len(y)
    return loss


def input_grid(model_file: Path = SHIPPED) -> tuple[np.ndarray, int]:
    """The int8 input grid tinygen gives the wake word, in the features' units: each
    coefficient's step (the input's scale over the model file's feature gain) and the zero
    point; its calibration's, the training clips stored with the weights, whatever the weights
    (adopted weights are stored with the same clips, so a model trained on this grid keeps it)."""
    return st.input_grid(compile_source(load_source(model_file)))


def on_grid(x: np.ndarray, grid: tuple[np.ndarray, int]) -> np.ndarray:
    """float32 windows [..., 49, 10] as the int8 input holds them: rounded to each coefficient's
    steps and clipped to the grid's 256 values (without feature gains the window's coefficient 0
    spans about 140 of the input's range and the other nine get a few steps each: a network
    trained in float alone meets them first on the device)."""
    scales, zero = grid
    return ((fe.quantize(x, scales, zero).astype(np.float64) - zero) * scales).astype(np.float32)


def _transform(recipe: Recipe):
    """The recipe's augmentation: _wake.augment, then SpecAugment's masks where it asks, then the
    input grid where it asks."""
    masked = (lambda x, rng: masks(_wake.augment(x, rng), rng)) if recipe.masks else _wake.augment
    if not recipe.grid:
        return masked
    grid = input_grid()
    return lambda x, rng: on_grid(masked(x, rng), grid)


# The shipped pair's second network (the eighth round, on one CPU thread, 2,209 s): the first
# one trained further with SpecAugment's masks on MORE's recordings too.
FINE_TUNE = Recipe(epochs=10, lr=5e-4, seed=4, masks=True, more=True)


def fine_tune(net: nn.Sequential, recipe: Recipe | None = None, seed: int | None = None
              ) -> tuple[nn.Sequential, float]:
    """A copy of `net` trained further by `recipe` (FINE_TUNE; one-cycle from its weights; `seed`
    instead of the recipe's) on this machine's data (the corpus cache: the clips, the shipped
    recipe's recordings and, with `recipe.more`, MORE's). (net, seconds), as _wake.train gives them."""
    recipe = recipe or FINE_TUNE
    specs = _wake.training_recordings() + (_wake.more_recordings() if recipe.more else [])
    recordings = [_wake.stream_data(spec) for spec in specs]
    return _wake.train(copy.deepcopy(net), _wake.training_clips(), recordings, recipe.epochs, recipe.lr,
                       recipe.per_epoch, seed=recipe.seed if seed is None else seed, transform=_transform(recipe))


def run_ensemble(name: str, plan: _kws.Plan, model_file: str, channels: int, members: int, epochs: int, lr: float,
                 per_epoch: int) -> None:
    """`python wakeword_kws.py` (one CPU thread): the first network from the DS-CNN's seeded
    initial weights by the shipped recipe, each further one (`members` in all) that one
    fine-tuned (FINE_TUNE, seeds FINE_TUNE.seed, +1, ...), then adopted as their Average."""
    recordings = [_wake.stream_data(spec) for spec in _wake.training_recordings()]
    first, seconds = _wake.train(_kws.dscnn(plan, channels), _wake.training_clips(), recordings, epochs, lr, per_epoch)
    nets, took = [first], [f"{seconds:.0f}"]
    for k in range(1, members):
        net, seconds = fine_tune(first, seed=FINE_TUNE.seed + k - 1)
        nets.append(net)
        took.append(f"{seconds:.0f}")
    _wake.adopt(name, plan, _kws.averaged(nets), model_file,
                channels, " + ".join([str(epochs)] + [str(FINE_TUNE.epochs)] * (members - 1)), per_epoch,
                " + ".join(took), "one CPU thread")


# ---------------------------------------------------------------------------------------- scoring

def float_outputs(predict, data: _wake.StreamData, hop: int) -> tuple[np.ndarray, np.ndarray]:
    """The float model's probabilities at every inference stream mode makes of the recording
    (the window ending at frame 48, then every `hop` frames: stream.StreamRunner), rounded to
    the int8 softmax's grid (1/256, less its zero point: what _wake.stream_outputs gives for
    the int8 model). `predict`: float32 windows [b, 1, 49, 10] -> probabilities [b, 12].
    (window ends in samples, u [n, 12])."""
    ends = np.arange(fe.NUM_FRAMES - 1, len(data.peaks), hop)
    return ends * fe.FRAME_STEP + fe.FRAME_LENGTH, np.clip(np.round(_windows_through(predict, data, ends) * 256),
                                                           0, 255).astype(np.int64)


CHUNK = 128          # windows a forward pass: larger ones make torch's CPU convolutions map and unmap memory (5x slower)


def _windows_through(predict, data: _wake.StreamData, ends: np.ndarray) -> np.ndarray:
    """predict's probabilities [n, 12] for the windows ending at frames `ends`, CHUNK at a time."""
    return np.concatenate([predict(data.windows(chunk)[:, None])
                           for chunk in np.array_split(ends, max(1, -(-len(ends) // CHUNK)))])


def validation_scores(predict, validation: list[tuple[_wake.StreamData, int]], hops) -> dict:
    """Per hop and budget of false accepts per hour: the most keywords detected (the best of
    SCORE_SMOOTHS x SCORE_REFRACTORY, threshold swept) on the validation recordings one after
    another, and the setting."""
    scores = {}
    for hop in hops:
        samples, u, truth, offset = [], [], [], 0
        for data, length in validation:
            at, out = float_outputs(predict, data, hop)
            samples.append(at + offset)
            u.append(out)
            truth += [st.Truth(t.label, t.start + offset / fe.SAMPLE_RATE, t.end + offset / fe.SAMPLE_RATE)
                      for t in data.truth]
            offset += length
        settings = list(_wake.curves(np.concatenate(samples), np.concatenate(u), truth, offset, 1 / 256, hop,
                                     SCORE_SMOOTHS[hop], SCORE_REFRACTORY))
        scores[str(hop)] = {"keywords": len(truth)}
        for budget in BUDGETS:
            best = max(((p.hits, -p.false_accepts, smooth, refractory) for smooth, refractory, points in settings
                        if (p := cv.operating_point(points, budget)) is not None), default=(0, 0, None, None))
            scores[str(hop)][str(budget)] = {"hits": best[0], "false_accepts": -best[1], "smooth": best[2],
                                             "refractory_ms": best[3]}
    return scores


def _predictor(net: nn.Module, device: torch.device, peer: int | None = None):
    """Windows -> probabilities: one network, one peer of a Peers, or (peer None) the peers' mean."""
    def predict(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = net(torch.from_numpy(x).to(device))
            if isinstance(net, Peers):
                p = out.softmax(-1)
                out = p.mean(1) if peer is None else p[:, peer]
            return out.float().cpu().numpy()
    return predict


def _window_accuracy(predict, validation) -> float:
    """Accuracy on the validation recordings' labelled windows (every 10th): picks a peer."""
    right = total = 0
    for data, _ in validation:
        ends = np.flatnonzero(data.labels >= 0)[::10]
        right += int((_windows_through(predict, data, ends).argmax(1) == data.labels[ends]).sum())
        total += len(ends)
    return right / max(total, 1)


def stored_net(path: Path | str | None = None) -> nn.Module:
    """The network of a state file (torch.save of {"state": ...}: the shipped wakeword_kws.pt by
    default or for "shipped", or --train-from's and the round's), as wide as its weights: a
    DS-CNN or an Average of them. "A.pt+B.pt" averages the networks of several."""
    if path is not None and "+" in str(path):
        return _kws.Average([m for part in str(path).split("+") for m in _kws.members(stored_net(part))])
    path = SHIPPED if path in (None, "shipped") else Path(path)   # _kws reads <path>.pt: the state file itself
    return _kws.load(_kws.net_for(_kws._stored(path)["state"]), path)


def state_name(path: Path | str | None) -> str:
    """What the tables call a state file (or several, joined by +)."""
    return "+".join("shipped" if p in (None, "shipped") else Path(p).stem for p in str(path).split("+")) \
        if path is not None else "shipped"


def adoptable(states: list[str], channels: int, members: int, hop: int, epochs: int, per_epoch: int
              ) -> tuple[nn.Module, str, int, str]:
    """What `wakeword_kws.py --adopt STATE.pt [STATE.pt ...] WHERE` saves: the one DS-CNN, or
    the Average of the states' networks ("shipped": the shipped weights, its epochs and
    seconds as the accuracy table has them), with the epochs, the windows a draw and the
    seconds for that table (several members': joined by " + "; `epochs` and `per_epoch` where
    a state names no recipe). Refuses, in one line and before anything is written, a state
    that is missing, another width, another number of networks or scored at another hop."""
    nets, spent, took = [], [], []
    for state in states:
        path = SHIPPED.with_suffix(".pt") if state == "shipped" else Path(state)
        if not path.is_file():
            raise SystemExit(f"{state}: no such state file")
        trained = torch.load(path, weights_only=True)
        recipe = trained.get("recipe", {})
        if hop not in recipe.get("hops", [hop]):
            raise SystemExit(f"{state} was scored at a hop of {' or '.join(map(str, recipe['hops']))} frames: set HOP "
                             f"in _wake.py to it first (it is {hop})")
        net = stored_net(state)
        for member in _kws.members(net):
            if len(member[0].weight) != channels:
                raise SystemExit(f"{state} is {len(member[0].weight)} channels wide: set CHANNELS = "
                                 f"{len(member[0].weight)} in wakeword_kws.py first")
            nets.append(member)
        if state == "shipped":
            row = _kws.results_row("wakeword")
            spent.append(row[0])
            took.append(row[1])
        else:
            spent.append(str(recipe.get("epochs", epochs)))
            took.append(f"{trained['seconds']:.0f}")
            per_epoch = recipe.get("per_epoch", per_epoch) if state == states[0] else per_epoch
    if len(nets) != members:
        hold = "holds" if len(states) == 1 else "hold"
        raise SystemExit(f"{' '.join(states)} {hold} {len(nets)} networks: set MEMBERS = {len(nets)} in "
                         f"wakeword_kws.py first")
    return _kws.averaged(nets).eval(), " + ".join(spent), per_epoch, " + ".join(took)


def score_stored(data: Path, paths: list[Path], hops=(2, 4)) -> dict[str, dict]:
    """Each state file's validation_scores on the export's validation recordings (the shipped
    weights' where `paths` is empty; "A.pt+B.pt": their networks averaged, stored_net):
    `wakeword_kws.py --score DATA [STATE.pt ...]`."""
    validation = import_training(data, recordings=False).validation
    results = {}
    for path in paths or [None]:
        t0 = time.perf_counter()
        scores = validation_scores(_predictor(stored_net(path), torch.device("cpu")), validation, hops)
        results[state_name(path)] = {"scores": scores, "seconds": round(time.perf_counter() - t0)}
    print(table(results, "scored in"), flush=True)
    return results


# ---------------------------------------------------------------------------------------- the round

def run_recipe(name: str, recipe: Recipe, training: Training, out: Path) -> dict:
    """Train one recipe, keep its best peer or all of them (out/NAME.pt: what `wakeword_kws.py
    --adopt` takes), score it (and the peers' mean) on the validation recordings; out/NAME.json,
    returned."""
    recordings = [r for r, extra in zip(training.recordings, training.more) if recipe.more or not extra]
    if recipe.peers == 1:
        net, loss = _kws.dscnn(channels=recipe.channels), _wake.cross_entropy
    else:
        torch.manual_seed(recipe.seed)
        net, loss = Peers(recipe.peers, recipe.channels), mutual_loss(recipe.mutual)
    transform = _transform(recipe)
    t0 = time.perf_counter()
    net, seconds = _wake.train(net, training.clips, recordings, recipe.epochs, recipe.lr, recipe.per_epoch,
                               seed=recipe.seed, transform=transform, loss=loss)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net = net.to(device)
    result = {"recipe": asdict(recipe), "seconds": round(seconds), "device": torch.cuda.get_device_name()
              if device.type == "cuda" else "CPU", "recordings": len(recordings)}
    if isinstance(net, Peers):
        accuracy = [_window_accuracy(_predictor(net, device, k), training.validation) for k in range(net.n)]
        peer = int(np.argmax(accuracy))
        result |= {"peer": peer, "peer_window_accuracy": accuracy,
                   "average": validation_scores(_predictor(net, device), training.validation, recipe.hops)}
        peers = range(net.n) if recipe.keep_all else [peer]
        kept = _kws.ensemble(channels=recipe.channels, members=len(peers))
        for k, member in zip(peers, kept.nets if recipe.keep_all else [kept]):
            member.load_state_dict(peer_state(net.cpu(), k))
        net = kept.to(device).eval()
    result["scores"] = validation_scores(_predictor(net, device), training.validation, recipe.hops)
    result["scoring_seconds"] = round(time.perf_counter() - t0 - seconds)
    torch.save({"state": {k: v.cpu() for k, v in net.state_dict().items()}, "seconds": seconds,
                "recipe": asdict(recipe), "result": json.dumps(result)}, out / f"{name}.pt")
    (out / f"{name}.json").write_text(json.dumps(result, indent=1))
    return result


def _child(name: str, recipe: Recipe, data: str, out: str) -> None:
    out_dir = Path(out)
    with open(out_dir / f"{name}.log", "w", buffering=1) as log:
        sys.stdout = sys.stderr = log
        try:
            run_recipe(name, recipe, import_training(Path(data)), out_dir)
        except Exception:
            traceback.print_exc(file=log)
            raise SystemExit(1) from None


def table(results: dict[str, dict], seconds: str = "trained in") -> str:
    """The round's scores: a row per recipe and hop (and the peers' mean where there are peers)."""
    lines = [f"{'recipe':<18} {'hop':>3} " + " ".join(f"{f'within {b}/h':>12}" for b in BUDGETS) + f"  {seconds}"]
    for name, r in results.items():
        for label, scores in [(name, r["scores"])] + ([(name + " (mean)", r["average"])] if "average" in r else []):
            for hop, s in scores.items():
                cells = " ".join(f"{s[str(b)]['hits']:>7} / {s['keywords']:<4}" for b in BUDGETS)
                took = "" if r["seconds"] is None else f"{r['seconds']} s"
                lines.append(f"{label:<18} {hop:>3} {cells}  {took:>9}")
    return "\n".join(lines)


def run_round(data: Path, out: Path, recipes: dict[str, Recipe], poll_s: float = 30.0) -> dict[str, dict]:
    """Every recipe at once, a process each (on the one CUDA device where there is one), a line
    of progress every `poll_s`, the shipped weights scored meanwhile (the round's baseline, at
    every hop a recipe scores); out/round.json and the table printed at the end."""
    out = Path(out)
    wanting = [name for name, recipe in recipes.items() if recipe.more]
    if wanting and not exported_more(Path(data)):
        raise SystemExit(f"recipe {', '.join(wanting)} trains on MORE's recordings too, which {data} does not hold: "
                         f"bring the export's other parts (or leave {', '.join(wanting)} out)")
    out.mkdir(parents=True, exist_ok=True)
    ctx = multiprocessing.get_context("spawn")
    procs = {name: ctx.Process(target=_child, args=(name, recipe, str(data), str(out)))
             for name, recipe in recipes.items()}
    threads = {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"} - set(os.environ)
    share = str(max(1, (os.cpu_count() or 1) // len(recipes)))           # the cores, shared out (numpy's BLAS)
    os.environ.update(dict.fromkeys(threads, share))                      # what the children start with
    try:
        for p in procs.values():
            p.start()
    finally:
        for name in threads:
            del os.environ[name]
    t0 = time.perf_counter()
    hops = sorted({hop for recipe in recipes.values() for hop in recipe.hops})
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")       # the recipes' arithmetic
    shipped = {"scores": validation_scores(_predictor(stored_net().to(device), device),
                                           import_training(data, recordings=False).validation, hops),
               "seconds": None}
    while any(p.is_alive() for p in procs.values()):
        time.sleep(poll_s)
        progress = []
        for name in procs:
            log = out / f"{name}.log"
            epochs = [line.split()[1] for line in log.read_text().splitlines() if line.strip().startswith("epoch")] \
                if log.exists() else []
            progress.append(f"{name} {epochs[-1] if epochs else '-'}")
        print(f"  {time.perf_counter() - t0:.0f} s: " + ", ".join(progress), flush=True)
    failed = [name for name, p in procs.items() if p.exitcode != 0]
    results = {"shipped": shipped} | {name: json.loads((out / f"{name}.json").read_text())
                                      for name in recipes if name not in failed}
    (out / "round.json").write_text(json.dumps(results, indent=1))
    print(table(results), flush=True)
    if failed:
        raise SystemExit(f"recipe {', '.join(failed)} failed (the others are above): see {out}/<name>.log")
    return results
