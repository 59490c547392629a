"""The arena planner: property tests over random graphs plus exact small cases.

The planner reads only the graph's structure (who writes and reads which
tensor, which ops alias their input), tensor sizes and per-node scratch bytes.
The random graphs therefore use int8 tensors of random sizes joined by
shape-agnostic ops (logistic / clamp as "a layer", add for residuals, concat
for branches, reshape for aliases). Lifetimes are recomputed here from the
graph, independently of the planner's own buffers, and every pair of tensors
live at the same time is checked for overlap.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from inplace_traces import (brute_distance, trace_conv2d_dsp, trace_depthwise_dsp, trace_mat_mult_dsp, trace_portable,
                            trace_rows3_dsp, trace_rows4_dsp, trace_rows4_each, trace_rows_dsp, trace_slide_dsp)
from tinygen.ir import Graph, Kind, Node, QParams, Tensor, validate
from tinygen.passes.plan_memory import ALIGNMENT, check_plan, lowest_free, plan_memory


def align(n: int) -> int:
    return -(-n // ALIGNMENT) * ALIGNMENT


class Chain:
    """Build int8 graphs by hand: tensor sizes in bytes, shapes [1, size]."""

    def __init__(self, input_size: int):
        self.g = Graph("plan")
        self._tensor("input", input_size, Kind.INPUT)
        self.g.inputs.append("input")

    def _tensor(self, name: str, size: int, kind=Kind.ACTIVATION) -> str:
        self.g.add_tensor(Tensor(name, (1, size), "int8", kind, qparams=QParams(0.1, 0)))
        return name

    def node(self, op: str, inputs: list[str], size: int, name: str | None = None, scratch: int = 0) -> str:
        name = name or f"t{len(self.g.nodes)}"
        attrs = {"clamp": {"lo": 0.0, "hi": 6.0}, "concat": {"axis": 1}}.get(op, {})
        self._tensor(name, size)
        self.g.nodes.append(Node(name, op, list(inputs), [name], attrs, scratch_bytes=scratch))
        return name

    def finish(self, *outputs: str) -> Graph:
        for name in outputs:
            if name not in self.g.outputs:
                self.g.outputs.append(name)
                if self.g.tensors[name].kind is Kind.ACTIVATION:
                    self.g.tensors[name].kind = Kind.OUTPUT
        validate(self.g)
        return plan_memory(self.g)


# -- an independent model of lifetimes ------------------------------------------------------


def roots(g: Graph) -> dict[str, str]:
    """tensor -> the tensor whose storage it uses (reshape outputs alias their input)."""
    root = {}
    for node in g.nodes:
        for out in node.outputs:
            root[out] = root.get(node.inputs[0], node.inputs[0]) if node.op == "reshape" else out
    for name in g.inputs:
        root.setdefault(name, name)
    return root


def lifetimes(g: Graph) -> dict[str, tuple[int, int]]:
    """Storage root -> (first, last) node index it must survive; -1 / len(nodes) for
    graph inputs / outputs."""
    root = roots(g)
    end = len(g.nodes)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for name in g.inputs:
        first[root[name]] = -1
        last[root[name]] = -1
    for i, node in enumerate(g.nodes):
        for t in node.outputs:
            first.setdefault(root[t], i)
            last[root[t]] = max(last.get(root[t], i), i)
        for t in node.inputs:
            last[root[t]] = max(last[root[t]], i)
    for name in g.outputs:
        last[root[name]] = end
    return {r: (first[r], last[r]) for r in first}


BRUTE_FORCE_LIMIT = 4_000_000      # output bytes x input bytes traced per layer


def window_distance(g: Graph, node, inp: str) -> int:
    """By brute force over the kernel's loops (the traces below): the smallest distance
    its output must keep below its input; 0 for the elementwise kernels."""
    k = node.attrs.get("kparams")
    traces = {
        "tg_conv2d_s8": lambda: trace_portable(k, depthwise=False),
        "tg_depthwise_conv2d_s8": lambda: trace_portable(k, depthwise=True),
        "tg_conv2d_s8_dsp": lambda: trace_conv2d_dsp(k),
        "tg_conv2d_1x1_s8_dsp": lambda: trace_mat_mult_dsp(k["out_h"] * k["out_w"], k["in_c"], k["out_c"]),
        # the 3-row blocks (specialized) or the 2-row product (the generic entry point): both traced
        "tg_conv2d_1x1_rows3_s8_dsp": lambda: [trace_rows3_dsp(k["out_h"] * k["out_w"], k["in_c"], k["out_c"]),
                                               trace_mat_mult_dsp(k["out_h"] * k["out_w"], k["in_c"], k["out_c"])],
        # the 4-pixel blocks (specialized; none under 4 pixels) or pixel by pixel (the generic entry point)
        "tg_conv2d_rows4_w16_s8_dsp": lambda: [t for t in (trace_rows4_dsp(k), trace_rows4_each(k)) if t is not None],
        "tg_conv2d_rows4_pair_s8_dsp": lambda: [t for t in (trace_rows4_dsp(k), trace_rows4_each(k)) if t is not None],
        # the ring of widened rows (specialized) or pixel by pixel (the generic entry point)
        "tg_conv2d_slide_pair_s8_dsp": lambda: [list(trace_slide_dsp(k)), list(trace_rows4_each(k))],
        "tg_fully_connected_s8_dsp": lambda: trace_mat_mult_dsp(k["rows"], k["in_features"], k["out_features"]),
        "tg_conv2d_1x1_shallow_s8_dsp": lambda: trace_rows_dsp(k["out_h"] * k["out_w"], k["in_c"], k["out_c"]),
        "tg_depthwise_conv2d_s8_dsp": lambda: trace_depthwise_dsp(k),
        # its 3x3 path alone: planned with the same distance, safe for that path's row order
        "tg_depthwise_conv2d_3x3_s8_dsp": lambda: trace_depthwise_dsp(k),
    }
    if node.kernel in traces:
        if g.tensors[node.outputs[0]].nbytes * g.tensors[inp].nbytes > BRUTE_FORCE_LIMIT:
            return 0        # too large to trace in Python (the traces are tested on small shapes below)
        found = traces[node.kernel]()
        return max(map(brute_distance, found)) if isinstance(found, list) else brute_distance(found)
    assert g.tensors[inp].nbytes == g.tensors[node.outputs[0]].nbytes
    return 0


def check_against_model(g: Graph) -> None:
    plan = g.meta["memory"]
    check_plan(g)
    root = roots(g)
    life = lifetimes(g)
    end = len(g.nodes)
    arena_tensors = [t for t in g.activation_tensors()]
    assert set(plan.offsets) == {t.name for t in arena_tensors}

    # aliases share their root's offset; every tensor is aligned and inside the arena
    for t in arena_tensors:
        off = plan.offsets[t.name]
        assert off == plan.offsets[root[t.name]], f"{t.name} does not share {root[t.name]}'s buffer"
        assert off % ALIGNMENT == 0, f"{t.name} at {off} is misaligned"
        assert 0 <= off and off + t.nbytes <= plan.arena_size, f"{t.name} outside the arena"
    assert plan.arena_size % ALIGNMENT == 0

    # storage (roots and scratch) live at the same time never overlaps, except an
    # output over an input its node is the last to read, at least D bytes below it
    shares = {(s.output, s.input): s.distance for s in plan.shares}
    for (out, inp), d in shares.items():
        writer = next(i for i, n in enumerate(g.nodes) if out in n.outputs)
        assert life[inp][1] == writer, f"{out} may overwrite {inp}, which is read after node {writer}"
        assert d >= window_distance(g, g.nodes[writer], inp), (out, inp)
    spans = [(r, plan.offsets[r], g.tensors[r].nbytes, *life[r]) for r in life]
    spans += [(f"{n.name}.scratch", plan.scratch[n.name], n.scratch_bytes, i, i)
              for i, n in enumerate(g.nodes) if n.scratch_bytes]
    for s in spans:
        assert s[1] % ALIGNMENT == 0 and s[1] + s[2] <= plan.arena_size, s
    for i, (a, ao, asz, af, al) in enumerate(spans):
        for b, bo, bsz, bf, bl in spans[i + 1:]:
            if af <= bl and bf <= al and not (ao + asz <= bo or bo + bsz <= ao):
                if (a, b) in shares and ao + shares[a, b] <= bo or (b, a) in shares and bo + shares[b, a] <= ao:
                    continue
                raise AssertionError(f"{a} [{ao}, {ao + asz}) live {af}..{al} overlaps {b} [{bo}, {bo + bsz}) "
                                     f"live {bf}..{bl}")

    # the planner's own view of lifetimes agrees with ours
    buffers = {b.name: b for b in plan.buffers}
    for r, (f, last) in life.items():
        assert (buffers[r].first, buffers[r].last) == (f, last), r
    for name in g.inputs:
        assert buffers[root[name]].first == -1
    for name in g.outputs:
        assert buffers[root[name]].last == end

    # the peak of live bytes is a lower bound, and the planner reports it exactly
    peak = max(sum(sz for _, _, sz, f, last in spans if f <= t <= last) for t in range(-1, end + 1))
    assert plan.peak_live == peak
    assert plan.arena_size >= plan.lower_bound
    if not shares:
        assert plan.lower_bound == peak and plan.arena_size >= peak


# -- random graphs ---------------------------------------------------------------------------

sizes = st.integers(1, 3000)


@st.composite
def graphs(draw, branching: bool) -> Graph:
    c = Chain(draw(sizes))
    produced = ["input"]
    for _ in range(draw(st.integers(1, 12))):
        kinds = ["layer", "reshape"] + (["add", "concat"] if branching and len(produced) > 1 else [])
        kind = draw(st.sampled_from(kinds))
        # mostly continue from the newest tensor; with branching, read any earlier one too
        pick = (st.sampled_from(produced) if branching else st.just(produced[-1]))
        src = draw(pick)
        if kind == "layer":
            name = c.node(draw(st.sampled_from(["logistic", "clamp"])), [src], draw(sizes),
                          scratch=draw(st.sampled_from([0, 0, 0, 1, 100, 1000])))
        elif kind == "reshape":
            name = c.node("reshape", [src], c.g.tensors[src].size)
        elif kind == "add":
            other = draw(st.sampled_from([t for t in produced if t != src]))
            size = max(c.g.tensors[src].size, c.g.tensors[other].size)
            name = c.node("add", [src, other], size)
        else:
            parts = [src] + draw(st.lists(st.sampled_from(produced), min_size=1, max_size=2))
            name = c.node("concat", parts, sum(c.g.tensors[p].size for p in parts))
        produced.append(name)
    outputs = [produced[-1]]
    if branching:
        outputs += draw(st.lists(st.sampled_from(produced[1:]), max_size=2))
    return c.finish(*outputs)


@settings(max_examples=150, deadline=None)
@given(graphs(branching=False))
def test_plan_memory_chain_properties(g):
    check_against_model(g)


@settings(max_examples=200, deadline=None)
@given(graphs(branching=True))
def test_plan_memory_branching_properties(g):
    check_against_model(g)


# -- exact small cases -------------------------------------------------------------------------


def test_plan_memory_chain_reuses_memory():
    c = Chain(64)
    a = c.node("logistic", ["input"], 256, name="a")
    b = c.node("logistic", [a], 128, name="b")
    g = c.finish(c.node("logistic", [b], 32, name="output"))
    plan = g.meta["memory"]
    adjacent = [(64, 256), (256, 128), (128, 32)]
    assert plan.arena_size == max(align(align(max(p)) + min(p)) for p in adjacent) == 384
    assert plan.arena_size < 64 + 256 + 128 + 32
    assert plan.peak_live == 384
    # tensors whose lifetimes do not meet share bytes
    assert plan.offsets["a"] == plan.offsets["output"] == 0
    assert plan.offsets["input"] == plan.offsets["b"] == 256
    check_against_model(g)


def test_plan_memory_unaligned_sizes_are_padded():
    c = Chain(10)
    a = c.node("logistic", ["input"], 30, name="a")
    g = c.finish(c.node("logistic", [a], 7, name="output"))
    plan = g.meta["memory"]
    assert plan.offsets["a"] == 0
    assert plan.offsets["input"] == plan.offsets["output"] == align(30) == 32
    assert plan.arena_size == align(32 + 10) == 48
    assert plan.peak_live == 40


def test_plan_memory_residual_keeps_the_skip_input_alive():
    c = Chain(64)
    a = c.node("logistic", ["input"], 64, name="a")
    g = c.finish(c.node("add", [a, "input"], 64, name="output"))
    plan = g.meta["memory"]
    assert sorted(plan.offsets.values()) == [0, 64, 128]
    assert plan.arena_size == plan.peak_live == 192


def test_plan_memory_reshape_aliases_and_extends_the_lifetime():
    c = Chain(48)
    a = c.node("logistic", ["input"], 48, name="a")
    r = c.node("reshape", [a], 48, name="r")
    b = c.node("logistic", [r], 48, name="b")
    g = c.finish(c.node("logistic", [b], 48, name="output"))
    plan = g.meta["memory"]
    assert plan.offsets["r"] == plan.offsets["a"]
    assert plan.offsets["b"] != plan.offsets["a"]      # a (through r) is read by b's node
    buf = next(x for x in plan.buffers if x.name == "a")
    assert buf.tensors == ["a", "r"] and (buf.first, buf.last) == (0, 2)
    assert plan.arena_size == 96
    check_against_model(g)


def test_plan_memory_scratch_lives_only_during_its_node():
    c = Chain(32)
    a = c.node("logistic", ["input"], 32, name="a", scratch=100)
    g = c.finish(c.node("logistic", [a], 32, name="output"))
    plan = g.meta["memory"]
    scratch = next(b for b in plan.buffers if b.name == "a.scratch")
    assert (scratch.first, scratch.last, scratch.size) == (0, 0, 100)
    assert plan.scratch == {"a": scratch.offset}
    # at node 0: input + a + scratch = 164 bytes
    assert plan.peak_live == 164
    assert plan.arena_size == align(100) + 32 + 32 == 176
    check_against_model(g)


def test_plan_memory_graph_output_read_later_lives_to_the_end():
    c = Chain(16)
    a = c.node("logistic", ["input"], 1000, name="a")
    b = c.node("logistic", [a], 16, name="b")
    g = c.finish(c.node("logistic", [b], 16, name="c"), a)
    plan = g.meta["memory"]
    buf = next(x for x in plan.buffers if x.name == "a")
    assert buf.last == len(g.nodes)
    check_against_model(g)


@pytest.mark.parametrize("model", ["dscnn", "resnet8"])
def test_plan_memory_examples_hold(model):
    from e2e import compile_example

    _, g = compile_example(model)
    check_against_model(g)


def _with_kernels(c: Chain, kernel: str) -> Chain:
    for n in c.g.nodes:
        n.kernel = kernel
    return c


@pytest.mark.parametrize("kernel, arena", [("tg_logistic_s8", 64), ("tg_softmax_s8", 128)])
def test_plan_memory_in_place_only_for_kernels_that_allow_it(kernel, arena):
    c = Chain(64)
    a = c.node("logistic", ["input"], 64, name="a")
    c.node("logistic", [a], 64, name="output")
    c = _with_kernels(c, kernel)
    g = c.finish("output")
    plan = g.meta["memory"]
    assert plan.arena_size == arena
    assert bool(plan.shares) == (kernel == "tg_logistic_s8")
    check_against_model(g)


def test_plan_memory_no_in_place_over_an_input_read_later():
    c = Chain(64)
    a = c.node("logistic", ["input"], 64, name="a")
    c.node("add", [a, "input"], 64, name="output")
    g = _with_kernels(c, "tg_add_s8").finish("output")
    plan = g.meta["memory"]
    # a may not overwrite the input (the add reads it); the add may overwrite both
    assert {(s.output, s.input) for s in plan.shares} == {("output", "a"), ("output", "input")}
    assert plan.arena_size == 128
    check_against_model(g)


# arena bytes TFLite Micro needs for the MLPerf Tiny models (Cortex-M7 stand-in)
TFLM_ARENA = {"kws_dscnn": 22_820, "vww_mobilenet": 100_708, "ic_resnet8": 54_996, "ad_autoencoder": 2_580}


@pytest.mark.parametrize("model", sorted(TFLM_ARENA))
def test_plan_memory_mlperf_models_beat_tflm(model):
    from mlperf_models import mlperf_model
    from tinygen.compiler import compile_source, load_source

    g = compile_source(load_source(mlperf_model(model)))
    check_against_model(g)
    plan = g.meta["memory"]
    assert plan.lower_bound <= plan.arena_size < TFLM_ARENA[model]


# -- placement against exhaustive searches ---------------------------------------------------------


def _collides(a, b, shares) -> bool:
    """Would buffers a and b (offsets set) violate the plan's rules?"""
    if not a.overlaps_in_time(b) or a.offset + a.size <= b.offset or b.offset + b.size <= a.offset:
        return False
    if (a.name, b.name) in shares:
        return a.offset + shares[a.name, b.name] > b.offset
    if (b.name, a.name) in shares:
        return b.offset + shares[b.name, a.name] > a.offset
    return True


def grid_optimum(buffers, shares) -> int:
    """The smallest arena over every assignment of aligned offsets below the sum of the
    aligned sizes (enough for any plan: all buffers apart)."""
    import itertools

    slots = range(0, sum(align(b.size) for b in buffers), ALIGNMENT)
    best = None
    for offsets in itertools.product(slots, repeat=len(buffers)):
        for b, off in zip(buffers, offsets):
            b.offset = off
        if any(_collides(a, b, shares) for i, a in enumerate(buffers) for b in buffers[i + 1:]):
            continue
        arena = align(max(b.offset + b.size for b in buffers))
        best = arena if best is None else min(best, arena)
    return best


tiny_sizes = st.integers(1, 60)


@st.composite
def tiny_graphs(draw) -> Graph:
    c = Chain(draw(tiny_sizes))
    produced = ["input"]
    for _ in range(draw(st.integers(1, 3))):
        src = draw(st.sampled_from(produced))
        if len(produced) > 1 and draw(st.booleans()):
            other = draw(st.sampled_from([t for t in produced if t != src]))
            name = c.node("add", [src, other], max(c.g.tensors[src].size, c.g.tensors[other].size))
        else:
            name = c.node("logistic", [src], draw(tiny_sizes), scratch=draw(st.sampled_from([0, 0, 20])))
        produced.append(name)
    g = c.g
    for n in g.nodes:       # in place allowed where the sizes match (elementwise kernels)
        n.kernel = "tg_add_s8" if n.op == "add" else "tg_logistic_s8"
    return c.finish(produced[-1])


@settings(max_examples=40, deadline=None)
@given(tiny_graphs())
def test_exact_placement_is_the_grid_optimum(g):
    """The order search, run to the end, equals the best of every offset assignment."""
    from tinygen.passes.plan_memory import exact_placement

    plan = g.meta["memory"]
    assume(len(plan.buffers) <= 4)
    shares = {(s.output, s.input): s.distance for s in plan.shares}
    exact = exact_placement(plan.buffers, shares, 1 << 30, budget=None)
    assert exact is not None and exact[0] == grid_optimum(plan.buffers, shares)


@settings(max_examples=60, deadline=None)
@given(graphs(branching=True))
def test_plan_memory_is_optimal_on_small_graphs(g):
    """With at most 7 buffers the planner's arena equals the exhaustive search's."""
    from tinygen.passes.plan_memory import exact_placement

    plan = g.meta["memory"]
    assume(len(plan.buffers) <= 7)
    check_against_model(g)
    shares = {(s.output, s.input): s.distance for s in plan.shares}
    exact = exact_placement(plan.buffers, shares, plan.arena_size, budget=None)
    assert exact is None, f"a {exact[0]} B arena exists, the planner gave {plan.arena_size} B"


@pytest.mark.parametrize("seed", range(12))
def test_reorder_peak_is_the_planners_lower_bound(seed):
    """`inspect --memory` prints both numbers: the peak of the op order kept (reorder) and the
    plan's lower bound must be the same figure. Odd-sized audio-like stacks (k x 1 convs,
    dilated depthwise in place) put in-place distances off the 16-byte alignment, which the
    planner rounds up; the reorder must count them the same way."""
    import numpy as np
    import torch
    from torch import nn

    from tinygen.board import get_board
    from tinygen.frontend.torch import from_exported
    from tinygen.passes import CompileOptions, compile_graph

    rng = np.random.default_rng(seed)
    c1, c2, k, length = (int(rng.integers(3, 20)), int(rng.integers(3, 20)), int(rng.choice([3, 5, 7])),
                         int(rng.integers(20, 100)))
    torch.manual_seed(seed)

    class Audio(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(1, c1, (k, 1), padding=(k // 2, 0))
            self.dw = nn.Conv2d(c1, c1, (3, 1), padding=(2, 0), dilation=(2, 1), groups=c1)
            self.b = nn.Conv2d(c1, c2, 1)
            self.dw2 = nn.Conv2d(c2, c2, (3, 1), padding=(1, 0), groups=c2)

        def forward(self, x):
            y = torch.relu(self.dw(torch.relu(self.a(x))))
            return torch.relu(self.dw2(torch.relu(self.b(y)))).mean((2, 3))

    program = torch.export.export(Audio().eval(), (torch.randn(1, 1, length, 1),))
    for features in (get_board("f746zg").isa_features, frozenset()):
        graph = compile_graph(from_exported(program, "audio"), rng.standard_normal((8, length, 1, 1)).astype(np.float32),
                              CompileOptions(features=features))
        order, plan = graph.meta["order"], graph.meta["memory"]
        assert order.peak == plan.lower_bound, (order, plan.lower_bound)
        if not order.changed:
            assert order.original_peak == plan.lower_bound


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(-200, 400), st.integers(0, 300)), max_size=12))
def test_lowest_free_is_the_lowest_uncovered_candidate(raw):
    """First fit's one sweep (lowest_free) returns what checking every candidate does: the
    lowest of 0 and the aligned span ends that no span covers."""
    spans = [(lo, lo + length) for lo, length in raw]
    candidates = sorted({0} | {align(hi) for _, hi in spans if align(hi) >= 0})
    assert lowest_free(spans) == next(c for c in candidates if not any(lo <= c < hi for lo, hi in spans))
