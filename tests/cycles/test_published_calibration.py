"""benchmarks/calibration/published.json, the published real-board latencies that calibrate the
timing models (issue 72): every point cites its source, its cycles follow from its clock and
latency, a point marked usable for calibration is a CPU-only TFLM + CMSIS-NN run, each core
that tinygen models has such a point or the file says that none was found, and a point priced
with its own part's memory system (`timing`) names only [timing] keys, each cited."""

import copy
import json
import re
from pathlib import Path

PUBLISHED = Path(__file__).resolve().parents[2] / "benchmarks" / "calibration" / "published.json"
CORES = ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
FIELDS = ("id", "core", "clock_hz", "software_stack", "stack_class", "model", "latency_ms", "latency_basis",
          "cycles", "memory_setup", "cpu_only", "usable_for_calibration", "reason", "source")


def source_problem(src) -> str | None:
    if not isinstance(src, dict):
        return "no source"
    if src.get("url", "").startswith("https://"):
        return None
    if not (src.get("repo", "").count("/") == 1 and src.get("path")):
        return "source names neither a URL nor a repository and path"
    if not re.fullmatch(r"[0-9a-f]{40}", src.get("commit", "")):
        return "source has no 40-digit commit"
    return None


# the [timing] keys a point may give for its own part (boards/README.md); never `model`: the core stays the stand-in's
PART_TIMING = ("flash_wait_states", "code_cache_bytes", "code_line_bytes", "data_cache_bytes", "data_line_bytes",
               "data_cache_shared", "data_miss_cycles", "weights_in", "sram_read_wait_states")


def timing_problems(p: dict) -> list[str]:
    """A point's own part's [timing]: known keys only, each with a source (repository, commit, path(s), what it
    says)."""
    name, out = p.get("id", "?"), []
    for key in p.get("timing") or {}:
        src = (p.get("timing_source") or {}).get(key)
        if key not in PART_TIMING:
            out.append(f"{name}: timing key {key} is not a part's [timing] key")
        elif not isinstance(src, dict) or not src.get("says"):
            out.append(f"{name}: timing {key} has no source saying it")
        elif (why := source_problem({**src, "path": src.get("path") or ",".join(src.get("paths", []))})) is not None:
            out.append(f"{name}: timing {key}: {why}")
    return out


def point_problems(p: dict) -> list[str]:
    name = p.get("id", "?")
    missing = [f for f in FIELDS if f not in p]
    if missing:
        return [f"{name}: missing {', '.join(missing)}"]
    out = timing_problems(p)
    if (why := source_problem(p["source"])) is not None:
        out.append(f"{name}: {why}")
    if not p["reason"] or not p["software_stack"]:
        out.append(f"{name}: empty reason or software stack")
    if not (isinstance(p["latency_ms"], (int, float)) and p["latency_ms"] > 0):
        out.append(f"{name}: latency_ms {p['latency_ms']!r} is not a positive number")
        return out
    if p["clock_hz"] is None:
        if p["cycles"] is not None:
            out.append(f"{name}: cycles given without a clock")
    elif not isinstance(p["cycles"], int) or abs(p["cycles"] - p["clock_hz"] * p["latency_ms"] / 1000) > 1:
        out.append(f"{name}: cycles {p['cycles']} != clock {p['clock_hz']} x {p['latency_ms']} ms")
    thr = p.get("median_throughput_inf_per_s")
    if thr is not None and abs(p["latency_ms"] * thr / 1000 - 1) > 1e-5:
        out.append(f"{name}: latency {p['latency_ms']} ms is not 1000 / the median throughput {thr}")
    if p["usable_for_calibration"] and not (p["stack_class"] == "tflm+cmsis-nn" and p["cpu_only"] and p["clock_hz"]):
        out.append(f"{name}: marked usable but not a CPU-only TFLM + CMSIS-NN run with a stated clock")
    return out


def problems(doc: dict) -> list[str]:
    points = doc.get("points") or []
    out = [msg for p in points for msg in point_problems(p)]
    ids = [p.get("id") for p in points]
    out += [f"{i}: id repeated" for i in sorted({i for i in ids if ids.count(i) > 1})]
    none_found = doc.get("cores_without_usable_point", {})
    for core in CORES:
        usable = [p for p in points if p.get("core") == core and p.get("usable_for_calibration")]
        if usable and core in none_found:
            out.append(f"{core}: said to have no usable point, yet {len(usable)} are marked usable")
        if not usable and not str(none_found.get(core, "")).strip():
            out.append(f"{core}: no usable TFLM + CMSIS-NN point and no statement that none was found")
    return out


def load() -> dict:
    return json.loads(PUBLISHED.read_text(encoding="utf-8"))


def test_published_points_are_consistent():
    doc = load()
    assert problems(doc) == []
    assert len(doc["points"]) > 0


def test_checker_catches_each_kind_of_error():
    doc = load()
    usable = next(i for i, p in enumerate(doc["points"]) if p["usable_for_calibration"] and p["core"] in CORES)
    mlperf = next(i for i, p in enumerate(doc["points"]) if p.get("median_throughput_inf_per_s"))

    def broken(change) -> list[str]:
        bad = copy.deepcopy(doc)
        change(bad)
        return problems(bad)

    off = doc["points"][usable]["cycles"] + 1000
    assert any("cycles" in m for m in broken(lambda d: d["points"][usable].update(cycles=off)))
    assert any("missing source" in m for m in broken(lambda d: d["points"][usable].pop("source")))
    assert any("commit" in m for m in broken(lambda d: d["points"][usable]["source"].update(commit="main")))
    wrong_rate = broken(lambda d: d["points"][mlperf].update(median_throughput_inf_per_s=1.0))
    assert any("median throughput" in m for m in wrong_rate)
    assert any("marked usable" in m for m in broken(lambda d: d["points"][usable].update(stack_class="other")))
    assert any("id repeated" in m for m in broken(lambda d: d["points"].append(d["points"][usable])))
    part = next(i for i, p in enumerate(doc["points"]) if p.get("timing"))
    key = next(iter(doc["points"][part]["timing"]))
    assert any("no source" in m for m in broken(lambda d: d["points"][part]["timing_source"].pop(key)))
    assert any("commit" in m for m in broken(lambda d: d["points"][part]["timing_source"][key].update(commit="x")))
    assert any("not a part's" in m for m in broken(lambda d: d["points"][part]["timing"].update(model="cortex-m7")))
    core = doc["points"][usable]["core"]

    def drop_core(d):
        d["points"] = [p for p in d["points"] if p["core"] != core or not p["usable_for_calibration"]]
    assert any(m.startswith(core) for m in broken(drop_core))
