"""--kernels auto weighs flash (issue 17): --prefer balanced takes a kernel with more constant
flash than the preferred one only for INSTRUCTIONS_PER_FLASH_BYTE instructions per byte added."""

from __future__ import annotations

import dataclasses

import pytest

from e2e import example_source
from test_autotune import F746, choices, options
from tinygen.fit.autotune import compile_auto
from tinygen.passes.footprint import layer_flash
from tinygen.kernels.auto_pick import INSTRUCTIONS_PER_FLASH_BYTE, marginal_code, pick, pick_layers, worth
from tinygen.fit.measure_cache import MeasurementCache
from tinygen.kernels.table import KERNELS_BY_NAME


def test_pick_balanced_weighs_flash_per_instruction():
    names = ["pref", "wide", "small"]
    flash = {"pref": 1000, "wide": 2000, "small": 900}
    # wide saves 3,999 instructions for 1,000 B: below 4 per byte; small is slower
    counts = {"pref": 10_000, "wide": 6_001, "small": 11_000}
    assert pick(names, counts, flash, "balanced", 4.0) == "pref"
    assert pick(names, counts, flash, "speed", 4.0) == "wide"
    counts["wide"] = 6_000                  # exactly 4 per byte: taken
    assert pick(names, counts, flash, "balanced", 4.0) == "wide"
    counts["small"] = 5_000                 # faster and no more flash: taken whatever the bar
    assert pick(names, counts, flash, "balanced", 4.0) == "small"


def test_pick_balanced_unmeasured_wider_kernel_is_not_taken():
    flash = {"pref": 10, "wide": 20}
    assert pick(["pref", "wide"], {"pref": None, "wide": 5}, flash) == "pref"
    # the preferred kernel unmeasured (lower_peak applied another while measuring): kept, not
    # a measured slower kernel that stores no more flash (IC's conv2d_1 took the portable one)
    flash = {"dsp": 100, "direct": 200, "portable": 100}
    assert pick(["dsp", "direct", "portable"], {"dsp": None, "direct": 3_000, "portable": 19_000}, flash) == "dsp"
    assert pick(["dsp", "direct", "portable"], {"dsp": None, "direct": 3_000, "portable": 19_000}, flash,
                "speed") == "direct"
    assert not worth(None, 5, 10, 20) and worth(None, None, 10, 10)
    with pytest.raises(ValueError):
        pick(["pref"], {}, {"pref": 1}, "fastest")


class WideFaster:
    """Made-up counts where tg_conv2d_direct_s8_dsp (int16 weights: more flash) is the fastest:
    on conv_0 by far more than the bar per byte added, on the other convs by far less."""

    def __init__(self):
        self.table: dict[tuple[str, str], int] = {}

    def __call__(self, source, graph, board, timeout=None) -> dict[str, int]:
        got = {}
        for n in graph.nodes:
            if n.kernel:
                saved = {"conv_0": 100_000}.get(n.name, 1_000)
                got[n.name] = 200_000 - (saved if n.kernel == "tg_conv2d_direct_s8_dsp" else 0) + \
                    (0 if KERNELS_BY_NAME[n.kernel].requires else 50_000)
                self.table[(n.name, n.kernel)] = got[n.name]
        return got


def test_auto_balanced_keeps_flash_unless_the_saving_pays(tmp_path):
    """The same made-up counts under both preferences: balanced picks, per layer, the fastest
    kernel that passes the bar against the preferred one, and keeps fewer constants than speed."""
    source = example_source("dscnn")
    fake = WideFaster()
    cache = MeasurementCache(tmp_path / "cache.json")
    fast = compile_auto(source, None, dataclasses.replace(options(), prefer="speed"), F746, measure=fake, cache=cache)
    balanced = compile_auto(source, None, options(), F746, measure=fake, cache=cache)
    assert balanced.meta["kernels"]["prefer"] == "balanced"
    open_nodes = choices(fast)
    widened = 0
    consts = {}
    for graph, label in ((fast, "speed"), (balanced, "balanced")):
        consts[label] = sum(layer_flash(graph, n, KERNELS_BY_NAME[n.kernel]) for n in graph.nodes if n.kernel)
    for node, names in open_nodes.items():
        n = balanced.node(node)
        flash = {k: layer_flash(balanced, n, KERNELS_BY_NAME[k]) for k in names}
        counts = {k: fake.table[(node, k)] for k in names}
        base = names[0]
        allowed = [k for k in names if flash[k] <= flash[base]
                   or counts[base] - counts[k] >= INSTRUCTIONS_PER_FLASH_BYTE * (flash[k] - flash[base])]
        assert n.kernel == min(allowed, key=lambda k: (counts[k], names.index(k))), (node, counts, flash)
        fastest = fast.node(node).kernel
        widened += flash[fastest] > flash[base]
    assert widened >= 2, "the direct kernel (more flash) is the fastest on several convs"
    assert balanced.node("conv_0").kernel == "tg_conv2d_direct_s8_dsp"         # 39 per byte: pays
    # 0.24 per byte: the preferred kernel kept (the 3-row pointwise kernel, first where it serves)
    assert balanced.node("conv_6").kernel == open_nodes["conv_6"][0] == "tg_conv2d_1x1_rows3_s8_dsp"
    assert consts["balanced"] < consts["speed"]
    refused = balanced.meta["kernels"]["flash_refused"]
    metric = balanced.meta["kernels"]["metric"]          # the f746zg has a timing model: the counts are its cycles
    assert metric == "cycles"
    assert refused and all(r["flash_refused"] > 0 and r[f"{metric}_kept"] > 0 for r in refused)


def test_pick_layers_counts_code_no_other_layer_links():
    """SWW's last depthwise layer: the widening kernel is fastest and keeps the fewest constants,
    but it alone links the generic pixel functions; the preferred kx1 kernel's code another
    layer links already. Balanced keeps kx1 there; the code's bytes decide, not the constants."""
    code = {"kx1": {"kx1.o .text.run": 700, "kx1.o .text.kx1": 1700},
            "widen": {"widen.o .text.widen": 4, "dw.o .text.pixel": 9000},
            "dw": {"dw.o .text.dw": 700, "dw.o .text.pixel": 9000},
            "cmsis": None}
    candidates = {"dw8": ["kx1", "dw"], "dw12": ["kx1", "widen", "dw", "cmsis"]}
    counts = {"dw8": {"kx1": 33_659, "dw": 56_417},
              "dw12": {"kx1": 15_723, "widen": 10_659, "dw": 10_675, "cmsis": 10_754}}
    flash = {"dw8": {"kx1": 4356, "dw": 964}, "dw12": {"kx1": 5380, "widen": 1280, "dw": 1284, "cmsis": 1472}}
    assert pick(candidates["dw12"], counts["dw12"], flash["dw12"]) == "widen"       # constants alone
    assert pick_layers(candidates, counts, flash, code) == {"dw8": "kx1", "dw12": "kx1"}
    assert pick_layers(candidates, counts, flash, code, prefer="speed") == {"dw8": "kx1", "dw12": "widen"}
    # another layer links the pixel functions anyway: the widening kernel adds 4 B of code, and is taken
    assert pick_layers(candidates, counts, flash, code, others=("dw",)) == {"dw8": "kx1", "dw12": "widen"}
    # a saving that pays for the code: 4 instructions per byte over kx1's flash
    counts["dw12"]["widen"] = 15_723 - 4 * (1280 + 9004 - 5380)
    assert pick_layers(candidates, counts, flash, code)["dw12"] == "widen"
    counts["dw12"]["widen"] += 1
    assert pick_layers(candidates, counts, flash, code)["dw12"] == "kx1"


def test_pick_layers_takes_no_kernel_for_code_nobody_measured():
    """CMSIS-NN's code is not measured: a layer whose constants-only pick is CMSIS-NN keeps it,
    and a re-pick never moves a layer to it (its code unknown, it could not be weighed)."""
    code = {"pref": {"a.o .text.a": 5000}, "other": {"b.o .text.b": 100}, "cmsis": None}
    counts = {"l": {"pref": 1000, "other": 30_000, "cmsis": 900}}
    flash = {"l": {"pref": 100, "other": 100, "cmsis": 100}}
    assert pick_layers({"l": ["pref", "other", "cmsis"]}, counts, flash, code) == {"l": "cmsis"}
    counts["l"]["cmsis"] = 2000         # pref: the preferred kernel is always allowed, and fastest
    assert pick_layers({"l": ["pref", "other", "cmsis"]}, counts, flash, code) == {"l": "pref"}
    code["pref"] = None                 # the preferred kernel's code unknown: constants alone
    counts["l"]["other"] = 900
    assert pick_layers({"l": ["pref", "other", "cmsis"]}, counts, flash, code) == {"l": "other"}


def test_marginal_code_counts_units_once():
    units = {"x.o .text.f": 10, "x.o .text.g": 20, "libc.a(memset.o) .text": 5}
    assert marginal_code(units, []) == 35
    assert marginal_code(units, [{"x.o .text.g": 20}, {"libc.a(memset.o) .text": 5}]) == 10
