"""The kernel catalogue: which C kernel implements which op, and its parameters.

`KERNELS` lists every kernel tinygen can emit. The choose_kernels pass picks one
per node by (op, activation dtype, weight dtype and bits, target features);
`params.py` computes the kernel's parameter struct from the quantized node, a
plain dict whose keys are the C struct's field names. The numpy reference
(tinygen.ref) and the C emitter both consume that dict, so it is the single
description of each call.
"""

from tinygen.kernels.table import BACKENDS, KERNELS, KernelSpec, find_kernel, find_kernels

__all__ = ["BACKENDS", "KERNELS", "KernelSpec", "find_kernel", "find_kernels"]
