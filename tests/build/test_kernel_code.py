"""tinygen.build.kernel_code: the code units a kernel links, measured from its objects (the
balanced pick's code bytes, tinygen/kernels/auto_pick.py)."""

from __future__ import annotations

import os

import pytest

from standin_lib import needs_arm_gcc
import tinygen.build.kernel_code as kc
from tinygen.board import get_board
from tinygen.build.kernel_code import kernel_code

F746 = get_board("f746zg")


@needs_arm_gcc
def test_kernel_code_widen_depthwise_shares_the_generic_pixel_functions():
    widen = kernel_code("tg_depthwise_conv2d_widen_s8_dsp", F746)
    generic = kernel_code("tg_depthwise_conv2d_s8_dsp", F746)
    shared = set(widen) & set(generic)
    assert any(".text.tg_dw_pixel_" in unit for unit in shared)
    assert sum(widen[u] for u in shared) > 0.9 * sum(widen.values())    # nearly all of it
    assert kernel_code("tg_depthwise_conv2d_widen_s8_dsp", F746) == widen       # deterministic


@needs_arm_gcc
def test_kernel_code_kx1_links_only_the_cases_defined():
    everything = kernel_code("tg_depthwise_conv2d_kx1_s8_dsp", F746)
    loop = kernel_code("tg_depthwise_conv2d_kx1_s8_dsp", F746, ("-DTG_DW_KX1_CASES=0x1u",))
    run = "tg_depthwise_conv2d_kx1_s8_dsp.c.o .text.tg_dw_kx1_run"
    assert everything[run] > 8 * loop[run]
    assert sum(everything.values()) - sum(loop.values()) > 10_000


def test_kernel_code_not_measured_for_other_backends_and_recipes():
    assert kernel_code("tg_depthwise_conv2d_s8_cmsis_nn", F746) is None
    assert kernel_code("tg_depthwise_conv2d_s8", get_board("esp32-c3")) is None


def test_kernel_code_not_measured_for_specialized_kernels():
    """Their body is model.c's, per layer: the out-of-line units would misstate what they add."""
    assert kernel_code("tg_conv2d_1x1_rows3_s8_dsp", F746) is None
    assert kernel_code("tg_fully_connected_batch1_s8_dsp", F746) is None


@needs_arm_gcc
def test_kernel_code_kept_on_disk_for_the_next_process(tmp_path, monkeypatch):
    """A measurement is stored under its key; a new process (the in-process cache cleared) reads
    it back without compiling; another flag is another key."""
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path))
    kc._measure.cache_clear()
    kernel, flags = "tg_depthwise_conv2d_kx1_s8_dsp", ("-DTG_DW_KX1_CASES=0x1u",)
    measured = kernel_code(kernel, F746, flags)
    stored = tmp_path / kc.CODE_DIR / f"{kc.measure_key(kernel, F746.cc, tuple(F746.cflags) + flags)}.json"
    assert measured and stored.is_file()
    kc._measure.cache_clear()
    monkeypatch.setattr(kc, "_compile_and_link", lambda *a: pytest.fail("compiled again"))
    assert kernel_code(kernel, F746, flags) == measured
    assert kc.measure_key(kernel, F746.cc, tuple(F746.cflags)) != stored.stem
    kc._measure.cache_clear()


@needs_arm_gcc
def test_kernel_code_store_is_bounded(tmp_path, monkeypatch):
    """Storing a record prunes the store to CODE_CACHE_BYTES, the least recently used first."""
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(kc, "CODE_CACHE_BYTES", 8_000)
    old = tmp_path / kc.CODE_DIR / "old.json"
    old.parent.mkdir(parents=True)
    old.write_text("{}" + " " * 10_000)
    os.utime(old, (1, 1))
    kc._measure.cache_clear()
    kernel, flags = "tg_depthwise_conv2d_kx1_s8_dsp", ("-DTG_DW_KX1_CASES=0x2u",)
    assert kernel_code(kernel, F746, flags)
    assert not old.exists()
    assert (tmp_path / kc.CODE_DIR / f"{kc.measure_key(kernel, F746.cc, tuple(F746.cflags) + flags)}.json").is_file()
    kc._measure.cache_clear()
