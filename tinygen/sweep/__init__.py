"""Design-space sweeps: many variants of one model (per-layer weight quantizers, pruning
ratios, kernels, boards) built and measured, with Pareto fronts and the best point per
constraint set (README, "Design-space sweeps"; `tinygen sweep SPEC.yaml`).

    from tinygen.sweep import run_sweep
    result = run_sweep("examples/sweep/digits.yaml", out="build/sweep", workers=2)  # ray=True / "auto" / "HOST:PORT"
    result.rows          # one dict per point: params, status, reason, accuracy, instructions, flash, ram, ...

Each point is a pure function of its parameters (tinygen.sweep.point.run_point); the
engine that runs them (tinygen.sweep.execute: a process pool or Ray) knows nothing of
tinygen. Results stream into out/results.sqlite (and results.json) keyed by a hash of
the point, so a restarted sweep runs only the points it has no row for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tinygen.errors import UsageError
from tinygen.sweep.spec import Spec, check_layers, load_spec


@dataclass
class SweepResult:
    spec: Spec
    out: Path
    rows: list[dict]                  # this sweep's points, in the order they were asked
    ran: int                          # points computed by this run (the rest came from the store)
    seconds: float
    report: dict = field(default_factory=dict)


def sweep_context(spec: Spec, cache: Path, timeout: float | None = None) -> dict:
    """What every point shares: the model, data, settings and the model's layers."""
    from tinygen.sweep.model import float_model, is_switchable, load_module, mac_layers

    if spec.model.suffix == ".onnx":        # a model file as it is: its kernels and boards are swept
        if any(d.startswith(("bits:", "prune:")) for d in spec.space) or spec.finetune:
            raise UsageError(f"{spec.model.name} is an ONNX model: bits, prune and finetune change a PyTorch "
                             "model's layers", "sweep its kernels and boards (space: kernels / board), or give "
                             "the PyTorch model file (.py) it was exported from")
        return _context(spec, cache, timeout, [])
    net = float_model(load_module(spec.model))
    layers = mac_layers(net)
    if is_switchable(net) and any(d.startswith(("bits:", "prune:")) for d in spec.space):
        raise UsageError(f"{spec.model.name} is a switchable-precision model: its quantizers are its own",
                         "sweep its storage, kernels and boards (space: storage / kernels / board), "
                         "not bits or prune")
    if not is_switchable(net) and "storage" in spec.space:
        raise UsageError("space: storage is for switchable-precision models", "leave it out for this model")
    check_layers(spec, layers)
    return _context(spec, cache, timeout, list(layers))


def _context(spec: Spec, cache: Path, timeout: float | None, layers: list[str]) -> dict:
    for board in spec.space["board"]:
        _check_board(board, spec.real_boards)
    ctx = {"model": str(spec.model), "data": spec.data, "train": spec.train, "calib": spec.calib,
           "finetune": spec.finetune, "samples": spec.samples, "seed": spec.seed, "real_boards": spec.real_boards,
           "cache": str(cache), "identity": spec.identity(), "layers": layers}
    if timeout is not None:
        ctx["timeout"] = timeout
    return ctx


def _check_board(name: str, real: bool) -> None:
    from tinygen.board import get_board

    board = get_board(name)             # an unknown name: get_board's error lists the boards
    if board.build == "host" or (board.emulator is None and not real):
        raise UsageError(f"space: board {name} has no QEMU stand-in to count instructions on",
                         "sweep the Cortex-M boards (f746zg, f767zi, f446re), or set real_boards: true "
                         "with the boards attached")


def run_sweep(spec: Spec | str | Path, out: str | Path | None = None, workers: int | None = None,
              ray: str | bool | None = None, cache: str | Path | None = None, timeout: float | None = None,
              progress: bool = True, on_row: Callable[[str, dict], None] | None = None) -> SweepResult:
    """Run (or finish) a sweep; rows already in out/results.sqlite are not run again.
    `on_row(key, row)` is called as each point finishes (after it is stored)."""
    from tinygen.sweep.execute import executor
    from tinygen.sweep.report import Progress, write_report
    from tinygen.sweep.space import make_search
    from tinygen.sweep.store import Store

    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    if isinstance(ray, str) and ray != "auto":
        from tinygen.sweep.execute import check_reachable

        check_reachable(ray)                 # before the model is loaded: a wrong address fails at once
    out = Path(out) if out is not None else Path("build") / "sweep" / spec.path.stem
    ctx = sweep_context(spec, Path(cache) if cache is not None else out / "cache", timeout)
    search = make_search(spec)
    start = time.perf_counter()
    keys: list[str] = []
    with Store(out / "results.sqlite") as store:
        bar = Progress(search.total(), enabled=progress)
        try:
            with executor(ray, workers) as ex:
                ran = _drive(search, store, ex, ctx, spec.real_boards, bar, keys, on_row)
        finally:
            bar.close()
        rows = store.rows(keys)
        store.export_json(keys, out / "results.json")
    result = SweepResult(spec, out, rows, ran, time.perf_counter() - start)
    result.report = write_report(result, ctx)
    return result


def _drive(search, store, ex, ctx: dict, real_boards: bool, bar, keys: list[str], on_row) -> int:
    """Keep the executor's workers busy with asked points, store and tell each row as it
    comes back; points with a stored row are told at once. Returns the points run."""
    from tinygen.sweep.point import point_key

    submitted: dict[str, dict] = {}          # key -> params, while running
    boards: dict[str, str] = {}              # key -> attached board in use (real_boards, local pool)
    held: list[dict] = []                    # points waiting for their attached board
    ran, exhausted = 0, False
    while True:
        while ex.running < ex.workers and not exhausted:
            params = _next_point(search, held, boards, real_boards and ex.holds_boards)
            if params is None:
                exhausted = not held
                break
            key = point_key(params, ctx["identity"])
            keys.append(key)
            stored = store.get(key)
            if stored is not None:
                search.tell(params, stored)
                bar.update(stored, cached=True)
                continue
            submitted[key] = params
            if real_boards:
                boards[key] = params["board"]
            ex.submit(key, params, ctx, params["board"] if real_boards else None)
            bar.running(ex.running)
        if ex.running == 0:
            if held:                         # every held point's board is free again
                exhausted = False
                continue
            return ran
        for key, row in ex.wait():
            params = submitted.pop(key)
            boards.pop(key, None)
            store.put(key, params, row)
            search.tell(params, row)
            ran += 1
            bar.update(row)
            bar.running(ex.running)
            if on_row is not None:
                on_row(key, row)
        exhausted = False if held else exhausted


def _next_point(search, held: list[dict], boards: dict[str, str], one_per_board: bool) -> dict | None:
    """The next point to run: a held one whose board is free, else the search's next; with
    one_per_board, a point whose attached board is busy is held back."""
    for i, params in enumerate(held):
        if params["board"] not in boards.values():
            return held.pop(i)
    while True:
        params = search.ask()
        if params is None or not one_per_board or params["board"] not in boards.values():
            return params
        held.append(params)


__all__ = ["SweepResult", "load_spec", "run_sweep", "sweep_context"]
