"""What a sweep reports: progress while it runs; afterwards the Pareto fronts (accuracy
against instructions, flash and RAM) per board as a table, JSON and PNG, the points that
beat the plain int8 model, and the best point per constraint set as a model file with a
ready `tinygen build` command (or, when no point meets a set, the nearest points)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from tinygen.report import human_bytes, table
from tinygen.sweep.spec import layer_params

FRONT_METRICS = ("instructions", "flash", "ram")
ACCURACY_SLACK = 0.01       # "at most 1 point of accuracy lost" against the plain int8 model
NEAREST = 3


class Progress:
    """A tqdm bar: points done (run or from the store), running, failed, and the ETA."""

    def __init__(self, total: int | None, enabled: bool = True):
        from tqdm import tqdm

        self.counts = {"running": 0, "failed": 0, "stored": 0}
        self.bar = tqdm(total=total, desc="sweep", unit="pt", file=sys.stderr, disable=not enabled,
                        dynamic_ncols=True)

    def update(self, row: dict, cached: bool = False) -> None:
        self.counts["failed"] += row.get("status") != "ok"
        self.counts["stored"] += cached
        self.bar.update(1)
        self.bar.set_postfix(self.counts, refresh=False)

    def running(self, n: int) -> None:
        self.counts["running"] = n
        self.bar.set_postfix(self.counts)

    def close(self) -> None:
        self.bar.close()


def describe(params: dict) -> str:
    """'3=uniform:4 6=int8 prune 3,6=0.25 tinygen' (the board is shown apart)."""
    bits = " ".join(f"{k[5:]}={v}" for k, v in params.items() if k.startswith("bits:"))
    prune = " ".join(f"{k[6:]}={v:g}" for k, v in params.items() if k.startswith("prune:"))
    rest = " ".join(str(params[k]) for k in ("kernels", "storage") if k in params)
    return " ".join(p for p in (bits, f"prune {prune}" if prune else "", rest) if p)


def is_int8_baseline(params: dict) -> bool:
    return (all(v == "int8" for k, v in params.items() if k.startswith("bits:"))
            and all(not v for k, v in params.items() if k.startswith("prune:")))


def pareto(rows: list[dict], metric: str) -> list[dict]:
    """The points no other point beats on both accuracy (higher) and `metric` (lower)."""
    pts = [r for r in rows if r["status"] == "ok" and r.get(metric) is not None]
    front = [p for p in pts if not any(
        q["accuracy"] >= p["accuracy"] and q[metric] <= p[metric]
        and (q["accuracy"] > p["accuracy"] or q[metric] < p[metric]) for q in pts)]
    return sorted(front, key=lambda r: (r[metric], -r["accuracy"], r["key"]))


def beats_int8(rows: list[dict]) -> list[dict]:
    """Front points (any metric) with fewer instructions or less flash than the plain int8
    model on the same board and kernels, at most ACCURACY_SLACK less accurate."""
    wins = []
    for board in sorted({r["params"]["board"] for r in rows}):
        on = [r for r in rows if r["params"]["board"] == board]
        front = {r["key"]: r for m in FRONT_METRICS for r in pareto(on, m)}
        for r in front.values():
            base = next((b for b in on if b["status"] == "ok" and is_int8_baseline(b["params"])
                         and b["params"].get("kernels") == r["params"].get("kernels")), None)
            if base is None or r["key"] == base["key"] or r["accuracy"] < base["accuracy"] - ACCURACY_SLACK:
                continue
            if r["instructions"] < base["instructions"] or r["flash"] < base["flash"]:
                wins.append({**r, "baseline": base["key"]})
    return wins


def best_for(rows: list[dict], bounds, objectives) -> dict | None:
    ok = [r for r in rows if r["status"] == "ok" and all(b.holds(r) for b in bounds)]
    if not ok:
        return None
    return min(ok, key=lambda r: tuple(-r[m] if d == "max" else r[m] for m, d in objectives) + (r["key"],))


def nearest(rows: list[dict], bounds) -> list[dict]:
    ok = [r for r in rows if r["status"] == "ok"]
    return sorted(ok, key=lambda r: (sum(b.excess(r) for b in bounds), r["key"]))[:NEAREST]


def _point_files(row: dict, ctx: dict, dest: Path) -> str:
    """The point's model file in dest (copied from the cache, or made again); its build command."""
    from tinygen.sweep.point import build_args, point_key, write_point_model
    from tinygen.sweep.write import model_file_text

    params = row["params"]
    cached = Path(ctx["cache"]) / "points" / point_key(params, ctx["identity"])
    dest.mkdir(parents=True, exist_ok=True)
    if (cached / "model.pt").is_file():
        shutil.copyfile(cached / "model.pt", dest / "model.pt")
        bits = layer_params(params, ctx["layers"], "bits", "int8")
        (dest / "model.py").write_text(model_file_text(params, ctx, dest, bits))
    else:
        write_point_model(params, ctx, dest)
    args = build_args(str(dest / "model.py"), params, ctx.get("calib"))
    return "tinygen build " + " ".join(args) + f" -o {dest / 'build'}"


def _row_cells(r: dict) -> list:
    return [f"{r['accuracy']:.2%}", f"{r['instructions']:,}", human_bytes(r["flash"]), human_bytes(r["ram"]),
            describe(r["params"])]


HEAD = ["accuracy", "instructions", "flash", "RAM", "point"]


def render(report: dict, rows_by_key: dict[str, dict]) -> str:
    lines = [report["summary"]]
    for board, fronts in report["fronts"].items():
        for metric, keys in fronts.items():
            lines += ["", f"Pareto front on {board}: accuracy vs {metric}",
                      table(HEAD, [_row_cells(rows_by_key[k]) for k in keys], "rrrrl")]
    if report["beats_int8"]:
        lines += ["", f"beat the plain int8 model on instructions or flash at <= {ACCURACY_SLACK:.0%} accuracy loss:",
                  table(["board", *HEAD], [[rows_by_key[w]["params"]["board"], *_row_cells(rows_by_key[w])]
                                           for w in report["beats_int8"]], "lrrrrl")]
    for i, c in enumerate(report["constraints"], 1):
        lines.append("")
        if c["best"] is not None:
            lines += [f"constraint set {i} ({c['bounds']}): best point on {rows_by_key[c['best']]['params']['board']}: "
                      f"{'  '.join(map(str, _row_cells(rows_by_key[c['best']])))}", f"  {c['command']}"]
        else:
            lines += [f"constraint set {i} ({c['bounds']}): no point meets the constraints; the nearest:",
                      table(["board", *HEAD, "misses"],
                            [[rows_by_key[k]["params"]["board"], *_row_cells(rows_by_key[k]), miss]
                             for k, miss in c["nearest"]], "lrrrrll")]
    return "\n".join(lines)


def write_report(result, ctx: dict) -> dict:
    """report.json, pareto.png and best/ in the sweep's folder; returns the report with its text."""
    rows, spec, out = result.rows, result.spec, result.out
    ok = [r for r in rows if r["status"] == "ok"]
    failed = [r for r in rows if r["status"] != "ok"]
    boards = sorted({r["params"]["board"] for r in rows})
    report = {"summary": f"sweep {spec.path.stem}: {len(rows)} points ({len(ok)} ok, {len(failed)} failed) in "
                         f"{result.seconds:.0f} s; {result.ran} run now, {len(rows) - result.ran} from the store",
              "fronts": {b: {m: [r["key"] for r in pareto([r for r in rows if r["params"]["board"] == b], m)]
                             for m in FRONT_METRICS} for b in boards},
              "beats_int8": [w["key"] for w in beats_int8(rows)],
              "failed": [{"key": r["key"], "params": r["params"], "reason": r["reason"]} for r in failed],
              "constraints": []}
    for i, bounds in enumerate(spec.constraints, 1):
        best = best_for(rows, bounds, spec.objectives)
        entry = {"bounds": " and ".join(map(str, bounds)), "best": None, "command": None, "nearest": []}
        if best is not None:
            entry.update(best=best["key"], command=_point_files(best, ctx, out / "best" / f"set{i}"))
        else:
            entry["nearest"] = [(r["key"], ", ".join(str(b) for b in bounds if not b.holds(r)))
                                for r in nearest(rows, bounds)]
        report["constraints"].append(entry)
    by_key = {r["key"]: r for r in rows}
    report["text"] = render(report, by_key)
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    if ok:
        from tinygen.sweep.plot import plot_fronts

        report["png"] = str(plot_fronts(rows, report["fronts"], out / "pareto.png"))
    return report
