"""The suite's workers run torch, MKL and OpenBLAS on one thread each (tests/conftest.py), or
on as many as OMP_NUM_THREADS / OPENBLAS_NUM_THREADS say where the environment sets them:
one pytest-xdist worker per core with a pool of one thread per core in each oversubscribed
the machine. Every test module is imported by every worker at collection, so a module that
set torch's threads itself changed them for all the tests that ran after it."""

from __future__ import annotations

import os

import threadpoolctl
import torch


def test_torch_and_blas_pools_keep_the_suites_thread_count():
    assert torch.get_num_threads() == int(os.environ["OMP_NUM_THREADS"])
    pools = threadpoolctl.threadpool_info()
    assert pools, "numpy's BLAS pool is visible to threadpoolctl"
    for pool in pools:
        var = "OPENBLAS_NUM_THREADS" if pool["internal_api"] == "openblas" else \
            "MKL_NUM_THREADS" if pool["internal_api"] == "mkl" else "OMP_NUM_THREADS"
        assert pool["num_threads"] == int(os.environ[var]), pool
