"""`tinygen inspect --measure` (tinygen/fit/tile_measure.py): tiling's extra instructions, the
untiled and the tiled build each run once after a warm-up on the board's stand-in. The small
CNN example (examples/models/cnn.py) is tiled by --tile auto in seconds."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from standin_lib import needs_qemu

ROOT = Path(__file__).resolve().parents[2]
CNN = ROOT / "examples" / "models" / "cnn.py"
MEASURED = re.compile(r"tiling, measured: ([+-][\d.]+)% instructions on the (\S+) stand-in \((\S+)\): "
                      r"([\d,]+) tiled vs ([\d,]+) untiled")


def _inspect(capsys, *extra: str) -> str:
    from tinygen.cli import main

    assert main(["inspect", str(CNN), "--kernels", "tinygen", "--tile", "auto", *extra]) == 0
    return capsys.readouterr().out


def test_inspect_measure_without_standin_says_so_host(capsys):
    """The host board has no instruction-counting stand-in: one line says so, the rest is printed."""
    out = _inspect(capsys, "--board", "host", "--memory", "--measure")
    assert "tiling: stage up to" in out             # tiling applied and shown
    assert ("tiling, measured: tiling's instructions not measured: the host board has no "
            "instruction-counting stand-in") in out
    assert "memory plan:" in out


def test_inspect_measure_without_qemu_says_so(capsys, monkeypatch):
    import tinygen.fit.standin

    real = tinygen.fit.standin.shutil.which
    monkeypatch.setattr(tinygen.fit.standin.shutil, "which", lambda name: None if name.startswith("qemu") else real(name))
    out = _inspect(capsys, "--board", "f746zg", "--measure")
    assert "tiling, measured: tiling's instructions not measured: qemu-system-arm not found" in out


def test_measure_untiled_model_says_nothing_to_measure(capsys):
    from tinygen.cli import main

    assert main(["inspect", str(CNN), "--kernels", "tinygen", "--board", "f746zg", "--tile", "off", "--measure"]) == 0
    assert "tiling, measured: tiling is off: nothing to measure" in capsys.readouterr().out


def _run_directly(source, graph, board, work: Path) -> int:
    """One inference after a warm-up, built as `tinygen build` builds (compiler.build), on the stand-in."""
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    size = sum(graph.tensor(t).nbytes for t in graph.inputs)
    x = np.random.default_rng(0).integers(-128, 128, size=size, dtype=np.int8).tobytes()
    result = build(source, graph, board, work)
    with open_device(board, result.out_dir, emulate=True) as dev:
        dev.run(x)
        _, count = dev.run(x)
    return count


@pytest.mark.slow
@needs_qemu
def test_inspect_measure_equals_direct_runs_f746zg(capsys, tmp_path):
    """The printed and JSON counts are those of building the untiled and the tiled graph and
    running each on the mps2-an500 stand-in directly (exactly: the stand-in's counts are exact)."""
    from tinygen.board import get_board
    from tinygen.compiler import compile_source, load_source
    from tinygen.passes import CompileOptions
    from tinygen.fit.tile_measure import applied_setting

    out = _inspect(capsys, "--board", "f746zg", "--measure", "--json", str(tmp_path / "i.json"))
    m = MEASURED.search(out)
    assert m, out
    data = json.loads((tmp_path / "i.json").read_text())["tiling_measured"]
    assert data["outputs_equal"] and data["standin"] == m[3] == "mps2-an500" and data["board"] == m[2]
    tiled, untiled = int(m[4].replace(",", "")), int(m[5].replace(",", ""))
    assert (tiled, untiled) == (data["tiled_instructions"], data["untiled_instructions"])
    assert float(m[1]) == pytest.approx(100 * (tiled / untiled - 1), abs=0.05)

    board = get_board("f746zg")
    source = load_source(CNN)
    calib = "random" if source.default_calibration is None else None
    options = CompileOptions(features=board.isa_features, kernels="tinygen")
    auto = compile_source(source, calib, CompileOptions(features=board.isa_features, kernels="tinygen", tile="auto"))
    setting = applied_setting(auto)
    assert setting is not None and list(data["setting"]) == json.loads(json.dumps(list(setting)))
    direct = {}
    for label, tile in (("untiled", "off"), ("tiled", setting)):
        g = compile_source(source, calib, replace(options, tile=tile))
        assert ("tile" in g.meta) == (label == "tiled")
        direct[label] = _run_directly(source, g, board, tmp_path / label)
    # the stand-in's counts are exact (the vernier reading of its 40-instruction timer): the same
    for label, printed in (("untiled", untiled), ("tiled", tiled)):
        assert direct[label] == printed, (label, direct[label], printed)
