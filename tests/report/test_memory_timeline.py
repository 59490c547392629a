"""`tinygen inspect --memory` lists the buffers live at each op, and `--plot`
draws the plan as a PNG."""

from __future__ import annotations

import re

from e2e import compile_example
from tinygen.cli import main
from tinygen.report.inspect import live_buffers, memory_report


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


def test_memory_report_shows_bound_order_scratch_and_overlaps_dscnn():
    from tinygen.board import get_board
    from tinygen.compiler import compile_source
    from tinygen.passes import CompileOptions

    from e2e import example_source

    graph = compile_source(example_source("dscnn"), options=CompileOptions(features=get_board("f746zg").isa_features))
    plan = graph.meta["memory"]
    text = memory_report(graph)
    head = text.splitlines()[0]
    assert f"arena {plan.arena_size} B = lower bound {plan.lower_bound} B" in head
    over = plan.arena_size - plan.lower_bound
    assert (f"+ {over} B" in head) if over else "(optimal)" in head
    order = next(ln for ln in text.splitlines() if ln.startswith("op order"))
    assert order.endswith(" → ".join(n.name for n in graph.nodes))
    scratch = [b for b in plan.buffers if b.name.endswith(".scratch")]
    assert scratch, "the DSP kernels take scratch"
    assert f"scratch: {len(scratch)} buffers, {sum(b.size for b in scratch)} B" in text
    for b in scratch:
        assert re.search(rf"^{re.escape(b.name)}\s+scratch\s+{b.offset}\s+{b.size}\s", text, re.M)
    # every in-place pair listed with its distance and the bytes the placement shares
    section = text.split("in-place overlaps (")[1].split("live bytes per op:")[0]
    for s in plan.shares:
        row = re.search(rf"^{re.escape(s.output)}\s+{re.escape(s.input)}\s+{s.distance}\s+(\d+)$", section, re.M)
        assert row, s
        out = next(b for b in plan.buffers if b.name == s.output)
        inp = next(b for b in plan.buffers if b.name == s.input)
        shared = max(0, min(out.offset + out.size, inp.offset + inp.size) - max(out.offset, inp.offset))
        assert int(row.group(1)) == shared
    assert any(b > 0 for b in (int(m) for m in re.findall(r"(\d+)$", section, re.M)))
