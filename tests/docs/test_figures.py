"""benchmarks/figures.py: generated blocks, the comparison of a fresh measurement with the stored
one, and the lint of numbers outside generated blocks (the engine of `make check-figures`)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import figure_engine as fe  # noqa: E402
import figure_env  # noqa: E402
import figure_list  # noqa: E402
import figures  # noqa: E402
from figure_list import FIGURES  # noqa: E402


def fig(**kw):
    return fe.Figure("t", "a test figure", lambda work, quick: {}, lambda d: f"value {d['n']:,}", minutes=0, **kw)


def test_compare_instructions_within_the_tick_only():
    f = fig()
    assert fe.compare(f, {"instructions": 1000}, {"instructions": 1040}) == []
    diff = fe.compare(f, {"instructions": 1000}, {"instructions": 1041})
    assert len(diff) == 1 and "instructions" in diff[0] and "1,041" in diff[0]


def test_compare_counts_summed_over_readings_one_tick_each():
    f = fig(counts=("preprocess",))
    old = {"preprocess": 3_108_560, "preprocess_readings": 24}
    assert fe.compare(f, old, {"preprocess": 3_108_560 + 24 * 40, "preprocess_readings": 24}) == []
    diff = fe.compare(f, old, {"preprocess": 3_108_560 + 24 * 40 + 1, "preprocess_readings": 24})
    assert len(diff) == 1 and "24 readings" in diff[0]
    assert fe.compare(f, {"preprocess": 1000}, {"preprocess": 1041}) != []      # no readings: one tick


def test_compare_counts_within_the_tick_of_the_rows_stand_in():
    f = fig(rows=("board",))
    old = [{"board": "u585", "machine": "mps2-an505", "instructions": 1000},
           {"board": "n6570", "machine": "mps3-an547", "instructions": 2063}]
    assert fe.compare(f, old, [{**old[0], "instructions": 1050}, {**old[1], "instructions": 2031}]) == []
    diff = fe.compare(f, old, [{**old[0], "instructions": 1051}, {**old[1], "instructions": 2030}])
    assert len(diff) == 2 and "the 50-instruction tick" in "".join(diff) and "31.25" in "".join(diff)


def test_compare_values_under_a_derived_record_relative():
    f = fig()
    assert fe.compare(f, {"energy": {"joules": 4.4799966e-4}}, {"energy": {"joules": 4.4800008e-4}}) == []
    assert fe.compare(f, {"energy": {"joules": 4.48e-4}}, {"energy": {"joules": 4.50e-4}}) != []
    assert fe.compare(f, {"memory": {"flash": 100}}, {"memory": {"flash": 101}}) != []


def test_compare_bytes_and_accuracy_exact_wall_times_ignored():
    f = fig(volatile=("seconds",))
    assert fe.compare(f, {"flash": 100, "seconds": 3.0}, {"flash": 100, "seconds": 9.5}) == []
    assert fe.compare(f, {"flash": 100}, {"flash": 104}) == ["flash: stored 100, now 104"]
    assert fe.compare(f, {"accuracy": 0.9710}, {"accuracy": 0.9711}) != []
    assert fe.compare(f, {"equals": True}, {"equals": False}) != []


def test_compare_rows_by_key_and_quick_subsets():
    f = fig(rows=("model", "kernels"))
    old = [{"model": "a", "kernels": "x", "flash": 1}, {"model": "b", "kernels": "x", "flash": 2}]
    new = [{"model": "b", "kernels": "x", "flash": 2}]
    assert fe.compare(f, old, new, quick=True) == []
    assert any("not measured now" in d for d in fe.compare(f, old, new))
    changed = [{"model": "b", "kernels": "x", "flash": 3}]
    assert fe.compare(f, old, changed, quick=True) == ["[b/x].flash: stored 2, now 3"]


@pytest.fixture
def docs(tmp_path, monkeypatch):
    """A repository with a README holding one block of figure 't' and its stored JSON."""
    monkeypatch.setattr(fe, "ROOT", tmp_path)
    monkeypatch.setattr(fe, "RESULTS", tmp_path / "results")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "t.json").write_text(json.dumps({"commit": "abc1234", "date": "2026-11-25",
                                                             "data": {"n": 1234}}))
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n{fe.begin_marker('t')}\nold text\n{fe.end_marker('t')}\nafter\n")
    return readme


def test_render_rewrites_blocks_and_check_finds_hand_edits(docs):
    f = fig()
    problems = fe.render_documents({"t": f}, write=False)
    assert len(problems) == 1 and "differs from what its JSON renders" in problems[0]
    assert fe.render_documents({"t": f}) == []
    text = docs.read_text()
    assert "value 1,234" in text and "Measured at `abc1234` on 2026-11-25" in text and "old text" not in text
    assert text.startswith("# x\n\nbefore\n") and text.endswith("after\n")
    assert fe.render_documents({"t": f}, write=False) == []
    docs.write_text(text.replace("value 1,234", "value 1,235"))
    assert fe.render_documents({"t": f}, write=False)


def test_render_names_unknown_figures_and_missing_json(docs):
    assert "names no figure" in fe.render_documents({}, write=False)[0]
    (fe.RESULTS / "t.json").unlink()
    assert "has no benchmarks/results/t.json" in fe.render_documents({"t": fig()}, write=False)[0]


def test_lint_flags_measurements_outside_blocks_only(tmp_path, docs):
    fe.render_documents({"t": fig()})
    docs.write_text(docs.read_text() + "\n".join([
        "The plain model takes 549,355 instructions and 35.4 KiB of flash, 60.19 inf/s.",
        "It is 2.1x faster, 12% smaller, built in 25 s.",
        "int8 weights, 3x3 kernels, 96x96 inputs, Cortex-M7, `--arena 16384 B` and ISO 8601.",
    ]) + "\n")
    hits = fe.lint([docs])
    found = [h.split(": ", 1)[1].split("  ", 1)[0] for h in hits]
    assert found == ["'549,355 instructions'", "'35.4 KiB'", "'60.19 inf/s'", "'2.1x'", "'12%'", "'25 s'"]


def test_every_figure_has_a_title_and_unique_name():
    names = [f.name for f in FIGURES]
    assert len(names) == len(set(names)) and all(f.title for f in FIGURES)


def test_the_stored_json_renders_every_block_in_the_documents():
    """README.md and docs/ hold exactly what the stored measurements render (no hand edit, no stale block)."""
    assert fe.render_documents({f.name: f for f in FIGURES}, write=False) == []


def test_figures_command_line_lists_and_lints():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "figures.py"), "list"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "boards" in done.stdout
    assert "depends on cpu, arm-none-eabi-gcc, qemu-system-arm: the weights ship" in done.stdout


def test_compare_derived_ratios_relative_counts_by_key():
    f = fig(counts=("mean",))
    assert fe.compare(f, {"instructions_per_mac": 1.35}, {"instructions_per_mac": 1.3501}) == []
    assert fe.compare(f, {"instructions_per_mac": 1.35}, {"instructions_per_mac": 1.40}) != []
    assert fe.compare(f, {"latency": {"mean": 287486.68}}, {"latency": {"mean": 287500.0}}) == []
    assert fe.compare(f, {"latency": {"mean": 287486.68}}, {"latency": {"mean": 287600.0}}) != []


def test_a_failed_measurement_keeps_its_files_and_stores_nothing(docs):
    """A measurement that fails (suite-time's make test with an error, say) stores no JSON and
    leaves its working folder, with the logs it wrote, where the message says."""
    def failing(work: Path, quick: bool):
        (work / "suite-8.log").write_text("ERROR tests/test_x.py::test_y\n")
        raise SystemExit("suite_time.py exited 2")

    f = fe.Figure("t", "a test figure", failing, lambda d: f"value {d['n']:,}", minutes=0)
    before = (fe.RESULTS / "t.json").read_text()
    with pytest.raises(SystemExit) as e:
        figures.cmd_measure({"t": f}, ["t"], quick=False)
    kept = Path(str(e.value).rsplit("kept in ", 1)[1])
    assert "exited 2" in str(e.value) and (kept / "suite-8.log").read_text().startswith("ERROR")
    assert (fe.RESULTS / "t.json").read_text() == before
    shutil.rmtree(kept)


def test_every_figure_states_what_it_depends_on():
    """Each figure names the CPU and the tools whose versions move its values (or none), and why."""
    known = {figure_env.CPU, *figure_env.TOOLS}
    assert set(figure_list.DEPENDS) == {f.name for f in FIGURES}
    for f in FIGURES:
        assert f.depends is not None and set(f.depends) <= known and f.why, f.name
    assert figure_env.kinds(next(f for f in FIGURES if f.name == "mlperf-esp32c3").depends) == "toolchain"
    assert figure_env.kinds(next(f for f in FIGURES if f.name == "onnx-agreement").depends) == "CPU"
    assert figure_env.kinds(next(f for f in FIGURES if f.name == "boards").depends) == "-"


def test_check_says_what_a_differing_figure_depends_on(docs, monkeypatch, capsys, tmp_path):
    """A differing figure's failure line, the summary and the --json name its dependences, the
    versions here and the ones stored with the measurement; an equal one names none."""
    here = {"arm-none-eabi-gcc": "12.2.1", "cpu": "Test CPU, AVX2"}
    monkeypatch.setattr(figures, "environment", lambda depends: {d: here[d] for d in depends})
    record = json.loads((fe.RESULTS / "t.json").read_text())
    record["environment"] = {"arm-none-eabi-gcc": "13.2.1", "cpu": "Test CPU, AVX2"}
    (fe.RESULTS / "t.json").write_text(json.dumps(record))
    f = fe.Figure("t", "a test figure", lambda work, quick: {"n": 1235}, lambda d: f"value {d['n']:,}", minutes=0,
                  depends=("cpu", "arm-none-eabi-gcc"), why="test")
    fe.render_documents({"t": f})
    assert figures.cmd_check({"t": f}, ["t"], quick=False, json_out=tmp_path / "c.json") == 1
    out = capsys.readouterr().out
    line = ("1 value(s) differ; depends on the toolchain: arm-none-eabi-gcc 12.2.1 here (13.2.1 when stored); "
            "on the CPU: Test CPU, AVX2 here")
    assert line in out and "CPU, toolchain" in out
    r = json.loads((tmp_path / "c.json").read_text())["figures"][0]
    assert r["depends"] == ["cpu", "arm-none-eabi-gcc"] and r["explanation"] == line.split("; ", 1)[1]
    assert r["environment"] == here and r["stored_environment"]["arm-none-eabi-gcc"] == "13.2.1"

    same = fe.Figure("t", "a test figure", lambda work, quick: {"n": 1234}, f.render, minutes=0, depends=("cpu",),
                     why="test")
    assert figures.cmd_check({"t": same}, ["t"], quick=False, json_out=None) == 0
    assert "depends on the" not in capsys.readouterr().out


def test_measure_stores_the_versions_a_figure_depends_on(docs, monkeypatch):
    monkeypatch.setattr(fe, "environment", lambda depends: {d: "1.2.3" for d in depends})
    stored = fe.store(fig(depends=("qemu-system-arm",), why="test"), {"n": 1})
    assert stored["environment"] == {"qemu-system-arm": "1.2.3"}
    assert "environment" not in fe.store(fig(depends=(), why="test"), {"n": 1})


def test_environment_reads_versions_and_the_cpu(tmp_path, monkeypatch):
    lines = {"arm-none-eabi-gcc": "arm-none-eabi-gcc (15:12.2.rel1-1) 12.2.1 20221205",
             "qemu-system-arm": "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)",
             "sox": "sox:      SoX v14.4.2"}
    monkeypatch.setattr(figure_env, "TOOLS", {k: (sys.executable, "-c", f"print({v!r})") for k, v in lines.items()}
                        | {"gcc": ("no-such-tool-here",)})
    assert [figure_env.tool_version(t) for t in (*lines, "gcc")] == ["12.2.1", "7.2.22", "14.4.2", "missing"]
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse2 avx avx2 fma\n")
    assert figure_env.cpu(info, env={}) == "AMD EPYC 7B13, AVX2"
    info.write_text("model name\t: Intel Xeon\nflags\t: avx2 avx512f avx512_vnni\n")
    want = "Intel Xeon, AVX-512 VNNI, ATEN_CPU_CAPABILITY=avx2"
    assert figure_env.cpu(info, env={"ATEN_CPU_CAPABILITY": "avx2"}) == want


def test_trees_are_exported_from_beside_the_clone_or_named_missing(tmp_path):
    """measure and check export the third-party trees as .ci/third_party.sh does, and refuse (naming the
    variables) where one is neither set nor beside the clone: a figure measured without CMSIS-NN differs
    for no reason in the code (auto loses its CMSIS-NN candidates)."""
    (tmp_path / "CMSIS-NN").mkdir()
    env = {"ESP_NN_PATH": str(tmp_path / "gone")}
    missing = figure_env.export_trees(tmp_path, env)
    assert env["CMSIS_NN_PATH"] == str(tmp_path / "CMSIS-NN")
    assert missing == ["ESP_NN_PATH", "MLPERF_TINY_RUNNER"]
    (tmp_path / "esp-nn").mkdir()
    (tmp_path / "mlperf-tiny-runner").mkdir()
    assert figure_env.export_trees(tmp_path, {}) == []


def test_figures_command_refuses_without_the_trees(monkeypatch, tmp_path):
    for var in figure_env.TREES:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(figures, "SHARED", tmp_path)
    with pytest.raises(SystemExit) as e:
        figures.main(["check", "boards"])
    assert "CMSIS_NN_PATH, ESP_NN_PATH, MLPERF_TINY_RUNNER not set" in str(e.value)
    assert ".ci/third_party.sh" in str(e.value)
