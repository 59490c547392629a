"""Pick the C kernel for every node and compute its parameter struct.

The choice depends on the op, the activation and weight dtypes and bit widths,
the target's features (from the board file) and the kernel backend the user
asked for (`--kernels`, tinygen.kernels.table.BACKENDS). `choice` overrides the
preference per node (node name -> kernel name), e.g. with the kernels
`--kernels auto` measured fastest. No matching kernel is an error naming the
node, never a silent fallback. Reshapes need no kernel: they alias their
input's buffer.
"""

from __future__ import annotations

import numpy as np

from tinygen.errors import UnsupportedOpError, UsageError
from tinygen.ir import Graph, Node, schema
from tinygen.kernels.params import kernel_params, kernel_variants, struct_fields
from tinygen.kernels.lut_table import LUT_NAMES
from tinygen.kernels.spec import pack_consts
from tinygen.kernels.table import BACKENDS, KernelSpec, find_kernels
from tinygen.quant.spec import WEIGHT_FORMATS

# backends searched per --kernels mode, in order of preference
_SEARCH = {
    "tinygen": ("tinygen",),
    "portable": ("tinygen",),
    "cmsis-nn": ("cmsis-nn", "tinygen"),
    "esp-nn": ("esp-nn", "tinygen"),
    "auto": ("tinygen", "cmsis-nn", "esp-nn"),
}
# modes that name one library: it computes every layer it has an exact kernel for, and
# tinygen's kernels stand in only for the others (an op it lacks, a variant it cannot compute
# exactly). The memory-aware choice, the fit and any per-node choice pick among its kernels there
LIBRARIES = {"cmsis-nn": "CMSIS-NN", "esp-nn": "ESP-NN"}      # mode -> the library's name


def weight_type(graph: Graph, node: Node) -> tuple[str | None, int | None]:
    """(dtype, bits) a kernel's weights must have for the node: the low-bit storage format
    (passes/quantize_lowbit.py) where the node has one, else the weight tensor's."""
    fmt = node.attrs.get("weight_format")
    if fmt is not None:
        return fmt, WEIGHT_FORMATS[fmt]
    wname = node.param("weight")
    weight = graph.tensor(wname) if wname else None
    return (weight.dtype, weight.bits) if weight else (None, None)


def kernel_candidates(graph: Graph, node: Node, features: frozenset, kernels: str = "tinygen") -> list[KernelSpec]:
    """The kernels able to compute `node` under the --kernels mode, preferred first; under a
    mode naming a library (LIBRARIES), only the library's where it has one for the node."""
    if kernels not in BACKENDS:
        raise UsageError(f"unknown kernel backend {kernels!r}", f"use one of: {', '.join(BACKENDS)}")
    if kernels == "portable":
        features = frozenset()          # no ISA extension: the portable C kernels
    act = graph.tensor(node.outputs[0]).dtype
    wdtype, wbits = weight_type(graph, node)
    in_dtype = graph.tensor(node.inputs[0]).dtype if node.inputs else None
    found: list[KernelSpec] = []
    for backend in _SEARCH[kernels]:
        found += find_kernels(node.op, act, wdtype, wbits, features, kernel_variants(graph, node), (backend,),
                              in_dtype)
    found = [spec for spec in found if spec.accepts is None or spec.accepts(graph, node)]
    # a node whose weights are stored coded (passes/entropy_code.py) takes only its coding's kernels
    found = [spec for spec in found if spec.weight_coding == node.attrs.get("weight_coding")]
    shared = [spec for spec in found if spec.name in LUT_NAMES]
    if shared:
        # shared weights (--weights lut, a compressed model's codebook): only the kernels reading
        # them packed, whatever the variant or library (the others would store int8 weights), so
        # that --kernels auto, the memory-aware choice and the fit choose among these
        return shared
    if kernels in LIBRARIES:
        return [spec for spec in found if spec.backend == kernels] or found
    return found


def choose_kernels(graph: Graph, features: frozenset = frozenset(), kernels: str = "tinygen",
                   choice: dict[str, str] | None = None) -> Graph:
    choice = choice or {}
    packed = _PackedIndex(graph)
    for node in graph.nodes:
        if schema(node.op).alias:
            node.kernel = None
            continue
        candidates = kernel_candidates(graph, node, features, kernels)
        if not candidates:
            act = graph.tensor(node.outputs[0]).dtype
            wdtype, wbits = weight_type(graph, node)
            wdesc = f", {wbits}-bit {wdtype} weights" if wdtype else ""
            src = graph.tensor(node.inputs[0]).dtype if node.inputs else act
            acts = f"{act} activations" if src == act else f"{src} input and {act} output"
            raise UnsupportedOpError(
                f"no kernel for {node.op} with {acts}{wdesc} "
                f"on a target with features {sorted(features) or 'none'} (node {node.name}, {node.source})")
        spec = candidates[0]
        if node.name in choice:
            named = [c for c in candidates if c.name == choice[node.name]]
            if not named:
                raise UsageError(f"kernel {choice[node.name]} cannot compute node {node.name} ({node.op})",
                                 f"candidates: {', '.join(c.name for c in candidates)}")
            spec = named[0]
        node.kernel = spec.name
        node.attrs["kparams"] = struct_fields(spec.struct, kernel_params(graph, node))
        if spec.pack is None:          # an earlier choice's packed constant, if any
            packed.drop(node)
        node.scratch_bytes = spec.scratch(node.attrs["kparams"]) if spec.scratch else 0
        node.state_bytes = spec.state(node.attrs["kparams"]) if spec.state else 0
        if spec.pack is not None:
            packed.add(node, spec)
    return graph


class _PackedIndex:
    """The nodes' "packed" constants (KernelSpec.pack), by the weight tensor they were packed
    from, and how many nodes read each constant: nodes reading the same weight tensor
    (passes/tile.py's per-tile copies of a layer) share one packed constant where theirs are
    equal, so that flash holds it once; a map, not a scan of the graph per node."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.readers: dict[str, int] = {}
        self.by_weight: dict[str, list[str]] = {}
        for node in graph.nodes:
            for name in set(node.const_names()):
                self.readers[name] = self.readers.get(name, 0) + 1
            shared, weight = node.param("packed"), node.param("weight")
            if shared is not None and weight is not None and shared not in self.by_weight.setdefault(weight, []):
                self.by_weight[weight].append(shared)

    def drop(self, node: Node) -> None:
        """Forget the node's packed constant; the tensor goes unless another node reads it."""
        old = node.params[0].pop("packed", None)
        if old is None:
            return
        self.readers[old] = self.readers.get(old, 1) - 1
        if self.readers[old] <= 0 and old not in node.const_names():
            self.graph.tensors.pop(old, None)
            for names in self.by_weight.values():
                if old in names:
                    names.remove(old)

    def add(self, node: Node, spec: KernelSpec) -> None:
        """The kernel's build-time constant as the node's "packed" constant, shared with an
        equal one packed from the same weight tensor, or by the same kernel where it packs no
        weights (tg_softmax_s16's LUTs, the same for every layer)."""
        consts = pack_consts(self.graph, node)
        data = np.ascontiguousarray(spec.pack(node.attrs["kparams"], consts))
        self.drop(node)                 # chosen again (e.g. by --kernels auto): replace it
        weight = node.param("weight")
        if weight is None:
            weight = f"<{spec.name}>"   # no tensor is named so: the kernel's weightless constants
        for shared in self.by_weight.get(weight, []):
            have = self.graph.tensor(shared).data
            if have.dtype == data.dtype and np.array_equal(have, data):
                node.set_param("packed", shared)
                self.readers[shared] += 1
                return
        name = self.graph.add_const(self.graph.unique_name(f"{node.name}_packed"), data, str(data.dtype)).name
        node.set_param("packed", name)
        self.readers[name] = 1
        self.by_weight.setdefault(weight, []).append(name)
