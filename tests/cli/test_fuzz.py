"""The fuzz test: seeded mutants of three MLPerf Tiny .tflite models and a quantized QDQ .onnx
(tests/fuzz_mutate.py) through `tinygen inspect` and `tinygen build --board host`, each in a
forked child with a 1 GiB address-space limit and a timeout (tests/fuzz_server.py); every mutant
that builds is compiled with -fsanitize=address,undefined and run on 3 inputs (tests/fuzz_lib.py).
A traceback, the memory limit, a hang, a signal, generated C that does not compile or a
sanitizer report fails the test, naming each failing seed, its mutation and the command that
reproduces it. TINYGEN_FUZZ_MUTANTS sets the number of seeds (`make fuzz`: 3200)."""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter

import pytest

from fuzz_lib import ForkServer, check

MUTANTS = int(os.environ.get("TINYGEN_FUZZ_MUTANTS", "320"))
# seeds past the default count that `make fuzz` found failing once: checked on every run
REGRESSIONS = (617, 979, 991, 1039, 1301, 2541)


@pytest.mark.slow
def test_fuzz_mutants_host(tmp_path):
    server = ForkServer()
    outcomes = []
    start = time.monotonic()
    try:
        seeds = list(range(MUTANTS)) + [s for s in REGRESSIONS if s >= MUTANTS]
        for seed in seeds:
            work = tmp_path / str(seed)
            outcomes.append(check(server, seed, work, tmp_path / "objects"))
            if outcomes[-1].failure is None:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        server.close()
    failures = [o for o in outcomes if o.failure]
    accepted = sum(o.accepted and not o.failure for o in outcomes)
    kinds = Counter(o.kind for o in failures)
    summary = (f"{len(seeds)} mutants in {time.monotonic() - start:.0f} s: {accepted} built and ran clean under the "
               f"sanitizers, {len(seeds) - accepted - len(failures)} refused in one line, {len(failures)} failed "
               f"({', '.join(f'{k} {n}' for k, n in kinds.most_common())})")
    print(summary)
    groups = (("failures", [o for o in failures if not o.validation]),
              ("failures the input validation should refuse (tag: its category)", [o for o in failures if o.validation]))
    assert not failures, summary + "".join(f"\n\n{title}:\n" + "\n\n".join(o.describe() for o in group)
                                          for title, group in groups if group)
    # the mutations reach the code: the suite's mutants include both outcomes
    assert accepted and accepted < len(seeds)
