"""KernelSpecs of the simpler operators users' models bring (tinygen.kernels.table puts
`first` ahead of its catalogue and `last` after it): the table kernel for every op computed by
lookup (tinygen.ir.TABLE_OPS), ahead of the fixed-point logistic and tanh it tabulates; then
tanh, PReLU, SUM (tg_mean_s8 with SUM's parameters), the strided slice and mirror padding."""

from __future__ import annotations

from tinygen.ir import TABLE_OPS
from tinygen.kernels.spec import KernelSpec


def _lut(op: str) -> KernelSpec:
    """tg_lut_s8 for `op`: its table constant (passes/tabulate.py), one load per element."""
    return KernelSpec("tg_lut_s8", op, struct="tg_lut_params_t", const_roles=("table",),
                      source="kernels/tg_lut_s8.c", twin="lut_s8")


def _portable(name: str, op: str, struct: str, const_roles: tuple[str, ...] = (), twin: str | None = None,
              variant: str | None = None) -> KernelSpec:
    return KernelSpec(name, op, struct=struct, const_roles=const_roles, source=f"kernels/{name}.c", twin=twin,
                      variant=variant)


def simple_kernels() -> tuple[tuple[KernelSpec, ...], tuple[KernelSpec, ...]]:
    """(first, last): the specs to put before and after tinygen.kernels.table's catalogue."""
    first = tuple(_lut(op) for op in TABLE_OPS)
    last = (
        _portable("tg_tanh_s8", "tanh", "tg_tanh_params_t"),
        _portable("tg_prelu_s8", "prelu", "tg_prelu_params_t", ("alpha",)),
        # one kernel, two ops: SUM is MEAN with nothing folded into the multiplier
        _portable("tg_mean_s8", "sum", "tg_mean_params_t"),
        _portable("tg_strided_slice_s8", "strided_slice", "tg_strided_slice_params_t"),
        _portable("tg_mirror_pad_s8", "mirror_pad", "tg_mirror_pad_params_t"),
    )
    return first, last
