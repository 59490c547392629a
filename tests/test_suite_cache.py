"""The suite measures and caches in its own user cache (tests/conftest.py): a test that plants
counts there (a fake measurer) cannot reach the cache a figure's or a user's `--kernels auto`
build reads, and a `tinygen` process a test starts inherits the same folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tinygen.fit.measure_cache import MeasurementCache


def _users_cache() -> Path:
    env = {k: v for k, v in os.environ.items() if k != "TINYGEN_CACHE_DIR"}
    out = subprocess.run([sys.executable, "-c", "from tinygen.resources import cache_dir; print(cache_dir())"],
                         env=env, capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def test_the_suite_measures_into_a_cache_of_its_own():
    users = _users_cache()
    suites = MeasurementCache.default().path.parent
    assert suites != users and users not in suites.parents
    assert suites == Path(os.environ["TINYGEN_CACHE_DIR"])
    child = subprocess.run([sys.executable, "-c", "from tinygen.resources import cache_dir; print(cache_dir())"],
                           capture_output=True, text=True, check=True)
    assert Path(child.stdout.strip()) == suites
