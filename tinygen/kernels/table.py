"""Kernel specifications: what each C kernel implements and requires."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KernelSpec:
    name: str                    # C function, e.g. tg_conv2d_s8
    op: str                      # IR op
    act_dtype: str = "int8"      # activation dtype of inputs and output
    weight_dtype: str | None = None
    weight_bits: int | None = None
    requires: frozenset = frozenset()   # target features ("dsp", ...) it needs
    struct: str | None = None    # C parameter struct type
    const_roles: tuple[str, ...] = ()   # constants passed after the inputs, in order
    source: str = ""             # firmware file implementing it (relative to firmware/)

    @property
    def ref_name(self) -> str:
        """Name of the numpy twin in tinygen.ref.kernels."""
        return self.name[len("tg_"):]


_REQUANT = ("weight", "bias", "multiplier", "shift")


def _portable(name, op, struct, const_roles=(), weight=None):
    wd, wb = (weight, 8) if weight else (None, None)
    return KernelSpec(name, op, weight_dtype=wd, weight_bits=wb, struct=struct,
                      const_roles=const_roles, source=f"kernels/{name}.c")


# In order of preference: the first matching kernel whose requirements the
# target meets is chosen. Portable kernels come last and require nothing.
KERNELS: tuple[KernelSpec, ...] = (
    _portable("tg_conv2d_s8", "conv2d", "tg_conv2d_params_t", _REQUANT, "int8"),
    _portable("tg_depthwise_conv2d_s8", "depthwise_conv2d", "tg_conv2d_params_t", _REQUANT, "int8"),
    _portable("tg_fully_connected_s8", "fully_connected", "tg_fully_connected_params_t", _REQUANT, "int8"),
    _portable("tg_max_pool2d_s8", "max_pool2d", "tg_pool2d_params_t"),
    _portable("tg_avg_pool2d_s8", "avg_pool2d", "tg_pool2d_params_t"),
    _portable("tg_add_s8", "add", "tg_add_params_t"),
    _portable("tg_softmax_s8", "softmax", "tg_softmax_params_t"),
    _portable("tg_logistic_s8", "logistic", "tg_logistic_params_t"),
    _portable("tg_concat_s8", "concat", "tg_concat_params_t"),
    _portable("tg_transpose_s8", "transpose", "tg_transpose_params_t"),
    _portable("tg_clamp_s8", "clamp", "tg_clamp_params_t"),
)


def find_kernel(op: str, act_dtype: str, weight_dtype: str | None, weight_bits: int | None,
                features: frozenset | set) -> KernelSpec | None:
    for spec in KERNELS:
        if (spec.op == op and spec.act_dtype == act_dtype
                and spec.weight_dtype == weight_dtype and spec.weight_bits == weight_bits
                and spec.requires <= set(features)):
            return spec
    return None

KERNELS_BY_NAME: dict[str, KernelSpec] = {k.name: k for k in KERNELS}
