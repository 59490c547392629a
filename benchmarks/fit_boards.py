"""The fit table of benchmarks/mlperf_standin.py (--fit): per board and model, the default
kernel choice fitted to the board's flash (tinygen.fit), built, linked and run once after a
warm-up on the board's stand-in.

    rows = fit_rows(models, boards, kernels="auto", cmsis_nn=None, timeout=60)
    print(fit_table(rows))

A row says whether the model fits the board with the default choice (no: the fit error's
first line), whether the fastest kernels alone fit, the linked flash and RAM, the executed
instructions, and the layers traded (kernel used instead of the fastest, flash saved,
instructions added as the trade counted them: measured under auto, else estimated).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

FIT_BOARDS = ("f746zg", "f767zi", "f446re")


def fit_row(path: Path, board, kernels: str, cmsis_nn: str | None, timeout: float, work: Path) -> dict:
    from tinygen.fit.autotune import compile_auto
    from tinygen.build.memory import MemoryFitError
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.fit import fit_model
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions

    source = load_source(path)
    options = CompileOptions(features=board.isa_features, kernels=kernels, cmsis_nn=cmsis_nn)
    row = {"model": source.name, "board": board.name, "kernels": kernels}
    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        graph = (compile_auto(source, None, options, board, log, timeout=timeout) if kernels == "auto"
                 else compile_source(source, None, options))
        graph = fit_model(source, None, options, board, graph, log)
        result = build(source, graph, board, work / f"{source.name}-{board.name}")
    except MemoryFitError as e:
        return {**row, "fits": False, "error": e.message}
    fit = graph.meta["fit"]
    elf = result.manifest["memory"]["firmware.elf"]
    x = np.random.default_rng(0).integers(-128, 128, size=source.input_shape).astype(np.int8)
    with open_device(board, result.out_dir, emulate=True, timeout=timeout) as dev:
        dev.run(x.tobytes())                       # warm-up
        _, count = dev.run(x.tobytes())
    return {**row, "fits": True, "fastest_fits": fit["flash_fastest"] <= fit["flash"]["capacity"],
            "flash_fastest_predicted": fit["flash_fastest"], "flash_predicted": fit["flash"]["used"],
            "flash": elf["flash"]["used"], "flash_capacity": elf["flash"]["capacity"],
            "ram": elf["ram"]["used"], "ram_capacity": elf["ram"]["capacity"], "instructions": count,
            "traded": fit["traded"], "instructions_added": fit["instructions_added"]}


def fit_rows(paths: list[Path], boards: list, kernels: str, cmsis_nn: str | None, timeout: float) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for board in boards:
            for path in paths:
                print(f"fitting {path.name} to {board.name} (--kernels {kernels})...", file=sys.stderr, flush=True)
                rows.append(fit_row(path, board, kernels, cmsis_nn, timeout, Path(tmp)))
    return rows


def fit_table(rows: list[dict]) -> str:
    from tinygen.report import human_bytes, table

    out = []
    for r in rows:
        if not r["fits"]:
            out.append([r["board"], r["model"], "NO", "-", "-", "-", "-", r["error"]])
            continue
        traded = "; ".join(f"{t['layer']} {t['kernel']} (-{human_bytes(t['flash_saved'])}, "
                           f"+{t['instructions_added']:,})" for t in r["traded"]) or "-"
        out.append([r["board"], r["model"], "yes", "yes" if r["fastest_fits"] else "no",
                    f"{human_bytes(r['flash'])} / {human_bytes(r['flash_capacity'])}",
                    f"{human_bytes(r['ram'])} / {human_bytes(r['ram_capacity'])}", f"{r['instructions']:,}", traded])
    return table(["board", "model", "fits", "fastest fits", "flash (linked)", "RAM (linked)", "instructions",
                  "traded (flash saved, instructions added)"], out, "lllllrrl")


__all__ = ["FIT_BOARDS", "fit_row", "fit_rows", "fit_table"]
