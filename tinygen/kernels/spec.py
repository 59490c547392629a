"""KernelSpec: one C kernel's entry in the catalogue (tinygen.kernels.table) — the op, dtypes
and variant it implements, the target features it requires, and how it is called (parameter
struct, constants in order, scratch, constants packed at build time) — and the constant
roles the int8 kernels share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class KernelSpec:
    name: str                    # C function, e.g. tg_conv2d_s8
    op: str                      # IR op
    act_dtype: str = "int8"      # activation dtype of inputs and output
    in_dtype: str | None = None  # the input's activation dtype where it differs (e.g. "b1")
    weight_dtype: str | None = None
    weight_bits: int | None = None
    requires: frozenset = frozenset()   # target features ("dsp", ...) it needs
    struct: str | None = None    # C parameter struct type
    const_roles: tuple[str, ...] = ()   # constants passed after the inputs, in order
    # firmware file implementing it, relative to firmware/ as a generated project lays it out: a
    # kernel is "kernels/<file>" (on disk in its family folder: tinygen.resources.firmware_path)
    source: str = ""
    # for ops with shape-dependent kernels: the variant it implements, one of those
    # kernel_params.kernel_variants names for a node (e.g. "broadcast" for an add of
    # operands of different shapes, "1x1" for a pointwise conv); None: the general case
    variant: str | None = None
    # numpy twin in tinygen.ref.kernels when it is not the one named like the kernel:
    # an ISA-specific kernel computes the same function as its portable kernel
    twin: str | None = None
    headers: tuple[str, ...] = ()       # firmware headers it needs besides tg_kernels.h, tg_requant.h
    # who wrote the implementation: "tinygen" (firmware/kernels) or "cmsis-nn" (calls into
    # the user's CMSIS-NN tree through an adapter); see BACKENDS
    backend: str = "tinygen"
    # scratch bytes the kernel needs in the arena, from its parameter struct (None: none).
    # A kernel with scratch takes a `int8_t *scratch` argument just before its output.
    scratch: Callable[[dict], int] | None = None
    # constant data derived at build time from the node's constants, in the layout the kernel
    # reads (e.g. weights widened and interleaved, biases folded): pack(kparams, consts by role)
    # gives the array; choose_kernels stores it in flash as the node's "packed" constant, and
    # the kernel lists "packed" among its const_roles where it takes it
    pack: Callable[[dict, dict], "np.ndarray"] | None = None
    # the constants the numpy twin takes, where they differ from const_roles (a kernel
    # reading a packed constant instead of the weights); None: const_roles
    ref_roles: tuple[str, ...] | None = None
    # whether the kernel computes a given (graph, node) exactly, for kernels that serve only
    # some nodes of their op and variant (e.g. CMSIS-NN's per-tensor fully connected); None: all
    accepts: Callable | None = None
    # other kernels' sources (relative to firmware/) it calls, compiled alongside it (e.g. a
    # gated kernel running the dense DSP kernel on the kept channels)
    calls: tuple[str, ...] = ()
    # kernels of the same layers that need less scratch and no more than a few times the
    # instructions, which tinygen/passes/lower_peak.py tries besides the scratch-free ones
    # where this kernel's scratch sets the arena's peak
    leaner: tuple[str, ...] = ()
    # recurrent layers: bytes of state the layer keeps across invocations, from its parameter struct
    # (None: none). It lives in the arena's persistent region (passes/plan_memory.py), which the
    # planner never reuses; the kernel takes it as `int8_t *state` just before its scratch
    state: Callable[[dict], int] | None = None
    # a stateful kernel's function putting its state back to its start (zeros), called by the
    # generated tg_model_reset_state() as kernel_reset(&params, state); None: the recurrent layers'
    # resets (tinygen.kernels.recurrent.RESET), which also take their initial state
    reset: str | None = None
    # target features that rule it out although it meets `requires` (e.g. CMSIS-NN's Cortex-M4/M7
    # adapters, whose scratch sizes are the DSP code path's, on a core with Helium, "mve", where
    # CMSIS-NN takes its MVE paths and their buffers)
    excludes: frozenset = frozenset()
    # how the weights are stored where it is not plain: "huffman" (entropy-coded, tinygen/kernels/
    # huffman_table.py). A node marked with attrs["weight_coding"] takes only kernels of its coding
    weight_coding: str | None = None

    def stored_dtype(self, role: str, dtype: str) -> str:
        """The C type a constant of `role` (IR dtype `dtype`) is stored in flash with for this
        kernel: tinygen's kernels read per-channel shifts (in [-31, 31]) as int8, a quarter of the
        IR's int32 (3 bytes a channel); CMSIS-NN and ESP-NN take them as int32."""
        return "int8" if role == "shift" and self.backend == "tinygen" else dtype

    def stored_bytes(self, role: str, data) -> int:
        """Flash bytes of the constant `data` of `role` as stored for this kernel (stored_dtype)."""
        import numpy as np

        data = np.asarray(data)
        return int(data.size) if self.stored_dtype(role, str(data.dtype)) == "int8" else int(data.nbytes)

    @property
    def ref_name(self) -> str:
        """Name of the numpy twin in tinygen.ref.kernels."""
        return self.twin or self.name[len("tg_"):]


_REQUANT = ("weight", "bias", "multiplier", "shift")


# the constant operand of an add or mul (when one operand is not an activation)
_OPERAND = ("operand",)


def pack_consts(graph, node) -> dict:
    """The constants a KernelSpec.pack takes for `node`: each role's data, and the weight's
    Codebook (shared weights, tinygen.ir.Codebook) as "codebook" where it has one."""
    consts = {role: graph.tensor(name).data for role, name in node.params[0].items() if role != "packed"}
    weight = node.params[0].get("weight")
    if weight is not None and graph.tensor(weight).codebook is not None:
        consts["codebook"] = graph.tensor(weight).codebook
    return consts
