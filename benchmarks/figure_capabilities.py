"""The figures of the guide's tiling, camera, audio, energy, sweep and MLPerf-runner pages (benchmarks/figures.py).

Each Figure names the benchmark that measures it and renders its JSON as the Markdown between
the figure's markers; benchmarks/figure_list.py collects them with the README's.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from cycle_estimates import PUBLISHED_F746
from figure_engine import ROOT, Figure, python
from tinygen.report import human_bytes
from tinygen.sweep.report import describe, is_int8_baseline


def _read(path: Path):
    return json.loads(path.read_text())


# ---------------------------------------------------------------------------------------- tiling: row bands

BAND_SPECS = ("vww_mobilenet:conv2d_8:10", "ic_resnet8:add_7:8")
BAND_QUICK = ("ic_resnet8:add_7:8",)
BAND_MODELS = {"vww_mobilenet": "VWW", "ic_resnet8": "IC", "kws_dscnn": "KWS", "ad_autoencoder": "AD"}


def measure_bands(work: Path, quick: bool) -> list:
    python("benchmarks/band_standin.py", *(BAND_QUICK if quick else BAND_SPECS), "--json", work / "bands.json")
    return _read(work / "bands.json")


def render_bands(rows: list) -> str:
    lines = ["| model | split, bands | arena B | banded | input staging B | RAM B | banded | instructions "
             "| banded | extra | outputs |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {BAND_MODELS.get(r['model'], r['model'])} | {r['split']}, {r['bands']} "
                     f"| {r['arena_plain']:,} | **{r['arena_banded']:,}** | {r['input_bytes']:,} | {r['ram_plain']:,} "
                     f"| {r['ram_banded']:,} | {r['instructions_plain']:,} | {r['instructions_banded']:,} "
                     f"| {r['extra_instructions']:+.1%} | {'equal' if r['equal_outputs'] else '**differ**'} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- MobileNetV2 on the F446RE

MOBILENET = "examples/mobilenetv2/model.py"
MOBILENET_CASES = ("add_24:bands:8", "add_24:2x4")
MOBILENET_QUICK = ("add_24:bands:8",)


def measure_mobilenet(work: Path, quick: bool) -> list:
    """benchmarks/tiling.py --no-run: compiled and fitted for the F446RE as `tinygen build` does, planned, not run."""
    cases = [a for c in (MOBILENET_QUICK if quick else MOBILENET_CASES) for a in ("--case", MOBILENET, "f446re", c)]
    python("benchmarks/tiling.py", "--no-run", *cases, "--out", work / "tiling.json")
    out = []
    for r in _read(work / "tiling.json"):
        tiled = next(b for b in r["builds"] if b["standin"] == r["board"] and b["tiling"] == r["setting"])
        out.append({"setting": r["setting"], "board": r["board"], "untiled_arena": r["untiled_arena"],
                    "untiled_ram": r["untiled_ram"], "untiled_fits": r["untiled_fits"], "macs": r["macs"],
                    "arena": tiled.get("arena"), "ram": tiled.get("ram"), "tiled_macs": tiled.get("macs"),
                    "error": tiled.get("error")})
    return out


def render_mobilenet(rows: list) -> str:
    lines = ["| build for the F446RE | arena B | RAM B (arena + input buffer + stack + runtime) | RAM / untiled "
             "| MACs | extra MACs |", "|---|---:|---:|---:|---:|---:|"]
    first = rows[0]
    fits = "" if first["untiled_fits"] else " (does not fit)"
    lines.append(f"| untiled | {first['untiled_arena']:,} | {first['untiled_ram']:,}{fits} | 1.00 "
                 f"| {first['macs']:,} | - |")
    for r in rows:
        kind = "row bands" if ":bands:" in r["setting"] else "recompute tiles"
        split, _, how = r["setting"].partition(":")
        label = f"`{split}`, {how.replace('bands:', '')} {kind}"
        if r["arena"] is None:
            lines.append(f"| {label} | {r['error']} | | | | |")
            continue
        lines.append(f"| {label} | {r['arena']:,} | {r['ram']:,} | {r['ram'] / r['untiled_ram']:.2f} "
                     f"| {r['tiled_macs']:,} | {r['tiled_macs'] / r['macs'] - 1:+.1%} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- camera preprocessing

def measure_camera(work: Path, quick: bool) -> list:
    # the Cortex-M7 and M4, and the M55 (Helium area paths); quick: the M7
    boards = ("f746zg",) if quick else ("f746zg", "f446re", "n6570")
    python("benchmarks/camera_preprocess.py", "--boards", *boards, "--json", work / "camera.json")
    return [{k: v for k, v in r.items() if k != "per_pixel"} for r in _read(work / "camera.json")]   # rendered


def _pixels(region: str) -> int:
    w, h = region.split("x")
    return int(w) * int(h)


def render_camera(rows: list) -> str:
    lines = ["| board (stand-in) | frame | region | preprocessing | per region pixel | network (VWW) "
             "| preprocessing / network | input == twin |", "|---|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['board']} | {r['frame']} {r['format']} | {r['region']} | {r['preprocess']:,} "
                     f"| {r['preprocess'] / _pixels(r['region']):.1f} | {r['network']:,} | {r['preprocess'] / r['network']:.0%} "
                     f"| {'yes' if r['input_equal_twin'] else '**no**'} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- audio front end

def measure_audio(work: Path, quick: bool) -> list:
    boards = ("f746zg",) if quick else ("f746zg", "f446re", "esp32-c3", "stm32n6570-dk")
    python("benchmarks/audio_frontend.py", "--boards", *boards, "--json", work / "audio.json")
    return _read(work / "audio.json")


def render_audio(rows: list) -> str:
    lines = ["| board | front end | instructions / frame (clip mode) | instructions / frame (stream, hop 2) "
             "| instructions / window (stream, each inference) | of a 20 ms frame at the clock | front end RAM "
             "| tables (flash) | network instructions |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        share = r["stream_per_frame"] / (r["clock_hz"] * 0.020)
        clip = f"{r['clip_per_frame_min']:,.0f}-{r['clip_per_frame_max']:,.0f}"
        lines.append(f"| {r['board']} | {r['frontend']} | {clip} "
                     f"| {r['stream_per_frame']:,.0f} | {r['stream_window_per_inference']:,.0f} | {share:.2%} "
                     f"| {human_bytes(r['ram_bytes'])} "
                     f"| {human_bytes(r['flash_table_bytes'])} | {r['network_per_inference']:,.0f} |")
    return "\n".join(lines)


def measure_audio_stages(work: Path, quick: bool) -> list:
    boards = ("n6570",) if quick else ("f746zg", "n6570")
    python("benchmarks/audio_stages.py", "--boards", *boards, "--json", work / "stages.json")
    return _read(work / "stages.json")


def render_audio_stages(rows: list, floors: bool = True) -> str:
    boards = [k[:-len(" instructions")] for k in rows[0] if k.endswith(" instructions")]
    lines = ["| stage | " + " | ".join(f"{b} (instructions)" for b in boards)
             + (" | floor, scalar FPU (estimate) | floor, Helium (estimate) |" if floors else " |"),
             "|---|" + "---:|" * (len(boards) + 2 * floors)]
    for r in rows:
        cells = [f"~{r[k]:,}" if r[k] else "" for k in ("floor", "floor_mve")] if floors else []
        lines.append(f"| {r['stage']} | " + " | ".join([*(f"{r[b + ' instructions']:,}" for b in boards), *cells])
                     + " |")
    return "\n".join(lines)


def measure_audio_stages_q31(work: Path, quick: bool) -> list:
    boards = ("f746zg",) if quick else ("f746zg", "f446re")
    python("benchmarks/audio_stages.py", "--arithmetic", "q31", "--boards", *boards, "--json", work / "q31.json")
    return _read(work / "q31.json")


def render_audio_stages_q31(rows: list) -> str:
    return render_audio_stages(rows, floors=False)


# ---------------------------------------------------------------------------------------- keyword spotting

KWS_QUICK = ("dscnn int8",)


def measure_kws(work: Path, quick: bool) -> list:
    args = ["benchmarks/kws.py", "--standin", "--no-stream", "--work", work / "kws", "--json", work / "kws.json"]
    python(*args, *(("--models", *KWS_QUICK) if quick else ()))
    keep = ("model", "compiled", "stream_mode", "agreement", "standin", "bit_exact", "instructions", "flash", "ram",
            "weights", "arena")
    return [{k: r.get(k) for k in keep} for r in _read(work / "kws.json")["models"]]


def render_kws(rows: list) -> str:
    kib = lambda n: "" if n is None else human_bytes(n)          # noqa: E731
    lines = ["| model | int8, host reference | as stream windows | int8 on the f746zg stand-in | bit-exact "
             "| instructions / inference | flash | RAM | weights | arena |",
             "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    seen = set()
    for r in rows:
        image = r["model"].split(" w")[0] if r["model"].startswith("switchable") else r["model"]
        flash, ram = (kib(r["flash"]), kib(r["ram"])) if image not in seen else ("(one image)", "")
        seen.add(image)
        lines.append(f"| {r['model']} | {r['compiled']:.2%} | {r['stream_mode']:.2%} | {r['standin']:.2%} "
                     f"| {r['bit_exact']} | {r['instructions']:,.0f} | {flash} | {ram} | {kib(r['weights'])} "
                     f"| {kib(r['arena'])} |")
    return "\n".join(lines)


def measure_kws_stream(work: Path, quick: bool) -> list:
    """The streams through the f746zg stand-in's firmware (benchmarks/kws.py --no-clips --stream-device)."""
    roc = ROOT / "build" / "kws-stream" / "roc.png"          # the curves' plot outlives the measurement's folder
    roc.parent.mkdir(parents=True, exist_ok=True)
    args = ["benchmarks/kws.py", "--no-clips", "--stream-device", "--work", work / "kws", "--json", work / "kws.json",
            "--roc", roc]
    python(*args, *(("--streams", "demo", "--stream-models", "wakeword") if quick else ()))
    keep = ("model", "stream", "minutes", "keywords", "hits", "misses", "false_accepts", "false_accepts_per_hour",
            "latency_mean_s", "curve_hits", "exact", "events_equal_reference", "sums_equal_reference", "inferences")
    rows = []
    for r in _read(work / "kws.json")["streams"]:
        d, c = r["detector"], r["cost"] or {}
        rows.append({**{k: r[k] for k in keep}, "smooth": d["smooth"], "threshold": d["threshold"],
                     "refractory_s": d["refractory_samples"] / 16000, "tuned": r["tuned"],
                     "frontend_per_frame": c.get("frontend_per_frame"),
                     "window_per_inference": c.get("window_per_inference"),
                     "network_per_inference": c.get("network_per_inference"), "duty_cycle": c.get("duty_cycle")})
    return rows


def render_kws_stream(rows: list) -> str:
    lines = ["| model | stream (test voices) | detector | keywords | detected | false accepts | per hour "
             "| mean latency after the keyword | events, sums = host reference | duty cycle (216 MHz) |",
             "|---|---|---|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        how = "tuned on held-out voices" if r["tuned"] else "defaults"
        lat = "" if r["latency_mean_s"] is None else f"{r['latency_mean_s'] * 1e3:.0f} ms"
        same = f"{'yes' if r['events_equal_reference'] else 'no'}, {r['sums_equal_reference']:,}/{r['inferences']:,}"
        duty = "" if r["duty_cycle"] is None else f"{r['duty_cycle']:.1%}"
        lines.append(f"| {r['model']} | {r['stream']} ({r['minutes']:g} min) | smooth {r['smooth']}, threshold "
                     f"{r['threshold']:.3f}, refractory {r['refractory_s']:g} s ({how}) | {r['keywords']} "
                     f"| {r['hits']} ({r['hits'] / r['keywords']:.1%}) | {r['false_accepts']} "
                     f"| {r['false_accepts_per_hour']:.0f} | {lat} | {same} | {duty} |")
    budgets = sorted(rows[0]["curve_hits"], key=int) if rows else []
    lines += ["", "The most keywords detected at any threshold within a budget of false accepts per hour (the "
                  "curve, from the same sums):", "",
              "| model | stream | " + " | ".join(f"<= {b} per hour" for b in budgets) + " |",
              "|---|---|" + "---:|" * len(budgets)]
    for r in rows:
        cells = [f"{r['curve_hits'][b]} ({r['curve_hits'][b] / r['keywords']:.1%})" for b in budgets]
        lines.append(f"| {r['model']} | {r['stream']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- estimated cycles

CYCLE_MODELS = ("kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder")
CYCLE_QUICK = ("ad_autoencoder",)


def measure_cycles(work: Path, quick: bool) -> list:
    python("benchmarks/cycle_estimates.py", "--board", "f746zg", "--models", *(CYCLE_QUICK if quick else CYCLE_MODELS),
           "--json", work / "cycles.json")
    return [{"model": e["model_name"], "clock_hz": e["clock_hz"], "instructions": e["total"]["instructions"],
             "cycles": e["total"]["cycles"], "ms": e["total"]["ms"], "published_ms": PUBLISHED_F746[e["model_name"]]}
            for e in _read(work / "cycles.json")]


def render_cycles(rows: list) -> str:
    lines = ["| model | instructions (exact) | ms if 1 instruction = 1 cycle | est. ms | Plumerai v1.1 | HALE |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        pub = r["published_ms"]
        cell = lambda k: f"{pub[k]:g} (est. {r['ms'] / pub[k] - 1:+.0%})"       # noqa: E731
        lines.append(f"| {BAND_MODELS.get(r['model'], r['model'])} | {r['instructions']:,} "
                     f"| {r['instructions'] / r['clock_hz'] * 1e3:.2f} | {r['ms']:.2f} | {cell('Plumerai')} "
                     f"| {cell('HALE')} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- a small sweep

def sweep_spec(quick: bool) -> dict:
    """examples/sweep/digits.yaml cut down: layers 3 and 6 together at 8 or 4 bits x pruned 0 / 25 / 50%, f746zg."""
    return {"model": str(ROOT / "examples" / "lowbit" / "float_digits.py"),
            "data": f"{ROOT / 'examples' / 'sweep' / 'digits_data.py'}:test_set", "search": "grid",
            "space": {"bits": {"3,6": [8, 4]}, "prune": {"3,6": [0] if quick else [0, 0.25, 0.5]},
                      "kernels": ["tinygen"], "board": ["f746zg"]},
            "samples": 2, "objectives": ["max accuracy", "min instructions"]}


def measure_sweep(work: Path, quick: bool) -> list:
    spec = work / "sweep.yaml"
    spec.write_text(yaml.safe_dump(sweep_spec(quick)))
    python("-m", "tinygen", "sweep", spec, "--out", work / "sweep", "--workers", "2", "--quiet")
    keep = ("accuracy", "instructions", "flash", "ram", "bit_exact", "status")
    rows = [{"point": describe(r["params"]), "int8": is_int8_baseline(r["params"]), **{k: r.get(k) for k in keep}}
            for r in _read(work / "sweep" / "results.json")]
    return sorted(rows, key=lambda r: (not r["int8"], r["point"]))


def render_sweep(rows: list) -> str:
    base = next((r for r in rows if r["int8"] and r["status"] == "ok"), None)

    def delta(r: dict, k: str) -> str:
        return "" if base is None or r is base else f" ({r[k] / base[k] - 1:+.0%})"

    lines = ["| point (f746zg, no fine-tuning) | accuracy | instructions | flash | RAM | stand-in outputs |",
             "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        label = "plain int8" if r["int8"] else f"`{r['point'].removesuffix(' tinygen')}`"
        if r["status"] != "ok":
            lines.append(f"| {label} | {r['status']} | | | | |")
            continue
        lines.append(f"| {label} | {r['accuracy']:.2%} | {r['instructions']:,}{delta(r, 'instructions')} "
                     f"| {r['flash']:,} B{delta(r, 'flash')} | {r['ram']:,} B | {r['bit_exact']} |")
    return "\n".join(lines)


FIGURES: list[Figure] = [
    Figure("bands-standin", "row bands on the f746zg stand-in: arena, RAM, instructions (benchmarks/band_standin.py)",
           measure_bands, render_bands, minutes=1.5, quick_minutes=0.5, rows=("model", "split", "bands"),
           tolerant=("extra",)),
    Figure("mobilenetv2-f446re", "MobileNetV2 0.35 tiled for the F446RE: arena, RAM, MACs (benchmarks/tiling.py "
           "--no-run)", measure_mobilenet, render_mobilenet, minutes=2.5, quick_minutes=1, rows=("setting",)),
    Figure("camera-preprocess", "camera preprocessing vs the VWW network on the stand-ins "
           "(benchmarks/camera_preprocess.py)", measure_camera, render_camera, minutes=2.5, quick_minutes=0.5,
           rows=("board", "format", "frame"), counts=("network",),
           # the preprocessing count sums one timer interval per chunk (preprocess_readings), each read to the
           # stand-in's 40-instruction tick: compared within a tick a chunk (per region pixel: rendered from it)
           ),
    Figure("audio-frontend", "the audio front end's instructions per frame and RAM (benchmarks/audio_frontend.py)",
           measure_audio, render_audio, minutes=1.5, quick_minutes=0.5, rows=("board",),
           counts=("clip_per_frame_min", "clip_per_frame_max", "stream_per_frame", "stream_window_per_inference",
                   "network_per_inference")),
    Figure("audio-stages", "the float MFCC front end per stage, scalar and Helium, beside its floor "
           "(benchmarks/audio_stages.py)", measure_audio_stages, render_audio_stages, minutes=0.5,
           quick_minutes=0.3, rows=("stage",)),
    Figure("audio-stages-q31", "the fixed-point MFCC front end per stage, portable and DSP-extension kernels "
           "(benchmarks/audio_stages.py --arithmetic q31)", measure_audio_stages_q31, render_audio_stages_q31,
           minutes=0.5, quick_minutes=0.3, rows=("stage",)),
    Figure("kws-models", "keyword spotting on the synthesized corpus's test clips, host and f746zg stand-in "
           "(benchmarks/kws.py --standin --no-stream)", measure_kws, render_kws, minutes=3.5, quick_minutes=0.8,
           rows=("model",)),
    Figure("kws-stream", "keywords detected and false accepts per hour on the evaluation streams, f746zg stand-in "
           "(benchmarks/kws.py --no-clips --stream-device)", measure_kws_stream, render_kws_stream, minutes=20,
           quick_minutes=3, rows=("model", "stream"), tolerant=("per_frame", "per_inference", "duty_cycle")),
    Figure("cycle-estimates", "estimated ms of the MLPerf Tiny models on the F746 (benchmarks/cycle_estimates.py)",
           measure_cycles, render_cycles, minutes=1, quick_minutes=0.3, rows=("model",), tolerant=("cycles", "ms")),
    Figure("sweep-digits", "a small design-space sweep of the digits CNN (tinygen sweep)", measure_sweep,
           render_sweep, minutes=2, quick_minutes=0.7, rows=("point",)),
]
