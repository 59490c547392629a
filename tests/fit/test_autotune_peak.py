"""--kernels auto at the arena's peak: the measuring builds run the kernels they ask for (lower_peak
is off there), so a fast kernel with scratch at the peak (IC's 4-pixel convs at conv2d_1 and
conv2d_2) is measured, picked, and weighed by lower_peak in the final build by its measured count."""

from __future__ import annotations

import dataclasses
import json

from e2e import example_source
from test_autotune import F746, FakeStandin, choices, options
from tinygen.fit.autotune import compile_auto
from tinygen.fit.measure_cache import MeasurementCache
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes.lower_peak import INSTRUCTIONS_PER_RAM_BYTE


class ScratchFaster(FakeStandin):
    """Made-up counts where every kernel with scratch runs in a tenth of the others' count: at the
    arena's peak, far more instructions saved per byte of scratch than lower_peak's bound."""

    def count(self, node, kernel: str) -> int:
        count = super().count(node, kernel) + 1_000_000
        if KERNELS_BY_NAME[kernel].scratch is not None:
            count //= 10
        self.table[(node.name, kernel)] = count
        return count


def test_measuring_builds_apply_every_candidate_at_the_peak(tmp_path):
    """The small MobileNet's measuring variants with lower_peak on: before, lower_peak put a kernel
    with less scratch at the arena's peak in place of some candidates asked for, which were then
    never measured (recorded as not measured). Now every candidate of every layer with a choice runs
    in some variant, and a second build measures nothing."""
    source = example_source("mobilenet")
    opts = dataclasses.replace(options(), lower_peak=True)
    fake = FakeStandin(seed=2)
    path = tmp_path / "cache.json"
    first = compile_auto(source, None, opts, F746, measure=fake, cache=MeasurementCache(path))
    open_nodes = choices(first)
    missing = [(n, k) for n, names in open_nodes.items() for k in names if (n, k) not in fake.table]
    assert not missing, f"candidates asked for and never run: {missing}"
    entries = json.loads(path.read_text())["entries"].values()
    assert not [e for e in entries if e.get("not_measured")]
    for layer in first.meta["kernels"]["layers"]:
        if layer["name"] in open_nodes:
            assert all(v is not None for v in layer["candidates"].values()), layer
    calls = fake.calls
    again = MeasurementCache(path)
    second = compile_auto(source, None, opts, F746, measure=fake, cache=again)
    assert fake.calls == calls and again.misses == 0, "the second build must measure nothing"
    assert [n.kernel for n in second.nodes] == [n.kernel for n in first.nodes]


def test_fast_scratch_kernel_at_the_peak_is_kept_by_its_measured_saving(tmp_path):
    """Kernels with scratch measured ten times faster: auto picks them (--prefer speed) and lower_peak,
    weighing by the measured counts, swaps none of them away at the peak (each swap would add far more
    than INSTRUCTIONS_PER_RAM_BYTE per arena byte saved). Before, the ones at the peak were swapped in
    the measuring builds, never measured, kept as the unmeasured preferred kernel, then swapped by
    lower_peak on its per-MAC estimates."""
    source = example_source("mobilenet")
    opts = dataclasses.replace(options(), lower_peak=True, prefer="speed")
    fake = ScratchFaster(seed=2)
    graph = compile_auto(source, None, opts, F746, measure=fake, cache=MeasurementCache(tmp_path / "cache.json"))
    open_nodes = choices(graph)
    chosen = {n.name: n.kernel for n in graph.nodes if n.kernel}
    with_scratch = [n for n, names in open_nodes.items() if any(KERNELS_BY_NAME[k].scratch for k in names)]
    assert with_scratch, "the model must have layers with a scratch kernel among their candidates"
    for node, names in open_nodes.items():
        assert chosen[node] == min(names, key=lambda k: fake.table[(node, k)]), node
    assert graph.meta["lower_peak"] == [], \
        f"a swap adding over {INSTRUCTIONS_PER_RAM_BYTE:g} measured instructions per byte: {graph.meta['lower_peak']}"
