"""KernelSpecs of TFLite's resource variables (firmware/kernels/variable/, declared in
tg_kernels_variable.h, parameters from tinygen.kernels.params_variable, numpy twins in
tinygen.ref.variable): portable C copying bytes, so one kernel per op serves every dtype. The
variable's bytes are the state of the node that owns them (attr state_of names it; its KernelSpec.state
counts them, the other node's is 0), in the arena's persistent region, put back by tg_variable_reset
(KernelSpec.reset) with its initial value. tinygen.kernels.table appends them to its catalogue."""

from __future__ import annotations

from tinygen.kernels.spec import KernelSpec

HEADER = "kernels/tg_kernels_variable.h"
# the dtypes a variable may hold (TFLite Micro copies any: these are those tinygen's tensors take)
VARIABLE_DTYPES = ("int8", "int16", "int32", "float32", "bool")
RESET = "tg_variable_reset"
# the owner's initial value (a constant, written to flash; only tg_variable_reset reads it, and the
# twins take it from the interpreter's state: tinygen.ref.variable.call_variable)
_INITIAL = {"const_roles": ("initial",), "ref_roles": ()}


def variable_state_bytes(p: dict) -> int:
    """The variable's bytes, counted once: on the node that owns them."""
    return int(p["bytes"]) if p["owner"] else 0


def variable_kernels() -> tuple[KernelSpec, ...]:
    reads = tuple(KernelSpec("tg_read_variable", "read_variable", act_dtype=dtype, struct="tg_variable_params_t",
                             source="kernels/tg_read_variable.c", headers=(HEADER,), **_INITIAL,
                             state=variable_state_bytes, reset=RESET, calls=("kernels/tg_variable_reset.c",))
                  for dtype in VARIABLE_DTYPES)
    # an assign's output is its one-byte int8 marker; in_dtype is the value's
    assigns = tuple(KernelSpec("tg_assign_variable", "assign_variable", act_dtype="int8", in_dtype=dtype,
                               struct="tg_variable_params_t", source="kernels/tg_assign_variable.c", headers=(HEADER,),
                               **_INITIAL,
                               state=variable_state_bytes, reset=RESET, calls=("kernels/tg_variable_reset.c",))
                    for dtype in VARIABLE_DTYPES)
    return reads + assigns
