"""The figures' engine: generated blocks in README.md and docs/, stored JSON, comparison and lint.

The commands and what a figure is (its markers, its stored JSON, what `check` compares and
what `lint` flags) are described in benchmarks/figures.py; the figures themselves are
benchmarks/figure_list.py's.
"""

from __future__ import annotations

import argparse
import json
import os
import math
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from figure_env import environment

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TICK = 40                       # the Cortex-M stand-ins' timer counts executed instructions in steps of 40
# where a row names its stand-in (its "machine"), that machine's step: the AN505's 20 MHz timer and the
# AN547's 32 MHz system counter (firmware/ports/mps2/tg_port_mps2.c)
TICKS = {"mps2-an386": 40, "mps2-an500": 40, "mps2-an505": 50, "mps3-an547": 31.25}


@dataclass(frozen=True)
class Figure:
    """One generated block: how to measure it, how to render it, what of it is deterministic.

    measure(workdir, quick) runs the benchmark (a subprocess, from the repository root) and
    returns its JSON-able result; render(data) returns the block's Markdown. Values under a
    key named in `volatile` (wall times, the commit) are shown but never compared. Lists of
    dicts are matched row by row on the keys in `rows` (a quick measurement compares the rows
    it has)."""
    name: str
    title: str
    measure: Callable[[Path, bool], object]
    render: Callable[[object], str]
    minutes: float                               # rough cost of a full measurement on 2 idle cores
    quick_minutes: float | None = None           # None: --quick measures the whole figure
    volatile: tuple[str, ...] = ()
    rows: tuple[str, ...] = ()
    tolerant: tuple[str, ...] = field(default=("per_mac", "speedup", "ratio", "energy", "mj", "per_inference"))
    counts: tuple[str, ...] = ()                 # keys (besides any named *instruction*) holding instruction counts
    rel_tol: float = 1e-3                        # how far a `tolerant` value may move (relative); the figure says why
    recheck: bool = True                         # False: a wall-time figure, shown with its date, never re-measured
    depends: tuple[str, ...] | None = None       # figure_env.CPU and the TOOLS whose versions move its values; () none
    why: str = ""                                # which of its values depend on them, and how


# ---------------------------------------------------------------------------------------- running

def python(*args: str | Path, cwd: Path = ROOT, env: dict | None = None, timeout: float | None = None) -> str:
    """Run a script with this interpreter from the repository root; its stdout, or SystemExit with its tail."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    done = subprocess.run([sys.executable, *map(str, args)], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise SystemExit(f"{' '.join(map(str, args))} exited {done.returncode}:\n{tail}")
    return done.stdout


def rows_main(doc: str, quick_help: str, measure: Callable[[bool], list]) -> int:
    """A figure's benchmark command line, `[--quick] [--json FILE]`: measure(quick) prints its rows
    and returns them; --json writes them (a list of dicts) where the figure's measure reads them."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=quick_help)
    ap.add_argument("--json", type=Path, help="write the rows here")
    args = ap.parse_args()
    rows = measure(args.quick)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def rows_measure(script: str) -> Callable[[Path, bool], list]:
    """A Figure's measure for a benchmark with rows_main's command line: runs `script`
    [--quick] --json in the work folder and returns its rows."""
    def measure(work: Path, quick: bool) -> list:
        args = [script, "--json", work / "out.json"]
        python(*(args + ["--quick"] if quick else args))
        return json.loads((work / "out.json").read_text())
    return measure


def git_commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--abbrev=7"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def stored_path(name: str) -> Path:
    return RESULTS / f"{name}.json"


def load(name: str) -> dict | None:
    path = stored_path(name)
    return json.loads(path.read_text()) if path.exists() else None


def store(fig: Figure, data: object) -> dict:
    record = {"figure": fig.name, "commit": git_commit(), "date": date.today().isoformat(), "data": data}
    if fig.depends:                         # the CPU and the tools' versions it was measured with
        record["environment"] = environment(fig.depends)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stored_path(fig.name).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return record


# ---------------------------------------------------------------------------------------- blocks

def begin_marker(name: str) -> str:
    return (f"<!-- figure {name}: generated by benchmarks/figures.py from benchmarks/results/{name}.json; "
            "do not edit -->")


def end_marker(name: str) -> str:
    return f"<!-- /figure {name} -->"


BLOCK = re.compile(r"<!-- figure (?P<name>[\w-]+):[^\n]*-->\n(?P<body>.*?)\n?<!-- /figure (?P=name) -->", re.S)


def documents() -> list[Path]:
    docs = sorted((ROOT / "docs").rglob("*.md")) if (ROOT / "docs").is_dir() else []
    return [ROOT / "README.md", *docs]


def block_text(fig: Figure, record: dict) -> str:
    """The block's Markdown: the rendered figure and the line saying where and when it was measured."""
    body = fig.render(record["data"]).rstrip("\n")
    checked = ("re-checked by `make check-figures`" if fig.recheck
               else "wall times: shown with their date, not re-measured by `make check-figures`")
    return (f"{body}\n\n<sub>Measured at `{record['commit']}` on {record['date']} "
            f"(`benchmarks/results/{fig.name}.json`); {checked}.</sub>")


def render_documents(figures: dict[str, Figure], write: bool = True) -> list[str]:
    """Rewrite every block from the stored JSON; the problems (unknown figure, no JSON, a hand edit when not writing)."""
    problems = []
    for doc in documents():
        text = doc.read_text()

        def fill(m: re.Match) -> str:
            name = m["name"]
            fig, record = figures.get(name), load(name)
            if fig is None:
                problems.append(f"{doc.relative_to(ROOT)}: block {name!r} names no figure in benchmarks/figure_list.py")
                return m[0]
            if record is None:
                problems.append(f"{doc.relative_to(ROOT)}: figure {name!r} has no benchmarks/results/{name}.json "
                                f"(run: benchmarks/figures.py measure {name})")
                return m[0]
            fresh = block_text(fig, record)
            if not write and m["body"].strip("\n") != fresh:
                problems.append(f"{doc.relative_to(ROOT)}: figure {name!r} differs from what its JSON renders "
                                f"(edited by hand? run: benchmarks/figures.py render)")
            return f"{begin_marker(name)}\n{fresh}\n{end_marker(name)}"

        new = BLOCK.sub(fill, text)
        if write and new != text:
            doc.write_text(new)
    return problems


# ---------------------------------------------------------------------------------------- comparing

def _tolerant(path: str, fig: Figure) -> bool:
    return any(t in path.lower() for t in fig.tolerant)


def compare(fig: Figure, old: object, new: object, path: str = "", quick: bool = False,
            tick: float = TICK) -> list[str]:
    """The differences between a stored and a fresh measurement, as 'path: stored -> fresh' lines
    (instruction counts within `tick`, or the tick of the stand-in a row names)."""
    key = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if key in fig.volatile:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        tick = TICKS.get(old.get("machine"), tick)
        out = []
        for k in sorted(set(old) | set(new)):
            if k in fig.volatile:
                continue
            sub = f"{path}.{k}" if path else str(k)
            if k not in new:
                if not quick:
                    out.append(f"{sub}: stored {_short(old[k])}, not measured now")
            elif k not in old:
                out.append(f"{sub}: not stored, now {_short(new[k])}")
            elif isinstance(old[k], (int, float)) and isinstance(old.get(f"{k}_readings"), int):
                out += compare_count(sub, old[k], new[k], ticks=max(1, old[f"{k}_readings"]), tick=tick)
            else:
                out += compare(fig, old[k], new[k], sub, quick, tick)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if fig.rows and all(isinstance(r, dict) for r in old + new):
            ident = lambda r: "/".join(str(r.get(k)) for k in fig.rows)     # noqa: E731
            olds, news = {ident(r): r for r in old}, {ident(r): r for r in new}
            out = []
            for k in olds.keys() | news.keys():
                if k not in news:
                    if not quick:
                        out.append(f"{path}[{k}]: stored row, not measured now")
                elif k not in olds:
                    out.append(f"{path}[{k}]: a new row")
                else:
                    out += compare(fig, olds[k], news[k], f"{path}[{k}]", quick, tick)
            return out
        if len(old) != len(new):
            return [f"{path}: {len(old)} items stored, {len(new)} now"]
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in compare(fig, a, b, f"{path}[{i}]", quick, tick)]
    if isinstance(old, bool) or isinstance(new, bool) or not isinstance(old, (int, float)) \
            or not isinstance(new, (int, float)):
        return [] if old == new else [f"{path}: stored {_short(old)}, now {_short(new)}"]
    if key in fig.counts or ("instruction" in key.lower() and not _tolerant(key, fig)):
        return compare_count(path, old, new, tick=tick)
    if _tolerant(path, fig):               # a derived value, or one under a derived record (energy.joules)
        ok = math.isclose(old, new, rel_tol=fig.rel_tol, abs_tol=1e-9)
        return [] if ok else [f"{path}: stored {old}, now {new}"]
    return [] if old == new else [f"{path}: stored {_short(old)}, now {_short(new)}"]


def compare_count(path: str, old: int | float, new: int | float, ticks: int = 1, tick: float = TICK) -> list[str]:
    """An instruction count read from the stand-in's timer: equal within one tick per counter
    interval it sums (a count stored beside `<key>_readings` sums that many intervals, each
    started at a host-timed moment, e.g. one per chunk of a frame that arrives over serial). A
    fractional tick (the AN547's 31.25) floors each reading: up to its next whole number."""
    if abs(old - new) <= math.ceil(tick * ticks):
        return []
    within = f"the {tick:g}-instruction tick" if ticks == 1 else f"{ticks} readings x the {tick:g}-instruction tick"
    return [f"{path}: stored {old:,}, now {new:,} (more than {within})"]


def _short(v: object) -> str:
    s = json.dumps(v) if not isinstance(v, str) else repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


# ---------------------------------------------------------------------------------------- lint

UNIT = (r"(?:instructions?|instr\.|B|bytes?|KiB|MiB|KB|kB|MB|%|inf/s|inf\./sec\.?|s|sec|seconds?|ms|min|minutes?"
        r"|×|x|cycles|MACs?|points/min|mJ|µJ|uJ|mA|mW|M)")
MEASURE = re.compile(rf"(?<![\w.`/-])(\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?{UNIT}(?![\w/])"
                     rf"|(?<![\w.`/-])\d{{1,3}}(?:,\d{{3}})+(?![\w,])")
CODE_SPAN = re.compile(r"`[^`\n]*`")


def lint(paths: list[Path] | None = None) -> list[str]:
    """'file:line: number  (the line)' for each measurement-like number outside generated blocks and code spans."""
    out = []
    for doc in paths or documents():
        text = BLOCK.sub(lambda m: "\n" * m[0].count("\n"), doc.read_text())
        for no, line in enumerate(text.splitlines(), 1):
            bare = CODE_SPAN.sub("", line)
            if bare.lstrip().startswith("<!--"):
                continue
            for m in MEASURE.finditer(bare):
                rel = doc.relative_to(ROOT) if doc.is_relative_to(ROOT) else doc
                out.append(f"{rel}:{no}: {m[0].strip()!r}  {line.strip()[:100]}")
    return out


