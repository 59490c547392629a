"""Training rounds of the wake word on another machine (a CUDA device without espeak-ng or the
corpus; examples/kws/wakeword_kws.py `--export`, `--train-from`, `--round`, `--score`, `--adopt`).

Here, _export.export_training(FOLDER) writes everything _wake.train reads and the validation
recordings into FOLDER/part-1.npz, part-2.npz, ..., each small enough to travel to a lent
machine with the working tree in one call (_export.part_bytes). There, `import_training(FOLDER)`
reads them back, and `run_round(FOLDER, OUT, RECIPES)` trains several recipes at once, one process
each on the one device, and scores each on the validation voices through the float model's
outputs rounded to the int8 model's grid (a proxy of the device's scores: _detector.tune later
tunes the adopted model's detector on the int8 model itself), beside the shipped weights:

    recipe    hop  within 15/h  within 30/h  within 60/h   (keywords detected, of the validation's)

A recipe (examples/kws/_recipes.py) names what is trained. OUT gets a NAME.pt per recipe (the
kept weights, the recipe, and its scores as JSON under "result"), NAME.log, NAME.json and
round.json.

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

import json
import multiprocessing
import os
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

import _detector
import _kws
import _wake
from _export import Training, exported_more, import_training
from _recipes import NO_CLIPS, SHIPPED, Peers, Recipe, _transform, mutual_loss, peer_state
from tinygen.audio import curve as cv
from tinygen.audio import stream as st
from tinygen.ref import mfcc as fe

# ---------------------------------------------------------------------------------------- scoring

SCORE_SMOOTHS = {2: (3, 4, 6, 8), 4: (2, 3, 4), 6: (2, 3, 4, 5)}   # the smoothings scored at each hop (120-600 ms)
SCORE_REFRACTORY = (1000,)
BUDGETS = (15, 30, 60)                                   # false accepts per hour

def float_outputs(predict, data: _wake.StreamData, hop: int) -> tuple[np.ndarray, np.ndarray]:
    """The float model's probabilities at every inference stream mode makes of the recording
    (the window ending at frame 48, then every `hop` frames: stream.StreamRunner), rounded to
    the int8 softmax's grid (1/256, less its zero point: what _detector.stream_outputs gives for
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
        settings = list(_detector.curves(np.concatenate(samples), np.concatenate(u), truth, offset, 1 / 256, hop,
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
                             f"in _detector.py to it first (it is {hop})")
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
            took.append(_kws.seconds_text(trained["seconds"]))
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
    clips = training.clips if recipe.clips else NO_CLIPS
    net, seconds = _wake.train(net, clips, recordings, recipe.epochs, recipe.lr, recipe.per_epoch,
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
