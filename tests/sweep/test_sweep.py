"""tinygen sweep end to end on the digits CNN (examples/lowbit/float_digits.py): 16 points
(weights of two layers at 8 or 4 bits x 2 pruning ratios x 2 boards), each trained,
compiled, built and run on its board's QEMU stand-in. (The README's 48-point table adds
layer 10's bits and a 25% pruning ratio to this space; 16 points keep every check here
meaningful at a third of the time.)

The sweep runs in a local process pool (2 workers), is interrupted half-way and restarted
(the restart runs only the missing points), then runs again as Ray tasks on a local Ray
cluster started here (`ray start --head`, 2 CPUs, stopped afterwards), into a fresh
results store: the rows are identical. Both runs share the firmware cache (builds and
their exact instruction counts, keyed by the compiled graph's hash), so the Ray run
repeats every point's training, compile, reference accuracy and stand-in run but not its
C build. Points on the Pareto front that beat the plain int8 model on instructions or
flash at <= 1 point of accuracy loss are compiled again from the model files the report
writes (same graph hash) and run through `tinygen hil` on the stand-in (bit-exact).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from tinygen.sweep import run_sweep
from tinygen.sweep.store import comparable

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow(first=True),          # minutes: started first under xdist
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed"),
              pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")]
POINTS = 16
UNMEETABLE = {"flash": "8K", "accuracy": "99.5%"}


def digits_spec(folder: Path) -> Path:
    raw = {"model": str(ROOT / "examples" / "lowbit" / "float_digits.py"),
           "data": f"{ROOT / 'examples' / 'sweep' / 'digits_data.py'}:test_set",
           "space": {"bits": {"3": [8, 4], "6": [8, 4]}, "prune": {"3,6": [0, 0.5]},
                     "kernels": ["tinygen"], "board": ["f746zg", "f446re"]},
           "samples": 2, "objectives": ["max accuracy", "min instructions"],
           "constraints": [{"ram": "128K", "flash": "512K"}, UNMEETABLE]}
    path = folder / "digits.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


class Interrupt:
    """Raises KeyboardInterrupt in the driver once `after` points have finished."""

    def __init__(self, after: int):
        self.after, self.seen = after, 0

    def __call__(self, key, row):
        self.seen += 1
        if self.seen == self.after:
            raise KeyboardInterrupt


def _reverify(row: dict, result, tmp_path: Path, cache: Path) -> None:
    """The point's model file compiles to the same graph and runs bit-exact on the stand-in."""
    from tinygen.board import get_board
    from tinygen.cli import main as tinygen_main
    from tinygen.cli import common as cli_common
    from tinygen.cli.common import Progress, compile_model
    from tinygen.compiler import graph_hash
    from tinygen.cli import make_parser
    from tinygen.sweep.point import build_args, compile_request, load_xy
    from tinygen.sweep.report import _point_files
    from tinygen.sweep import sweep_context

    ctx = sweep_context(result.spec, cache)
    dest = tmp_path / "verify" / row["key"]
    command = _point_files(row, ctx, dest)
    params = row["params"]
    assert command.startswith(f"tinygen build {dest / 'model.py'} --board {params['board']} --kernels tinygen")
    # the command the report spells, parsed by tinygen's own parser, asks for the sweep's compile
    args = make_parser().parse_args(["build", *build_args(str(dest / "model.py"), params, None), "-o", "unused"])
    assert compile_request(str(dest / "model.py"), params, None) == cli_common.compile_request(args)
    _, graph = compile_model(args, Progress(quiet=True), get_board(params["board"]))
    assert graph_hash(graph) == row["graph"]
    x, y = load_xy(ctx["data"])
    np.savez(tmp_path / "test.npz", x=x[:12], y=y[:12])
    report = tmp_path / f"{row['key']}.json"
    rc = tinygen_main(["hil", str(dest / "model.py"), "--board", params["board"], "--kernels", "tinygen",
                       "--emulate", "--data", str(tmp_path / "test.npz"), "--json", str(report), "-q",
                       "-o", str(tmp_path / "hil" / row["key"])])
    summary = json.loads(report.read_text())
    assert rc == 0 and summary["bit_exact"] == summary["samples"] == 12


def test_sweep_digits_local_interrupted_resumed_and_on_ray(tmp_path, ray_head, monkeypatch):
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")          # as the test cluster (ray_head)
    spec = digits_spec(tmp_path)
    cache = tmp_path / "cache"
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, tmp_path / "local", workers=2, cache=cache, progress=False, on_row=Interrupt(POINTS // 2))
    from tinygen.sweep.store import Store

    with Store(tmp_path / "local" / "results.sqlite") as store:
        stored = store.db.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    assert POINTS // 2 <= stored < POINTS
    local = run_sweep(spec, tmp_path / "local", workers=2, cache=cache, progress=False)
    assert local.ran == POINTS - stored                   # only the missing points ran
    assert len(local.rows) == POINTS
    failed = [(r["params"], r["reason"]) for r in local.rows if r["status"] != "ok"]
    assert not failed, failed
    assert all(r["bit_exact"] == "2/2" for r in local.rows)
    local_s = time.perf_counter() - started

    started = time.perf_counter()
    on_ray = run_sweep(spec, tmp_path / "ray", ray=ray_head, cache=cache, progress=False)
    ray_s = time.perf_counter() - started
    assert on_ray.ran == POINTS
    assert [comparable(r) for r in on_ray.rows] == [comparable(r) for r in local.rows]
    print(f"\n{POINTS} points: local pool {local_s:.0f} s (with the interruption), on Ray {ray_s:.0f} s")

    report = local.report
    wins = [r for r in local.rows if r["key"] in report["beats_int8"]]
    assert wins, report["text"]
    by_board = {}
    for w in wins:
        by_board.setdefault(w["params"]["board"], w)
    for row in list(by_board.values())[:2]:
        _reverify(row, local, tmp_path, cache)
    unmeetable = report["constraints"][1]
    assert unmeetable["best"] is None and len(unmeetable["nearest"]) == 3
    assert "no point meets the constraints; the nearest:" in report["text"]
    first = report["constraints"][0]
    assert first["best"] is not None and Path(first["command"].split()[2]).is_file()
    assert (local.out / "pareto.png").stat().st_size > 10_000
    assert json.loads((local.out / "results.json").read_text())[0]["key"] == local.rows[0]["key"]
    print(report["text"])
