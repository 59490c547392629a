"""tinygen sweep without building anything: the spec's checks (unknown layer names, an
empty space, bounds), the searches (grid, random, Optuna's TPE / NSGA-II by ask and tell),
the results store, the driver's scheduling (resume, one point per attached board), the
report's Pareto fronts and nearest points, and a Ray address that does not answer."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from tinygen.errors import UsageError
from tinygen.sweep import _drive, run_sweep
from tinygen.sweep.execute import check_reachable
from tinygen.sweep.report import Progress, beats_int8, best_for, describe, nearest, pareto, render
from tinygen.sweep.space import GridSearch, OptunaSearch, RandomSearch, make_search, space_size
from tinygen.sweep.spec import load_spec, parse_bound
from tinygen.sweep.store import Store

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "lowbit" / "float_digits.py"
DATA = ROOT / "examples" / "sweep" / "digits_data.py"


def write_spec(tmp_path: Path, **over) -> Path:
    raw = {"model": str(MODEL), "data": f"{DATA}:test_set",
           "space": {"bits": {"3": [8, 4]}, "prune": {"3,6": [0, 0.5]}, "board": ["f746zg"]}}
    raw.update(over)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sweep_spec_unknown_layer_names_the_layers(tmp_path):
    spec = write_spec(tmp_path, space={"bits": {"3,conv9": [8, 4]}, "board": ["f746zg"]})
    with pytest.raises(UsageError) as e:
        run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    assert "layer 'conv9'" in str(e.value) and "0, 3, 6, 10" in str(e.value)
    assert not (tmp_path / "out" / "results.sqlite").exists()      # refused before any point ran


def test_sweep_cli_unknown_layer_is_one_line_exit_2(tmp_path):
    spec = write_spec(tmp_path, space={"prune": {"classifier": [0.5]}})
    proc = subprocess.run([sys.executable, "-m", "tinygen", "sweep", str(spec), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("tinygen sweep: error: space: prune names layer 'classifier'")


@pytest.mark.parametrize("space, said", [({}, "the search space is empty"),
                                         ({"bits": {"3": []}}, "the search space is empty"),
                                         ({"board": []}, "board has no choices"),
                                         ({"widths": {"3": [8]}}, "unknown dimension(s) widths")])
def test_sweep_spec_empty_or_unknown_space(tmp_path, space, said):
    with pytest.raises(UsageError) as e:
        load_spec(write_spec(tmp_path, space=space))
    assert said in str(e.value)


def test_sweep_spec_bad_values(tmp_path):
    for over, said in [({"search": "bayes"}, "search 'bayes'"), ({"search": "tpe"}, "needs trials"),
                       ({"objectives": ["max speed"]}, "unknown metric 'speed'"),
                       ({"constraints": [{"flash": "lots"}]}, "not a bound"),
                       ({"finetune": {"epochs": 1}}, "needs training data"),
                       ({"space": {"prune": {"3": [1.5]}}}, "outside [0, 1)"),
                       ({"space": {"bits": {"3": [3]}}}, "not 8, 4, 2 or 1")]:
        with pytest.raises(UsageError) as e:
            load_spec(write_spec(tmp_path, **over))
        assert said in str(e.value), over


def test_sweep_spec_host_board_has_no_standin(tmp_path):
    with pytest.raises(UsageError) as e:
        run_sweep(write_spec(tmp_path, space={"board": ["host"]}), tmp_path / "o", progress=False)
    assert "no QEMU stand-in" in str(e.value)


def test_sweep_bounds():
    assert (b := parse_bound("ram", "128K")).op == "<=" and b.value == 128 * 1024
    assert parse_bound("flash", "<= 0.5M").value == 512 * 1024
    acc = parse_bound("accuracy", "97%")
    assert acc.op == ">=" and acc.value == pytest.approx(0.97)
    assert acc.holds({"accuracy": 0.98}) and not acc.holds({"accuracy": 0.96})
    assert acc.excess({"accuracy": 0.87}) == pytest.approx(0.10 / 0.97)


def test_sweep_grid_and_random_spaces():
    space = {"bits:3": ["int8", "uniform:4"], "prune:3": [0.0, 0.5, 0.25], "board": ["f746zg", "f446re"]}
    grid = GridSearch(space)
    points = list(iter(grid.ask, None))
    assert len(points) == space_size(space) == 12
    assert len({json.dumps(p, sort_keys=True) for p in points}) == 12
    assert points[0] == {"bits:3": "int8", "prune:3": 0.0, "board": "f746zg"}
    assert points[1]["board"] == "f446re"                     # the last dimension varies fastest
    drawn = list(iter(RandomSearch(space, 5, seed=3).ask, None))
    again = list(iter(RandomSearch(space, 5, seed=3).ask, None))
    assert drawn == again and len({json.dumps(p, sort_keys=True) for p in drawn}) == 5
    assert all(p in points for p in drawn)
    assert len(list(iter(RandomSearch(space, 50, seed=0).ask, None))) == 12


def toy_row(params: dict) -> dict:
    """A made-up cost model: fewer bits and more pruning cost accuracy and save instructions."""
    bits = {"int8": 8, "uniform:4": 4, "uniform:2": 2}[params["bits:3"]]
    p = params["prune:3"]
    return {"status": "ok", "accuracy": 1 - 0.002 * (8 - bits) - 0.1 * p,
            "instructions": 1000 * bits * (1 - p) + 100, "flash": 500 * bits, "ram": 100}


@pytest.mark.parametrize("search", ["tpe", "nsga2"])
def test_sweep_optuna_ask_tell(tmp_path, search):
    spec = load_spec(write_spec(tmp_path, search=search, trials=10, seed=1,
                                space={"bits": {"3": [8, 4, 2]}, "prune": {"3": [0, 0.25, 0.5]}},
                                constraints=[{"flash": "3K"}]))
    opt = make_search(spec)
    assert isinstance(opt, OptunaSearch)
    out = []
    while True:                  # two points out at once, told as they come back
        batch = [p for p in (opt.ask(), opt.ask()) if p is not None]
        if not batch:
            break
        for p in batch:
            opt.tell(p, toy_row(p))
        out += batch
    assert len({json.dumps(p, sort_keys=True) for p in out}) == len(out) >= 2     # distinct points
    assert all(set(p) == set(spec.space) and all(p[k] in spec.space[k] for k in p) for p in out)
    # the whole budget is asked: every trial not handed out was a repeat, pruned at once
    states = [t.state.name for t in opt.study.trials]
    assert len(states) == spec.trials and states.count("PRUNED") == spec.trials - len(out)
    done = [t for t in opt.study.trials if t.state.name == "COMPLETE"]
    assert len(done) == len(out)
    assert all(t.values == [toy_row(t.params)["accuracy"], toy_row(t.params)["instructions"]] for t in done)
    flash_gap = [max(toy_row(t.params)["flash"] - 3072, 0) / 3072 for t in done]
    assert [next(v for k, v in t.system_attrs.items() if "constraint" in k) for t in done] == flash_gap


def test_sweep_store_keeps_rows(tmp_path):
    with Store(tmp_path / "r.sqlite") as s:
        s.put("k1", {"board": "f746zg"}, {"status": "ok", "accuracy": 0.9, "instructions": 5, "timing": {"run": 1}})
        s.put("k2", {"board": "f446re"}, {"status": "failed", "reason": "does not fit"})
    with Store(tmp_path / "r.sqlite") as s:
        assert s.has("k1") and not s.has("k3")
        assert s.get("k2")["reason"] == "does not fit"
        assert [r["key"] for r in s.rows(["k2", "k3", "k1"])] == ["k2", "k1"]
        assert s.get("k1")["params"] == {"board": "f746zg"} and s.get("k1")["timing"] == {"run": 1}


class FakeExecutor:
    """Runs toy rows on threads; records how many points use each attached board at once."""

    holds_boards = True

    def __init__(self, workers: int):
        self.workers, self.pending, self.lock = workers, {}, threading.Lock()
        self.on_board: dict[str, int] = {}
        self.most_on_a_board = 0
        self.ran: list[str] = []

    @property
    def running(self) -> int:
        return len(self.pending)

    def submit(self, key, params, ctx, real_board=None):
        if real_board:
            self.on_board[real_board] = self.on_board.get(real_board, 0) + 1
            self.most_on_a_board = max(self.most_on_a_board, self.on_board[real_board])
        self.pending[key] = (params, real_board)
        self.ran.append(key)

    def wait(self):
        key = next(iter(self.pending))
        params, board = self.pending.pop(key)
        if board:
            self.on_board[board] -= 1
        return [(key, {**toy_row(params), "timing": {}})]


def test_sweep_driver_resumes_and_keeps_one_point_per_board(tmp_path):
    space = {"bits:3": ["int8", "uniform:4", "uniform:2"], "prune:3": [0.0, 0.5], "board": ["f746zg", "f446re"]}
    ctx = {"identity": "toy"}
    with Store(tmp_path / "r.sqlite") as store:
        first = FakeExecutor(workers=3)
        keys: list[str] = []
        bar = Progress(None, enabled=False)
        assert _drive(GridSearch(space), store, first, ctx, True, bar, keys, None) == 12
        assert first.most_on_a_board == 1            # 3 workers, yet never two points on one board
        again = FakeExecutor(workers=3)
        keys2: list[str] = []
        assert _drive(GridSearch(space), store, again, ctx, True, bar, keys2, None) == 0
        assert again.ran == [] and keys2 == keys      # every point came from the store
        assert [r["accuracy"] for r in store.rows(keys)] == [toy_row(p)["accuracy"] for p in
                                                             iter(GridSearch(space).ask, None)]


def rows_of(params_list):
    return [{"key": f"k{i}", "params": {**p, "kernels": "tinygen"}, **toy_row(p), "reason": None}
            for i, p in enumerate(params_list)]


def test_sweep_report_fronts_best_and_nearest(tmp_path):
    space = {"bits:3": ["int8", "uniform:4", "uniform:2"], "prune:3": [0.0, 0.25, 0.5], "board": ["f746zg"]}
    rows = rows_of(list(iter(GridSearch(space).ask, None)))
    front = pareto(rows, "instructions")
    for r in rows:            # on the front exactly when nothing beats it on both
        beaten = any(q["accuracy"] >= r["accuracy"] and q["instructions"] <= r["instructions"]
                     and (q["accuracy"], q["instructions"]) != (r["accuracy"], r["instructions"]) for q in rows)
        assert (r in front) == (not beaten)
    wins = beats_int8(rows)
    base = next(r for r in rows if r["params"]["bits:3"] == "int8" and r["params"]["prune:3"] == 0)
    assert wins and all(w["accuracy"] >= base["accuracy"] - 0.01 for w in wins)
    assert all(w["instructions"] < base["instructions"] or w["flash"] < base["flash"] for w in wins)
    meetable = [parse_bound("flash", "2K"), parse_bound("accuracy", "99%")]
    best = best_for(rows, meetable, [("accuracy", "max"), ("instructions", "min")])
    assert best["flash"] <= 2048 and best["accuracy"] == max(r["accuracy"] for r in rows if r["flash"] <= 2048)
    spec_bounds = [parse_bound("flash", "1K"), parse_bound("accuracy", "99%")]
    assert best_for(rows, spec_bounds, [("accuracy", "max")]) is None
    close = nearest(rows, spec_bounds)
    gaps = [sum(b.excess(r) for b in spec_bounds) for r in close]
    assert gaps == sorted(gaps) and gaps[0] == min(sum(b.excess(r) for b in spec_bounds) for r in rows)
    report = {"summary": "toy", "fronts": {}, "beats_int8": [], "constraints": [
        {"bounds": "flash <= 1024 and accuracy >= 0.99", "best": None, "command": None,
         "nearest": [(r["key"], "flash <= 1024") for r in close]}]}
    text = render(report, {r["key"]: r for r in rows})
    assert "no point meets the constraints; the nearest:" in text and close[0]["key"] not in text
    assert all(describe(r["params"]) in text for r in close)


def test_sweep_ray_address_that_does_not_answer(tmp_path):
    port = free_port()                     # nothing listens there
    with pytest.raises(UsageError) as e:
        check_reachable(f"127.0.0.1:{port}", timeout=2.0)
    assert f"no Ray cluster answers at 127.0.0.1:{port}" in str(e.value) and "ray start --head" in str(e.value)
    with pytest.raises(UsageError) as e:
        check_reachable("not-an-address")
    assert "is not HOST:PORT" in str(e.value)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "tinygen", "sweep", str(write_spec(tmp_path)), "--ray",
                           f"ray://127.0.0.1:{port}", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"tinygen sweep: error: no Ray cluster answers at 127.0.0.1:{port}")
    print(f"refused in {time.monotonic() - started:.1f} s")


def test_sweep_example_spec_is_valid(tmp_path):
    from tinygen.sweep import sweep_context

    spec = load_spec(ROOT / "examples" / "sweep" / "digits.yaml")
    assert space_size(spec.space) == 54 and spec.finetune == {"epochs": 1, "lr": 0.001}
    ctx = sweep_context(spec, tmp_path)
    assert ctx["layers"] == ["0", "3", "6", "10"] and Path(ctx["train"].rpartition(":")[0]).is_file()
