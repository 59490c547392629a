"""The kernel catalogue: which C kernel implements which op, and its parameters.

`KERNELS` lists every kernel tinygen can emit. The choose_kernels pass picks one
per node by (op, activation dtype, weight dtype and bits, target features);
`params.py` computes the kernel's parameter struct from the quantized node, a
plain dict whose keys are the C struct's field names. The numpy reference
(tinygen.ref) and the C emitter both consume that dict, so it is the single
description of each call.
"""

import importlib

# the catalogue is loaded on first use (PEP 562), not by importing a submodule such as
# tinygen.kernels.params: tinygen.kernels.gating imports those, and the table imports it
_TABLE_NAMES = frozenset({"BACKENDS", "KERNELS", "KernelSpec", "find_kernel", "find_kernels"})


def __getattr__(name):
    if name in _TABLE_NAMES:
        return getattr(importlib.import_module("tinygen.kernels.table"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BACKENDS", "KERNELS", "KernelSpec", "find_kernel", "find_kernels"]
