"""`tinygen inspect --memory` lists the buffers live at each op, and `--plot`
draws the plan as a PNG."""

from __future__ import annotations

import re

from e2e import compile_example
from tinygen.cli import main
from tinygen.inspect_report import live_buffers, memory_report


def test_memory_report_lists_the_live_buffers_of_every_op_cnn():
    _, graph = compile_example("cnn")
    plan = graph.meta["memory"]
    text = memory_report(graph).split("live bytes per op:")[1]
    for i, node in enumerate(graph.nodes):
        live = [b for b in plan.buffers if b.first <= i <= b.last]
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(node.name + " "))
        size, names = re.search(r"(\d+) B  (.*)$", line).groups()
        assert int(size) == sum(b.size for b in live)
        assert names.split(", ") == live_buffers(plan, i) and sorted(names.split(", ")) == sorted(b.name for b in live)


def test_inspect_plot_writes_a_png_cnn(tmp_path, capsys):
    png = tmp_path / "mem.png"
    assert main(["inspect", "examples/models/cnn.py", "--memory", "--plot", str(png)]) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert "memory plot written to" in capsys.readouterr().err
