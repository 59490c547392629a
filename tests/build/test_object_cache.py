"""Objects reused between firmware builds (tinygen/build/object_cache.py): a restored object is
byte for byte what `make` compiles, a changed header or flag never reuses a stale one, the fit
check's objects serve the build, and the project still builds with plain make."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from e2e import compile_example
from tinygen.board import get_board
from tinygen.build.code_size import compiled_flash
from tinygen.build.object_cache import compile_commands, parse_command, preprocess, restore
from tinygen.compiler import build

needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="arm-none-eabi-gcc is not installed (make toolchain installs it)")
LINE = ("arm-none-eabi-gcc -I. -Itinygen/kernels -mcpu=cortex-m7 -O2 -Wall -MMD -MP "
        "-c -o obj/firmware/tinygen/kernels/tg_fc_s8.o tinygen/kernels/tg_fc_s8.c")


def test_parse_command_keeps_the_flags_that_change_the_object():
    cmd = parse_command(LINE)
    assert cmd.cc == "arm-none-eabi-gcc" and cmd.source == "tinygen/kernels/tg_fc_s8.c"
    assert cmd.obj == "obj/firmware/tinygen/kernels/tg_fc_s8.o"
    assert cmd.flags == ("-I.", "-Itinygen/kernels", "-mcpu=cortex-m7", "-O2", "-Wall")
    assert parse_command(LINE.replace(" -MMD -MP", "")).flags == cmd.flags       # the .d options aside
    assert parse_command(LINE.replace("-O2", "-Os")).flags != cmd.flags
    pre = b"int tg_fc_s8(void) { return 0; }"
    assert cmd.key(pre) != parse_command(LINE.replace("-O2", "-Os")).key(pre)
    assert cmd.key(pre) != parse_command(LINE.replace("tg_fc_s8.c", "tg_fc_s4.c")).key(pre)   # the file symbol
    assert cmd.key(pre) != cmd.key(pre + b"\n")
    # -D, -U and -I act through the preprocessed text (which is the key's): the same text, the same object
    assert parse_command(LINE.replace("-Wall", "-Wall -DTG_DW3_SIGN_ADD=1 -Iother")).key(pre) == cmd.key(pre)
    for other in ("mkdir -p obj/firmware", "arm-none-eabi-objcopy -O binary firmware.elf firmware.bin",
                  "arm-none-eabi-gcc -mcpu=cortex-m7 -T x.ld -o firmware.elf obj/a.o obj/b.o -lc",
                  "arm-none-eabi-gcc -O2 -c -o obj/a.o a.c b.c"):
        assert parse_command(other) is None, other


def _objects(project: Path) -> dict[str, bytes]:
    return {p.relative_to(project).as_posix(): p.read_bytes()
            for p in sorted((project / "obj").rglob("*")) if p.is_file()}


def _make(project: Path, *args: str) -> str:
    return subprocess.run(["make", "-C", str(project), "-j2", *args], capture_output=True, text=True,
                          check=True).stdout


@needs_arm
def test_restored_objects_equal_make_and_stale_ones_are_never_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    store = tmp_path / "cache" / "objects"
    source, graph = compile_example("mlp")
    project = build(source, graph, get_board("f446re"), tmp_path / "fw").out_dir
    commands = {goal: compile_commands(project, goal) for goal in ("all", "emu")}
    assert len(commands["all"]) > 10 and any(c.source == "model.c" for c in commands["all"])
    # the first build kept every object make compiled, one per key: the images share the units
    # whose -D flags change nothing in their preprocessed text
    keys = {c.key(preprocess(c, project)) for cmds in commands.values() for c in cmds}
    assert len(list(store.glob("*.o"))) == len(keys) < sum(map(len, commands.values()))

    # plain make of a copy: the reference objects, dependency files and images
    plain = tmp_path / "plain"
    shutil.copytree(project, plain)
    _make(plain, "clean")
    _make(plain, "all", "emu")
    # every object back from the cache, make only links, and the result is plain make's
    _make(project, "clean")
    for goal, cmds in commands.items():
        assert restore(project, cmds, store) == [], goal
    out = _make(project, "all", "emu")
    assert " -c " not in out, out
    assert _objects(project) == _objects(plain)
    for image in ("firmware.elf", "firmware-emu.elf", "firmware.bin"):
        assert (project / image).read_bytes() == (plain / image).read_bytes(), image
    assert "Nothing to be done" in _make(plain, "all") and "Nothing to be done" in _make(project, "all")

    # a header changed: the sources that include it (by make's own .d lists) compile again
    header = "tinygen/runtime/tg_protocol.h"
    users = {c.source for c in commands["emu"] if header in (project / c.obj).with_suffix(".d").read_text()}
    assert users and len(users) < len(commands["emu"])
    with open(project / header, "a") as f:
        f.write("static inline int tg_stale_probe(void) { return 1; }\n")
    _make(project, "clean")
    assert {c.source for c, _ in restore(project, commands["emu"], store)} == users
    # a flag changed: nothing is reused
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text().replace(" -O2 ", " -Os "))
    _make(project, "clean")
    changed = compile_commands(project, "emu")
    assert all("-Os" in c.flags for c in changed)
    assert len(restore(project, changed, store)) == len(changed)


@needs_arm
def test_fit_check_objects_serve_the_build(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    store = tmp_path / "cache" / "objects"
    board = get_board("f746zg")
    source, graph = compile_example("mlp")
    assert compiled_flash(graph, board, source.name) is not None
    probed = {p.name for p in store.glob("*.o")}
    project = build(source, graph, board, tmp_path / "fw").out_dir
    _make(project, "clean")
    commands = compile_commands(project, "all")
    missed = {c.source for c, _ in restore(project, commands, store)}
    # the kernels, the port and most of the runtime come from the fit check's compile; the model's
    # files differ (its id and source hash are placeholders there)
    assert not any(s.startswith(("tinygen/kernels/", "tinygen/ports/")) for s in missed), missed
    assert len(missed) < len(commands) // 2, missed
    assert probed <= {p.name for p in store.glob("*.o")}


def test_host_project_compiles_each_source_once_and_restores_plain_makes_objects(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    store = tmp_path / "cache" / "objects"
    board = get_board("host")
    source, graph = compile_example("mlp")
    project = build(source, graph, board, tmp_path / "host").out_dir
    commands = compile_commands(project, f"CC={board.cc}")
    sources = [c.source for c in commands]
    # the model's sources twice (position-independent for the library and runner, and for
    # tg_device with the runtime's includes), everything else once
    assert sorted(sources).count("model.c") == 2 and sources.count("tinygen/host/tg_host_runner.c") == 1
    assert len(list(store.glob("*.o"))) == len(commands)
    plain = tmp_path / "plain"
    shutil.copytree(project, plain)
    _make(plain, "clean")
    _make(plain, f"CC={board.cc}")
    _make(project, "clean")
    assert restore(project, commands, store) == []
    assert " -c " not in _make(project, f"CC={board.cc}")
    assert _objects(project) == _objects(plain)
    for output in ("libtgmodel.so", "tg_runner", "tg_device"):
        assert (project / output).read_bytes() == (plain / output).read_bytes(), output


@needs_arm
def test_direct_lookup_skips_the_preprocessor_until_a_header_changes(tmp_path, monkeypatch):
    """The second build of a project takes every object key from the direct lookup's records:
    no preprocessor runs, and the .d files and objects are those of the first. A changed header
    sends exactly the sources that include it back to the preprocessor (and so to a new key)."""
    from tinygen.build import object_cache

    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    store = tmp_path / "cache" / "objects"
    source, graph = compile_example("mlp")
    project = build(source, graph, get_board("f446re"), tmp_path / "fw").out_dir
    commands = compile_commands(project, "emu")
    assert len(list(store.glob(f"*{object_cache.DEPS_SUFFIX}"))) >= len(commands)
    first = _objects(project)
    ran = []
    real = object_cache.preprocess
    monkeypatch.setattr(object_cache, "preprocess", lambda cmd, *a, **k: ran.append(cmd.source) or real(cmd, *a, **k))
    _make(project, "clean")
    read = []
    real_read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or real_read(self))
    assert restore(project, commands, store) == [] and ran == []
    monkeypatch.setattr(Path, "read_bytes", real_read)
    # each header is read once per build, however many of its units name it; a source once for its record's name
    headers = [p for p in read if p.suffix == ".h"]
    assert headers and len(headers) == len(set(headers))
    assert len(read) - len(headers) == len(commands)
    _make(project, "emu")
    assert {k: v for k, v in _objects(project).items() if "emu" in k} == {k: v for k, v in first.items() if "emu" in k}

    header = "tinygen/runtime/tg_protocol.h"
    users = {c.source for c in commands if header in (project / c.obj).with_suffix(".d").read_text()}
    assert users and len(users) < len(commands)
    with open(project / header, "a") as f:
        f.write("static inline int tg_direct_probe(void) { return 2; }\n")
    _make(project, "clean")
    assert {c.source for c, _ in restore(project, commands, store)} == users
    assert sorted(ran) == sorted(users)
    # the record of the new header version is kept beside the old one: the next restore is direct again
    ran.clear()
    _make(project, "clean")
    assert {c.source for c, _ in restore(project, commands, store)} == users and ran == []
