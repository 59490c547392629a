"""The fit check's flash prediction compiles and links the images ahead of the build
(tinygen/build/code_size.py): never below what links, and within BOUND of it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pass_lib import CONV_VALID, Builder

from tinygen.board import get_board
from tinygen.build.code_size import ID_STRINGS_BYTES, PLACEHOLDER_HASH, compiled_flash, image_flashes
from tinygen.build.elf import read_elf
from tinygen.build.memory import capacity, measure
from tinygen.build.object_cache import (PRUNE_SLACK_BYTES, cache_key, parse_command, prune, prune_due,
                                         source_object, stored)
from tinygen.compiler import build, compile_source, load_source
from tinygen.fit import fit_model
from tinygen.kernels.cmsis_nn_tree import ENV as CMSIS_ENV
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import CompileOptions, compile_graph

MODELS = Path(__file__).resolve().parents[2] / "examples" / "mlperf-tiny"
ARM_GCC = shutil.which("arm-none-eabi-gcc")
F746 = get_board("f746zg")
F446 = get_board("f446re")
BOUND = 0.02            # the prediction is within 2% above the largest linked image's flash


def test_cache_key_changes_with_flags_compiler_and_source():
    base = cache_key("arm-none-eabi-gcc", "12.2", ["-O2", "-mcpu=cortex-m7"], b"int f(void){return 1;}")
    assert base == cache_key("arm-none-eabi-gcc", "12.2", ["-O2", "-mcpu=cortex-m7"], b"int f(void){return 1;}")
    assert base != cache_key("arm-none-eabi-gcc", "12.2", ["-Os", "-mcpu=cortex-m7"], b"int f(void){return 1;}")
    assert base != cache_key("arm-none-eabi-gcc", "12.2", ["-O2", "-mcpu=cortex-m4"], b"int f(void){return 1;}")
    assert base != cache_key("arm-none-eabi-gcc", "13.1", ["-O2", "-mcpu=cortex-m7"], b"int f(void){return 1;}")
    assert base != cache_key("arm-none-eabi-gcc", "12.2", ["-O2", "-mcpu=cortex-m7"], b"int f(void){return 2;}")


def test_prune_removes_least_recently_used_objects_down_to_the_limit(tmp_path):
    store = tmp_path / "objects"
    store.mkdir()
    for k, size in enumerate((400, 300, 200, 100)):          # k = 0 the oldest
        path = store / f"{k}.o"
        path.write_bytes(b"\0" * size)
        os.utime(path, ns=(10**18 + k * 10**9, 10**18 + k * 10**9))
    (store / "x.tmp").write_bytes(b"\0" * 5000)               # another build's object being written
    assert prune(store, limit=1000) == []
    assert [p.name for p in prune(store, limit=450)] == ["0.o", "1.o"]
    assert sorted(p.name for p in store.iterdir()) == ["2.o", "3.o", "x.tmp"]
    os.utime(store / "2.o", ns=(2 * 10**18, 2 * 10**18))      # used again: now the newest
    assert [p.name for p in prune(store, limit=250)] == ["3.o"]
    assert prune(store, limit=0) == [store / "2.o"] and not any(store.glob("*.o"))


def test_prune_due_on_the_first_store_then_after_the_slack(tmp_path):
    """A process scans a store when it first stores there, then only after PRUNE_SLACK_BYTES
    more: until then the store may exceed its bound by what the process stored meanwhile."""
    store = tmp_path / "objects"
    store.mkdir()

    def add(name: str, size: int, age: int) -> None:
        (store / name).write_bytes(b"\0" * size)
        os.utime(store / name, ns=(10**18 + age * 10**9,) * 2)
        stored(store, size)

    add("a.o", 300, 0)
    assert prune_due(store, limit=500) and (store / "a.o").exists()       # the first: scanned, within
    add("b.o", 300, 1)
    assert not prune_due(store, limit=500)                                 # 300 B since: not due
    assert {p.name for p in store.iterdir()} == {"a.o", "b.o"}             # 600 B > 500: over, by what it stored
    add("c.o", PRUNE_SLACK_BYTES, 2)
    assert prune_due(store, limit=PRUNE_SLACK_BYTES + 300)                 # the slack reached: pruned
    assert {p.name for p in store.iterdir()} == {"b.o", "c.o"}             # the oldest out first
    assert not prune_due(store, limit=0)                                   # counted from the last prune


@pytest.mark.skipif(ARM_GCC is None, reason="arm-none-eabi-gcc not found: cannot compile the probe source")
def test_source_object_cached_per_flags_and_header(tmp_path):
    project, store = tmp_path / "p", tmp_path / "store"
    project.mkdir()
    (project / "obj").mkdir()
    (project / "k.h").write_text("#define N 3\n")
    (project / "k.c").write_text('#include "k.h"\nint tg_k(int x) { return x * N; }\n')
    line = f"{ARM_GCC} -I. -O2 -mthumb -mcpu=cortex-m7 -MMD -MP -c -o obj/k.o k.c"
    o2 = source_object(parse_command(line), project, store)
    os.utime(o2, ns=(10**18, 10**18))
    assert o2 == source_object(parse_command(line), project, store)
    assert o2.stat().st_mtime_ns > 10**18                  # a hit counts as a use for prune()
    os_ = source_object(parse_command(line.replace("-O2", "-Os")), project, store)
    assert os_ != o2 and os_.exists() and o2.exists()
    # what make compiles (with its .d) is the cached object
    subprocess.run(line.split(), cwd=project, check=True)
    assert (project / "obj/k.o").read_bytes() == o2.read_bytes()
    (project / "k.h").write_text("#define N 5\n")          # a header the source includes changed
    assert source_object(parse_command(line), project, store) != o2
    assert len(list(store.glob("*.o"))) == 3


@pytest.mark.slow
@pytest.mark.skipif(ARM_GCC is None, reason="arm-none-eabi-gcc not found: nothing to compile or link")
@pytest.mark.parametrize("name", ["kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder"])
def test_predicted_flash_bounds_linked_flash_f746zg(name, tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    source = load_source(MODELS / f"{name}_int8.tflite")
    options = CompileOptions(features=F746.isa_features, kernels="tinygen")
    graph = fit_model(source, None, options, F746, compile_source(source, options=options))
    record = graph.meta["fit"]
    result = build(source, graph, F746, tmp_path / "out")
    images = {elf: use["flash"]["used"] for elf, use in result.manifest["memory"].items() if elf != "predicted"}
    assert set(images) == {"firmware.elf", "firmware-emu.elf"}, images
    linked, predicted = max(images.values()), record["flash"]["used"]
    assert record["margin"] == 0, "the compiled prediction needs no per-layer margin"
    assert linked <= predicted <= linked * (1 + BOUND), (name, predicted, images)


@pytest.mark.slow
@pytest.mark.skipif(ARM_GCC is None, reason="arm-none-eabi-gcc not found: nothing to compile or link")
@pytest.mark.skipif(not os.environ.get(CMSIS_ENV), reason=f"needs a CMSIS-NN tree: set {CMSIS_ENV} "
                    "(source .ci/third_party.sh)")
def test_predicted_flash_of_cmsis_nn_layers_bounds_linked_flash_f746zg(tmp_path, monkeypatch):
    """Layers on CMSIS-NN are compiled and linked ahead of the build too (their sources from the
    user's tree, whose bytes key the probe): the estimate they kept before sat 36 KiB under what
    linked on MobileNetV2 0.35 with one CMSIS-NN layer, and the F446RE build overflowed."""
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    source = load_source(MODELS / "kws_dscnn_int8.tflite")
    options = CompileOptions(features=F746.isa_features, kernels="cmsis-nn")
    graph = fit_model(source, None, options, F746, compile_source(source, options=options))
    assert any(KERNELS_BY_NAME[n.kernel].backend == "cmsis-nn" for n in graph.nodes if n.kernel)
    record = graph.meta["fit"]
    assert record["margin"] == 0, "the compiled prediction needs no per-layer margin"
    result = build(source, graph, F746, tmp_path / "out")
    images = {elf: use["flash"]["used"] for elf, use in result.manifest["memory"].items() if elf != "predicted"}
    linked, predicted = max(images.values()), record["flash"]["used"]
    assert linked <= predicted <= linked * (1 + BOUND), (predicted, images)


@pytest.mark.slow
@pytest.mark.skipif(ARM_GCC is None, reason="arm-none-eabi-gcc not found: nothing to compile or link")
def test_fit_counts_the_standin_image_under_a_budget_between_the_two_f446re(tmp_path):
    """The build links the stand-in's image against the part's flash too, and its port links a
    few hundred bytes more than the part's: a budget between the two images' flash is over for
    the stand-in. The fit sees it (the prediction is the larger image's) and trades, so that both
    link; it took the part's image alone, and the build failed with "flash overflowed by 200 B
    when linking firmware-emu.elf" (MobileNetV2 0.35 on the F446RE by 128 B)."""
    from e2e import EXAMPLES

    source = load_source(EXAMPLES / "dscnn.py")
    options = CompileOptions(features=F446.isa_features, kernels="tinygen")
    graph = compile_source(source, None, options)
    images = image_flashes(graph, F446, graph.name)
    real, emu = images["firmware.elf"], images["firmware-emu.elf"]
    assert emu > real + 64, images                 # the stand-in's port links more
    budget = F446.with_budget(flash=(real + emu) // 2)
    fitted = fit_model(source, None, options, budget, graph)
    fit = fitted.meta["fit"]
    assert fit["traded"] and fit["flash"]["used"] <= (real + emu) // 2, fit
    memory = build(source, fitted, budget, tmp_path / "out").manifest["memory"]
    linked = {elf: memory[elf]["flash"]["used"] for elf in images}
    assert max(linked.values()) <= fit["flash"]["used"] <= max(linked.values()) * (1 + BOUND), (fit, linked)


def _with_flash(board, size: int):
    """`board` with its linked flash region `size` bytes (the same core, flags and script)."""
    from dataclasses import replace

    return replace(board, memory=tuple(dict(r, size=size) if r is board.region("flash") else r for r in board.memory))


@pytest.mark.slow
@pytest.mark.skipif(ARM_GCC is None or shutil.which("make") is None,
                    reason="arm-none-eabi-gcc or make not found: nothing to compile or link")
def test_compiled_flash_of_an_image_larger_than_the_part_f446re(tmp_path, monkeypatch):
    """An image larger than the part's flash does not link against the part's script; the probe
    still measures it (not None: the fit trade then fell back to the low estimate, and the banded
    MobileNetV2 overflowed the F446RE's flash at link time), and exactly: what the Makefile links
    for the same part with 2 MiB of flash."""
    from tinygen.build.firmware_project import write_firmware_project
    from tinygen.codegen.project import write_project

    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    f446 = get_board("f446re")
    b = Builder("big")
    x = b.input((1, 2, 2, 1024))
    x = b.op("conv2d", [x], (1, 2, 2, 640), name="c", attrs=CONV_VALID, weight=b.rand(640, 1, 1, 1024),
             bias=b.rand(640))
    calib = np.random.default_rng(0).uniform(-1, 1, (4, 2, 2, 1024)).astype(np.float32)
    graph = compile_graph(b.output(x), calib, CompileOptions(features=f446.isa_features))
    probed = image_flashes(graph, f446, "big")
    assert probed is not None and min(probed.values()) > capacity(f446, "flash") + 64 * 1024, probed
    assert compiled_flash(graph, f446, "big") == max(probed.values())

    roomy = _with_flash(f446, 2 << 20)
    project = tmp_path / "fw"
    project.mkdir()
    info = write_project(graph, project, "big", PLACEHOLDER_HASH, roomy)
    images = write_firmware_project(graph, project, "big", roomy).images
    subprocess.run(["make", "-C", str(project), "-j2", "all", "emu"], capture_output=True, check=True)
    linked = {image.elf: measure(read_elf(project / image.elf), image.regions, {"flash": 0, "ram": 0},
                                 info["weight_bytes"], roomy.stack_size).regions["flash"].used for image in images}
    assert probed == {elf: flash + ID_STRINGS_BYTES for elf, flash in linked.items()}, (probed, linked)
    # the part's own size changes nothing but the verdict
    assert image_flashes(graph, roomy, "big") == probed


def _small_conv(seed: int):
    b = Builder("probe", seed=seed)
    x = b.input((1, 4, 4, 8))
    x = b.op("conv2d", [x], (1, 4, 4, 16), name="c", attrs=CONV_VALID, weight=b.rand(16, 1, 1, 8), bias=b.rand(16))
    calib = np.random.default_rng(0).uniform(-1, 1, (4, 4, 4, 8)).astype(np.float32)
    return compile_graph(b.output(x), calib, CompileOptions(features=F746.isa_features))


@pytest.mark.skipif(ARM_GCC is None, reason="arm-none-eabi-gcc not found: nothing to compile or link")
def test_probe_image_kept_by_the_projects_bytes_and_the_toolchain(tmp_path, monkeypatch):
    """The probe's linked image is kept by the hash of what it linked: the same graph probed again
    is measured from it (nothing compiled, preprocessed or linked) with the same figure; another
    graph (other weights), another board's flags or a damaged kept image link anew."""
    import tinygen.build.code_size as code_size

    linked = []
    real = code_size.source_objects
    monkeypatch.setattr(code_size, "source_objects", lambda *a: linked.append(a) or real(*a))
    store = tmp_path / "cache" / "objects"
    graph = _small_conv(1)
    first = compiled_flash(graph, F746, "probe", store)
    assert first is not None and linked
    kept = list((tmp_path / "cache" / "probes").glob("*.elf"))
    assert len(kept) == 2                   # the part's image and the stand-in's
    linked.clear()
    assert compiled_flash(_small_conv(1), F746, "probe", store) == first and not linked     # kept image
    other = compiled_flash(_small_conv(2), F746, "probe", store)                            # other weights
    assert other is not None and linked
    linked.clear()
    assert compiled_flash(_small_conv(1), F446, "probe", store) is not None and linked       # other flags
    assert len(list((tmp_path / "cache" / "probes").glob("*.elf"))) == 6                    # 3 x 2 images
    kept[0].write_bytes(b"not an ELF")                                                      # damaged: relinked
    linked.clear()
    assert compiled_flash(_small_conv(1), F746, "probe", store) == first and linked
    linked.clear()
    assert compiled_flash(_small_conv(1), F746, "probe", store) == first and not linked     # and kept again
