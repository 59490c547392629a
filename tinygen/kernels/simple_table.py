"""KernelSpecs of the simpler operators users' models bring (tinygen.kernels.table puts
`first` ahead of its catalogue and `last` after it): the table kernel for every op computed by
lookup (tinygen.ir.TABLE_OPS) and for a PReLU with one slope (an elementwise function then too),
ahead of the fixed-point logistic and tanh it tabulates and of tg_prelu_s8, and the Cortex-M4/M7
mean and sum; then tanh, PReLU, SUM (tg_mean_s8 with SUM's parameters), the
strided slice and mirror padding.

The table kernel (tg_lut_s8, unrolled by four) executes 4.3 instructions per element on the
f746zg stand-in against tg_logistic_s8's 362 and tg_tanh_s8's 367; a word-at-a-time Cortex-M
variant measured 3.8, too little to keep a second kernel (benchmarks/simple_ops.py)."""

from __future__ import annotations

from tinygen.ir import TABLE_OPS
from tinygen.kernels.spec import KernelSpec


def _lut(op: str, accepts=None) -> KernelSpec:
    """tg_lut_s8 for `op`: its table constant (passes/tabulate.py), one load per element."""
    return KernelSpec("tg_lut_s8", op, struct="tg_lut_params_t", const_roles=("table",),
                      source="kernels/tg_lut_s8.c", twin="lut_s8", accepts=accepts)


def _tabulated(graph, node) -> bool:
    """A node passes/tabulate.py gave a table (a PReLU with one slope)."""
    return node.param("table") is not None


def _portable(name: str, op: str, struct: str, const_roles: tuple[str, ...] = (), twin: str | None = None,
              variant: str | None = None) -> KernelSpec:
    return KernelSpec(name, op, struct=struct, const_roles=const_roles, source=f"kernels/{name}.c", twin=twin,
                      variant=variant)


def _mean_dsp(op: str) -> KernelSpec:
    """tg_mean_s8 on Cortex-M4/M7 (MEAN and SUM): USADA8 over contiguous sums, SXTAB16 lanes
    over four channels at a time. On the f746zg stand-in 2.0 instructions per input element
    against tg_mean_s8's 6.2 summing 256 pixels of 16 channels, 5.9 against 10.2 summing 16
    channels per output (benchmarks/simple_ops.py)."""
    return KernelSpec("tg_mean_s8_dsp", op, requires=frozenset({"dsp"}), struct="tg_mean_params_t",
                      source="kernels/tg_mean_s8_dsp.c", twin="mean_s8", headers=("kernels/tg_dsp_s8.h",))


def simple_kernels() -> tuple[tuple[KernelSpec, ...], tuple[KernelSpec, ...]]:
    """(first, last): the specs to put before and after tinygen.kernels.table's catalogue."""
    first = tuple(_lut(op) for op in TABLE_OPS) + (_lut("prelu", _tabulated), _mean_dsp("mean"), _mean_dsp("sum"))
    last = (
        _portable("tg_tanh_s8", "tanh", "tg_tanh_params_t"),
        _portable("tg_prelu_s8", "prelu", "tg_prelu_params_t", ("alpha",)),
        # one kernel, two ops: SUM is MEAN with nothing folded into the multiplier
        _portable("tg_mean_s8", "sum", "tg_mean_params_t"),
        _portable("tg_strided_slice_s8", "strided_slice", "tg_strided_slice_params_t"),
        _portable("tg_mirror_pad_s8", "mirror_pad", "tg_mirror_pad_params_t"),
    )
    return first, last
