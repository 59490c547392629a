"""Shared fixtures and the suite's scheduling.

One thread per worker for torch's, MKL's and OpenBLAS's pools (set before anything imports
them; subprocesses the tests start inherit it): `make test` runs one pytest-xdist worker per
core, and pools of one thread per core in each worker oversubscribed the machine, their
OpenMP threads spinning while they waited for each other (training the gating examples took
several times the CPU). A value set in the environment is kept. Hypothesis draws the same
examples on every run (the "tinygen" profile below).

onnxruntime's fused session (its default, whose u8s8 kernels give other bytes on CPUs without
AVX-512 VNNI) comes back scrambled in every test and every process a test starts
(tinygen.hil.onnx_check.PERTURB_FUSED_ENV): a test that asserts on its values fails on every
machine, not only on some (docs/design/testing.md).

The suite keeps its own user cache (measured kernels, compiled objects, probes, searches):
`tinygen-tests` beside the user's `tinygen` cache, unless $TINYGEN_CACHE_DIR names one. A test
that plants counts in the cache (a fake measurer) then cannot reach a figure's or a user's
`--kernels auto` build, and the suite's builds still find what its earlier runs measured."""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from tinygen.resources import cache_dir  # noqa: E402

if not os.environ.get("TINYGEN_CACHE_DIR"):
    os.environ["TINYGEN_CACHE_DIR"] = str(cache_dir().with_name("tinygen-tests"))

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from kernel_lib import KernelLib, build  # noqa: E402
from tinygen.hil.onnx_check import PERTURB_FUSED_ENV  # noqa: E402

os.environ[PERTURB_FUSED_ENV] = "1"

# Every property test draws the same examples on every run: a result never changes with the
# machine or the run (a test's own @settings keeps this unless it says otherwise), and nothing
# is written to or replayed from .hypothesis/
settings.register_profile("tinygen", derandomize=True, database=None)
settings.load_profile("tinygen")


@pytest.fixture
def no_espeak(monkeypatch):
    """Speech without espeak-ng: each word a tone burst (audio_data.fake_say)."""
    from audio_data import fake_say
    from tinygen.audio import speech

    monkeypatch.setattr(speech, "say", fake_say)
    monkeypatch.setattr(speech, "check_voices", lambda: None)
    monkeypatch.setattr(speech, "espeak_version", lambda: "fake")


@pytest.fixture(scope="session")
def kernels(tmp_path_factory) -> KernelLib:
    """The C kernels (and tg_requant.h helpers) compiled for the host, via ctypes."""
    return KernelLib(build(tmp_path_factory.mktemp("tg_kernels")))


def pytest_collection_modifyitems(config, items):
    """The slow (emulator, sweep) tests first, those marked slow(first=True) before the
    others, each group in its collected order, then the rest: under pytest-xdist's load
    scheduling the longest tests start early instead of one of them (the sweep's minutes)
    running alone at the end while the other workers sit idle."""
    def order(item):
        slow = item.get_closest_marker("slow")
        return (slow is None, slow is None or not slow.kwargs.get("first", False))

    items.sort(key=order)
