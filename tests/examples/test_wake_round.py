"""examples/kws/_round.py: a training round of the wake word on another machine. The export
travels in parts under the lent machine's limit and comes back as it went; the grouped peers
are so many DS-CNNs; the float proxy of the device's scores counts what the detector would;
a round trains its recipes in processes of their own and reports them. Synthetic data
throughout: the real round's data needs espeak-ng and an hour of synthesis."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from audio_data import FakeKwsGraph
from tinygen.audio import stream as st
from tinygen.ref import mfcc as fe

FRAME_STEP, FRAME_LENGTH = fe.FRAME_STEP, fe.FRAME_LENGTH
KWS = Path(__file__).resolve().parents[2] / "examples" / "kws"


def _recording(rng, wake, n: int, truth=()) -> object:
    labels = np.repeat(rng.integers(-1, 12, n // 30 + 1), 30)[:n]
    mfcc = np.column_stack([rng.normal(-20, 3, n), rng.normal(0, 4, (n, 9))])
    return wake.StreamData(mfcc, rng.integers(0, 32768, n), labels, None, list(truth))


@pytest.fixture
def exported(module, tmp_path, monkeypatch):
    """A small export in parts: 2 shipped-recipe recordings, 2 of MORE's, one validation recording."""
    wake, export = module("wake"), module("export")
    rng = np.random.default_rng(3)
    clips = (rng.normal(size=(4, 1, 49, 10)).astype(np.float32), rng.integers(0, 12, 4))
    made = {name: _recording(rng, wake, 600) for name in "abcd"}
    truth = [st.Truth("yes", 2.0, 2.4), st.Truth("no", 6.5, 6.9)]
    made["v"] = _recording(rng, wake, 400, truth)
    made["v"].samples = np.zeros(400 * FRAME_STEP + 320, np.int16)
    monkeypatch.setattr(wake, "training_clips", lambda: clips)
    monkeypatch.setattr(wake, "training_recordings", lambda: ["a", "b"])
    monkeypatch.setattr(wake, "more_recordings", lambda: ["c", "d"])
    monkeypatch.setattr(wake, "VALIDATION", ("v",))
    monkeypatch.setattr(wake, "stream_data", lambda spec, with_samples=False: made[spec])
    monkeypatch.setattr(export, "LZMA_KEEPS", 1.0)             # random frames do not compress
    stale = tmp_path / "data" / "part-9.npz"
    stale.parent.mkdir()
    stale.write_bytes(b"an earlier export")
    paths = export.export_training(tmp_path / "data", limit=36_000)      # about two recordings (9 KB) a part
    return clips, made, paths


def test_round_export_travels_in_parts(module, exported, tmp_path):
    """Every part is under PART_BYTES; the folder gives back the clips, the recordings in order
    (MORE's marked), their frames within half a step, peaks and labels exactly, the validation
    recording's frames as float32 with its keywords and length; an earlier export's parts are
    gone."""
    export = module("export")
    clips, made, paths = exported
    assert len(paths) >= 3 and sorted(p.name for p in (tmp_path / "data").iterdir()) == sorted(p.name for p in paths)
    assert all(p.stat().st_size <= 36_000 for p in paths)
    t = export.import_training(tmp_path / "data")
    assert np.array_equal(t.clips[0], clips[0].astype(np.float16).astype(np.float32))
    assert np.array_equal(t.clips[1], clips[1]) and t.more == [False, False, True, True]
    for d, b in zip([made[k] for k in "abcd"], t.recordings):
        assert np.array_equal(b.peaks, d.peaks) and np.array_equal(b.labels, d.labels)
        steps = np.concatenate([[export.C0_STEP], np.abs(d.mfcc[:, 1:]).max(axis=0) / 127])
        assert np.all(np.abs(b.mfcc - d.mfcc) <= steps / 2 + 1e-9)
    (v, length), = t.validation
    assert v.truth == made["v"].truth and length == len(made["v"].samples)
    np.testing.assert_array_equal(v.mfcc, made["v"].mfcc.astype(np.float32))     # scored there as here
    assert np.array_equal(v.peaks, made["v"].peaks) and np.array_equal(v.labels, made["v"].labels)
    for path in paths:                         # MORE's in parts of their own: a round without them takes the first
        assert len(set(export.import_training(path).more)) == 1
    assert export.exported_more(tmp_path / "data") and not export.exported_more(paths[0])


def test_round_parts_travel_with_the_tree(module):
    """A part and what git would send of this checkout fit what a lent machine takes a call."""
    export = module("export")
    assert 4 * 2 ** 20 <= export.part_bytes() <= export.TRAVELS - 2 ** 20


def test_round_export_refuses_an_empty_folder(module, tmp_path):
    with pytest.raises(SystemExit, match="no part-"):
        module("export").import_training(tmp_path)


def test_round_peers_are_dscnns(module):
    """Peer k of the grouped network, taken out by peer_state, is a _kws.dscnn giving the
    peer's own probabilities; mutual learning's loss is the cross-entropy alone for one peer,
    and n times one network's for n identical peers (no pull between equals)."""
    recipes, kws = module("recipes"), module("wake")._kws
    torch.manual_seed(0)
    peers = recipes.Peers(3, 8)
    x = torch.randn(16, 1, 49, 10)
    peers.train()
    peers(x)                                                          # batch norms' running statistics move
    peers.eval()
    for layer in peers.layers:
        if isinstance(layer, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(layer.weight, 0.5, 1.5)
    logits = peers(x)
    for k in range(3):
        net = kws.dscnn(channels=8).eval()
        net.load_state_dict(recipes.peer_state(peers, k))
        torch.testing.assert_close(net(x), logits[:, k].softmax(-1), rtol=1e-5, atol=1e-6)
    y = torch.randint(0, 12, (16,))
    one = kws.dscnn(channels=8).eval()
    one.load_state_dict(recipes.peer_state(peers, 0))
    ce = torch.nn.functional.cross_entropy(one[:-1](x), y)
    alone = recipes.Peers(1, 8).eval()
    alone.layers.load_state_dict({k: v for k, v in peers.layers.state_dict().items() if "num_batches" in k}
                                 | {k: v[:len(v) // 3] for k, v in peers.layers.state_dict().items()
                                    if "num_batches" not in k})
    torch.testing.assert_close(recipes.mutual_loss(1.0)(alone, x, y), ce)
    same = recipes.Peers(3, 8).eval()
    same.layers.load_state_dict({k: v if "num_batches" in k else v[:len(v) // 3].repeat(3, *[1] * (v.dim() - 1))
                                 for k, v in peers.layers.state_dict().items()})
    torch.testing.assert_close(recipes.mutual_loss(1.0)(same, x, y), 3 * ce)
    assert recipes.mutual_loss(1.0)(peers, x, y) > 0


class _Draws:
    """A generator that applies every mask, at the starts and widths given."""

    def __init__(self, starts):
        self.starts = list(starts)

    def random(self, n):
        return np.zeros(n)

    def integers(self, low, high, n):
        return np.full(n, self.starts.pop(0))


def test_round_states_average(module, tmp_path):
    """"A.pt+B.pt" is the Average of the two states' networks (an Average's members taken
    apart, so that averages of averages stay flat); a state that is neither a DS-CNN's nor an
    Average's is refused in one line."""
    remote, kws = module("round"), module("wake")._kws
    nets = []
    for seed, name in ((1, "a"), (2, "b")):
        torch.manual_seed(seed)
        net = kws.dscnn(channels=4)
        for p in net.parameters():
            p.data.normal_()
        nets.append(net.eval())
        torch.save({"state": net.state_dict(), "seconds": 1.0}, tmp_path / f"{name}.pt")
    pair = kws.Average(nets).eval()
    torch.save({"state": pair.state_dict(), "seconds": 2.0}, tmp_path / "pair.pt")
    x = torch.randn(5, 1, 49, 10)
    with torch.no_grad():
        mean = (nets[0](x) + nets[1](x)) / 2
        both = remote.stored_net(f"{tmp_path / 'a.pt'}+{tmp_path / 'b.pt'}")
        torch.testing.assert_close(both(x), mean)
        torch.testing.assert_close(remote.stored_net(tmp_path / "pair.pt")(x), mean)
        three = remote.stored_net(f"{tmp_path / 'pair.pt'}+{tmp_path / 'a.pt'}")
        assert len(three.nets) == 3
        torch.testing.assert_close(three(x), (2 * mean + nets[0](x)) / 3)
    assert remote.state_name(f"shipped+{tmp_path / 'a.pt'}") == "shipped+a" and remote.state_name(None) == "shipped"
    with pytest.raises(kws.ModelError, match="neither a DS-CNN's nor an Average"):
        kws.net_for({"stem.weight": torch.zeros(1)})


def test_round_masks(module):
    """Both time runs set their frames to the window's mean frame; the band flattens those mel
    bins of the log-mel envelope to the frame's mean, seen through the 10 coefficients."""
    recipes = module("recipes")
    x = np.random.default_rng(0).normal(size=(4, 1, 49, 10)).astype(np.float32)
    y = recipes.masks(x, _Draws([10, 3, 30, 6, 5, 4]))             # frames 10-12, 30-35; mel bins 5-8
    timed = x.copy()
    timed[:, :, [10, 11, 12, 30, 31, 32, 33, 34, 35]] = x.mean(axis=2, keepdims=True)
    flat = np.eye(fe.NUM_MEL)
    flat[:, 5:9] = 1 / fe.NUM_MEL
    dct = fe.dct_matrix()
    np.testing.assert_allclose(y, timed @ (np.linalg.pinv(dct) @ flat @ dct), rtol=1e-4, atol=1e-4)
    assert recipes.masks(x, np.random.default_rng(1)).shape == x.shape


def test_round_grid_is_the_int8_inputs(module):
    """A `grid` recipe trains on the windows as the device's int8 input holds them: the shipped
    model's input grid, each value the quantized feature stream mode sends the network; the
    augmented windows of such a recipe lie on it, a recipe without it leaves them in float."""
    recipes = module("recipes")
    scale, zero = recipes.input_grid()
    x = np.random.default_rng(0).normal(0, 30, size=(8, 1, 49, 10)).astype(np.float32)
    x[0, 0, 0, 0], x[0, 0, 0, 1] = -1e4, 1e4                          # clipped at the grid's ends
    held = fe.quantize(x, scale, zero)
    np.testing.assert_array_equal(recipes.on_grid(x, (scale, zero)), ((held.astype(np.float64) - zero) * scale
                                                                        ).astype(np.float32))
    rng = np.random.default_rng(1)
    y = recipes._transform(recipes.Recipe(masks=True, grid=True))(x, rng)
    np.testing.assert_array_equal(recipes.on_grid(y, (scale, zero)), y)
    z = recipes._transform(recipes.Recipe(masks=True))(x, np.random.default_rng(1))
    assert not np.array_equal(recipes.on_grid(z, (scale, zero)), z)
    np.testing.assert_array_equal(recipes.on_grid(z, (scale, zero)), y)   # the same draws, then the grid


def test_round_smoothed_is_the_detectors_sum(module):
    tuning = module("detector")
    u = np.random.default_rng(0).integers(0, 256, (50, 12))
    detector = st.Detector(st.StreamConfig(smooth=4))
    sums = [detector.step(row, 640 * i)[0] for i, row in enumerate(u)]
    assert np.array_equal(tuning.smoothed(u, 4), np.array(sums))


def test_round_float_proxy_counts_the_detectors_hits(module):
    """Inferences where stream mode makes them (frame 48, then every hop), probabilities on the
    int8 grid, and the validation recordings scored one after another: a proxy that fires on
    every keyword's windows and nowhere else detects them all, at every budget and at every hop
    the next round's recipes are scored at."""
    wake, remote = module("wake"), module("round")
    n, hop = 1500, 2
    samples, u = remote.float_outputs(lambda x: np.full((len(x), 12), 0.3), wake.StreamData(
        np.zeros((n, 10)), np.full(n, 100), np.zeros(n, np.int64), None, []), hop)
    assert np.array_equal(samples, np.arange(48, n, hop) * FRAME_STEP + FRAME_LENGTH)
    assert (u == 77).all()                                           # round(0.3 * 256)
    validation = []
    for r in range(2):
        mfcc = np.zeros((n, 10))
        mfcc[:, 1] = np.arange(n) + 10_000 * r                       # a window's last frame names it
        truth = [st.Truth(w, (f * FRAME_STEP) / 16000 - 0.6, (f * FRAME_STEP) / 16000 - 0.2)
                 for w, f in zip(["yes", "go", "on"], [300, 700, 1100])]
        validation.append((wake.StreamData(mfcc, np.full(n, 100), np.zeros(n, np.int64), None, truth), n * FRAME_STEP))

    def predict(x):
        frame = x[:, 0, -1, 1].astype(int) % 10_000
        p = np.zeros((len(x), 12))
        p[:, wake.SILENCE] = 1
        for word, f in zip(["yes", "go", "on"], [300, 700, 1100]):
            near = (frame >= f) & (frame < f + 8)
            p[near] = 0
            p[near, st.KWS_LABELS.index(word)] = 1
        return p

    scores = remote.validation_scores(predict, validation, (2, 4, 6))
    for hop in ("2", "4", "6"):
        assert scores[hop]["keywords"] == 6
        assert all(scores[hop][str(b)]["hits"] == 6 and scores[hop][str(b)]["false_accepts"] == 0
                   for b in remote.BUDGETS)
    recipes = module("recipes").RECIPES
    assert all(set(r.hops) <= set(remote.SCORE_SMOOTHS) for r in recipes.values())     # every recipe's hops scored


def test_round_trains_recipes_in_processes(module, exported, tmp_path, capsys):
    """Three tiny recipes (one with two peers kept together, one that fails) at once, each a
    process of its own: the weights of those that finish load into the DS-CNN or the Average
    that `--adopt` builds, their scores and the shipped weights' reach round.json and the
    table, the failure is named after it; `--score` scores the kept states again to the same
    numbers."""
    wake, remote = module("wake"), module("round")
    rec = module("recipes")
    paths = exported[2]
    tiny = rec.Recipe(channels=4, epochs=1, per_epoch=64, hops=(2,))
    recipes = {"one": tiny, "two": rec.Recipe(channels=4, epochs=1, per_epoch=64, peers=2, keep_all=True, more=True,
                                     hops=(4,)),
               "bad": rec.Recipe(channels=4, epochs=1, per_epoch=10 ** 6)}        # more windows than there are
    with pytest.raises(SystemExit, match="recipe two trains on MORE's recordings too"):
        remote.run_round(paths[0], tmp_path / "out", recipes)
    with pytest.raises(SystemExit, match="recipe bad failed"):
        remote.run_round(tmp_path / "data", tmp_path / "out", recipes, poll_s=0.5)
    results = json.loads((tmp_path / "out" / "round.json").read_text())
    assert set(results) == {"shipped", "one", "two"} and "ValueError" in (tmp_path / "out" / "bad.log").read_text()
    assert results["one"]["recordings"] == 2 and results["two"]["recordings"] == 4
    assert "average" in results["two"] and results["two"]["peer"] in (0, 1)
    for name, hop, members in (("one", "2", 1), ("two", "4", 2)):
        net = wake._kws.ensemble(channels=4, members=members)
        net.load_state_dict(torch.load(tmp_path / "out" / f"{name}.pt", weights_only=True)["state"])
        assert results[name]["scores"][hop]["keywords"] == 2
        assert 0 <= results[name]["scores"][hop]["60"]["hits"] <= 2
    assert set(results["shipped"]["scores"]) == {"2", "4"}                  # the baseline, at every hop scored
    table = capsys.readouterr().out
    assert "two (mean)" in table and table.count("/ 2") == 5 * 3
    again = remote.score_stored(tmp_path / "data", [tmp_path / "out" / "one.pt"], hops=(2,))
    assert again["one"]["scores"] == results["one"]["scores"]             # --score: the same weights, the same scores
    again = remote.score_stored(tmp_path / "data", [tmp_path / "out" / "two.pt"], hops=(4,))
    assert again["two"]["scores"] == results["two"]["scores"]             # the pair, loaded as an Average


def test_round_tuning_takes_the_hop(module):
    """tune() at a hop of 4 frames gives a detector with that hop (the adopting session's)."""
    wake = module("wake")
    tuning = module("detector")
    samples = np.arange(1, 751) * 1280
    u = np.zeros((750, 12), np.int64)
    u[:, wake.SILENCE] = 255
    truth = []
    for i, word in enumerate(["yes", "no", "up"]):
        first = 100 + 200 * i
        u[first:first + 3] = 0
        u[first:first + 3, st.KWS_LABELS.index(word)] = 250
        truth.append(st.Truth(word, samples[first] / 16000 - 0.5, samples[first] / 16000 - 0.1))
    detector, point, _ = tuning.tune(FakeKwsGraph(), samples, u, truth, 750 * 1280, hop=4)
    assert detector.hop == 4 and point.hits == 3 and point.false_accepts == 0


def test_round_adopt_refuses_another_width_or_hop(module, tmp_path):
    """`--adopt` of a round's weights that the model file cannot take says what to change, in
    one line, before anything is written: another width, another hop, another number of
    networks averaged (a pair kept together, or two states), a missing state file."""
    wake, shipped = module("wake"), module("wakeword")
    tuning = module("detector")
    kws, hop, members = wake._kws, tuning.HOP, shipped.MEMBERS
    other = 2 if hop != 2 else 4
    cases = ((4, members, (hop,), "is 4 channels wide: set CHANNELS = 4"),
             (96, members, (other,), f"was scored at a hop of {other} frames: set HOP"),
             (96, members + 1, (hop,), f"holds {members + 1} networks: set MEMBERS = {members + 1}"),
             (96, members, (hop,), f"hold {2 * members} networks: set MEMBERS = {2 * members}"),   # and the shipped
             (96, members, (hop,), "missing.pt: no such state file"))
    for i, (width, members, hops, expected) in enumerate(cases):
        path = tmp_path / f"w{i}.pt"
        torch.save({"state": kws.ensemble(channels=width, members=members).state_dict(), "seconds": 1.0,
                    "recipe": {"hops": hops, "epochs": 1, "per_epoch": 64}}, path)
        states = {3: [path, "shipped"], 4: [path, tmp_path / "missing.pt"]}.get(i, [path])
        before = (KWS / "wakeword_kws.pt").read_bytes()
        run = subprocess.run([sys.executable, str(KWS / "wakeword_kws.py"), "--adopt", *map(str, states), "a test"],
                             capture_output=True, text=True)
        assert run.returncode == 1 and expected in run.stderr and len(run.stderr.strip().splitlines()) == 1
        assert (KWS / "wakeword_kws.pt").read_bytes() == before


def test_round_ensemble_is_trained_then_refreshed_and_fine_tuned(module, exported, monkeypatch):
    """`python wakeword_kws.py` with MEMBERS = 2: a network by the shipped recipe; the first
    member that one refreshed (REFRESH twice, the windows alone), the second that one fine-tuned
    (the network itself left as it was); adopted as their Average with every run's epochs and
    seconds."""
    tuning, recipes, kws = module("detector"), module("recipes"), module("wake")._kws
    monkeypatch.setattr(recipes, "FINE_TUNE", recipes.Recipe(channels=4, epochs=1, per_epoch=64, masks=True, more=True))
    monkeypatch.setattr(recipes, "REFRESH", recipes.Recipe(channels=4, epochs=1, per_epoch=64, seed=5, clips=False))
    adopted, seen = {}, {}
    monkeypatch.setattr(tuning, "adopt", lambda *args: adopted.update(args=args))
    refresh = recipes.refresh

    def watched(net):
        seen["net"], seen["before"] = net, copy.deepcopy(net.state_dict())
        return refresh(net)

    monkeypatch.setattr(recipes, "refresh", watched)
    recipes.run_ensemble("wakeword", kws.Plan(), "model.py", 4, 2, 1, 1e-3, 64)
    name, _, net, _, channels, epochs, per_epoch, seconds, where = adopted["args"]
    assert isinstance(net, kws.Average) and len(net.nets) == 2 and channels == 4 and per_epoch == 64
    assert epochs == "1 + 1 + 1 + 1" and len(seconds.split(" + ")) == 4 and where == "one CPU thread"
    base = seen["net"]
    assert all(torch.equal(seen["before"][k], v) for k, v in base.state_dict().items())   # not trained in place
    first, second = (dict(n.state_dict()) for n in net.nets)
    assert any(not torch.equal(first[k], second[k]) for k in first if first[k].is_floating_point())
    again_first, _ = refresh(base)
    again_second, _ = recipes.fine_tune(base)
    assert all(torch.equal(first[k], v) for k, v in again_first.state_dict().items())     # one thread: the same
    assert all(torch.equal(second[k], v) for k, v in again_second.state_dict().items())


def test_round_adopt_joins_a_refreshed_state(module, tmp_path):
    """A `--refresh` state names its lineage's epochs and seconds as text ("30 + 5 + 5"):
    adoptable joins them with the other state's, in order, into the accuracy table's cells."""
    kws, remote = module("wake")._kws, module("round")
    states = []
    for name, epochs, seconds in (("refresh", "30 + 5 + 5", "455 + 909 + 1618"), ("second", 10, 2209.4)):
        path = tmp_path / f"{name}.pt"
        torch.save({"state": kws.dscnn(channels=4).state_dict(), "seconds": seconds,
                    "recipe": {"hops": (4,), "epochs": epochs, "per_epoch": 64}}, path)
        states.append(str(path))
    net, epochs, per_epoch, seconds = remote.adoptable(states, 4, 2, 4, 30, 150_000)
    assert isinstance(net, kws.Average) and len(net.nets) == 2 and per_epoch == 64
    assert epochs == "30 + 5 + 5 + 10" and seconds == "455 + 909 + 1618 + 2209"
