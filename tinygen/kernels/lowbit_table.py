"""Kernel specifications of the low-bit kernels (firmware/kernels/lowbit/LOWBIT.md).

Binary (XNOR / popcount, binary weights x int8, int8 with threshold output, bit
unpacking) and sub-byte / power-of-two weight convolutions. Their weight formats are the
nodes' attrs["weight_format"] (passes/quantize_lowbit.py), their weights packed by
passes/lower_bits.py; a fully connected layer reaches them as a 1x1 convolution.
"""

from __future__ import annotations

from functools import partial

from tinygen.kernels.pair_u4 import pack_pair_u4, pair_scratch_bytes, pair_serves
from tinygen.kernels.scratch import conv2d_dsp_scratch
from tinygen.kernels.spec import _REQUANT
from tinygen.quant.pack_b1 import byte_masks_fit, pack_byte_masks
from tinygen.quant.pack_b1lut import lut_scratch_bytes, pack_lut_indices
from tinygen.quant.pack_mul import LAYOUTS, pack_mul_weights, packed_scratch_bytes
from tinygen.quant.pack_subbyte import dsp_scratch_bytes, mve_scratch_bytes

# the headers a generated model includes for them (KernelSpec.headers with this prefix)
API_HEADER_PREFIX = "tg_kernels_"

# the API headers; each kernel's private headers are found from its #includes
_B1_HEADERS = ("kernels/tg_kernels_b1.h",)
_SUBBYTE_HEADERS = ("kernels/tg_kernels_subbyte.h",)
_PLANES_HEADERS = ("kernels/tg_kernels_planes.h",)
_PACKED_HEADERS = ("kernels/tg_kernels_packed.h",)
_PAIR_HEADERS = ("kernels/tg_kernels_pair.h",)
_THRESHOLD = ("weight", "threshold")
_DSP = frozenset({"dsp"})
_RV32 = frozenset({"rv32im"})
_MVE = frozenset({"mve"})


def _pack_mul(p: dict, consts: dict, kind: str):
    return pack_mul_weights(p, consts["weight"], kind)


def _pack_masks(p: dict, consts: dict):
    return pack_byte_masks(p, consts["weight"])


def _pack_lut(p: dict, consts: dict):
    return pack_lut_indices(p, consts["weight"], consts.get("bias"), consts["multiplier"], consts["shift"])


def _masks_fit(graph, node) -> bool:
    from tinygen.kernels.params import kernel_params

    return byte_masks_fit(kernel_params(graph, node))


def _packed_input(graph, node, bits: int) -> bool:
    """Whether a node's input fits the packed-multiply kernel: uniform activations (zero
    point 0, q in [0, 2^k - 1], in_off 0) of at most `bits` bits, and no odd-level pow2."""
    x = graph.tensor(node.inputs[0])
    return x.bits is not None and x.bits <= bits and int(x.qparams.zero_point[0]) == 0


def _plain_bias(graph, node) -> bool:
    """Whether a node adds its bias to the plain accumulator (no bias_shift, LOWBIT.md): the
    kernels whose requantization is folded into records or tables do not take bias_shift."""
    return not node.attrs.get("bias_shift")


def _both(first, second, graph, node) -> bool:
    return first(graph, node) and second(graph, node)


def _pair_serves(graph, node) -> bool:
    """The pixel-pair 4-bit kernel: a packed-multiply input, its folded requantization exact,
    and at least two output pixels (one pairs with itself: a fully connected 256->256 takes
    1.277 instructions per MAC against 1.046 for tg_conv2d_u4_s4_s8_dsp, f746zg stand-in)."""
    from tinygen.kernels.params import kernel_params

    p = kernel_params(graph, node)
    consts = {role: graph.const(node, role) for role in _REQUANT}
    return (_plain_bias(graph, node) and _packed_input(graph, node, 4) and p["out_h"] * p["out_w"] > 1
            and pair_serves(p, consts))


def lowbit_kernels(KernelSpec) -> tuple:
    """The low-bit KernelSpecs, most preferred first within each (op, dtypes)."""
    def spec(name, in_dtype, weight, out_dtype, struct, roles, headers, dsp=False, scratch=None, op="conv2d",
             **extra):
        wdtype, wbits = weight if weight else (None, None)
        return KernelSpec(name + ("_dsp" if dsp else ""), op, act_dtype=out_dtype, in_dtype=in_dtype,
                          weight_dtype=wdtype, weight_bits=wbits, requires=_DSP if dsp else frozenset(),
                          struct=struct, const_roles=roles, source=f"kernels/{name}{'_dsp' if dsp else ''}.c",
                          twin=name[len("tg_"):], headers=headers, scratch=scratch, **extra)

    def packed(kind, fmt, dsp):
        """The packed-multiply kernel for `fmt` weights and inputs of at most as many bits (the
        2-bit DSP one folds its requantization: no bias_shift)."""
        fits = partial(_packed_input, bits=LAYOUTS[kind].bits)
        if dsp and kind == "u2":
            fits = partial(_both, fits, _plain_bias)
        return spec(f"tg_conv2d_{kind}_{fmt}_s8", "int8", (fmt, LAYOUTS[kind].bits), "int8",
                    "tg_conv2d_packed_params_t", ("packed",) + _REQUANT[1:], _PACKED_HEADERS, dsp,
                    partial(packed_scratch_bytes, kind=kind, dsp=dsp), pack=partial(_pack_mul, kind=kind),
                    ref_roles=_REQUANT, accepts=fits)

    def pair(dsp):
        """4-bit weights x 4-bit inputs over pixel pairs and channel pairs, requantization records."""
        name = "tg_conv2d_pair_u4_s4_s8" + ("_dsp" if dsp else "")
        return KernelSpec(name, "conv2d", act_dtype="int8", in_dtype="int8", weight_dtype="s4", weight_bits=4,
                          requires=_DSP if dsp else frozenset(), struct="tg_conv2d_packed_params_t",
                          const_roles=("packed",), source=f"kernels/{name}.c", twin="conv2d_u4_s4_s8",
                          headers=_PAIR_HEADERS, scratch=pair_scratch_bytes, pack=pack_pair_u4, ref_roles=_REQUANT,
                          accepts=_pair_serves)

    b1 = ("b1", 1)
    # binary weights x int8 as byte masks (AND + USADA8): measured faster than the add-only
    # kernel and than int8 (benchmarks/lowbit_kernels.py); DSP only, its twin the b1 kernel's
    specs = [KernelSpec("tg_conv2d_s8_b1x8_s8_dsp", "conv2d", act_dtype="int8", in_dtype="int8", weight_dtype="b1",
                        weight_bits=1, requires=_DSP, struct="tg_conv2d_params_t",
                        const_roles=("packed",) + _REQUANT[1:], source="kernels/tg_conv2d_s8_b1x8_s8_dsp.c",
                        twin="conv2d_s8_b1_s8", headers=_B1_HEADERS, pack=_pack_masks, ref_roles=_REQUANT,
                        accepts=_masks_fit)]
    # the same by table lookup, two pixels per entry (tables in scratch, 2 bits per weight):
    # faster than the byte masks on convolutions with several output pixels, slower on fully
    # connected layers (benchmarks/lowbit_kernels.py); --kernels auto measures both
    specs.append(KernelSpec("tg_conv2d_s8_b1lut_s8_dsp", "conv2d", act_dtype="int8", in_dtype="int8",
                            weight_dtype="b1", weight_bits=1, requires=_DSP, struct="tg_conv2d_params_t",
                            const_roles=("packed",) + _REQUANT[1:], source="kernels/tg_conv2d_s8_b1lut_s8_dsp.c",
                            twin="conv2d_s8_b1_s8", headers=_B1_HEADERS, pack=_pack_lut, ref_roles=_REQUANT,
                            scratch=lut_scratch_bytes))
    # XNOR / popcount on Helium (Cortex-M55): the field path's count on 16 bytes at once, before
    # the DSP kernels, which the M55 also runs (benchmarks/lowbit_kernels.py --boards n6570)
    specs += [KernelSpec(f"{name}_mve", "conv2d", act_dtype=out, in_dtype="b1", weight_dtype="b1", weight_bits=1,
                         requires=_MVE, struct="tg_conv2d_b1_params_t", const_roles=roles,
                         source=f"kernels/{name}_mve.c", twin=name[len("tg_"):], headers=_B1_HEADERS)
              for name, out, roles in (("tg_conv2d_b1_b1_s8", "int8", _REQUANT), ("tg_conv2d_b1_b1_b1", "b1", _THRESHOLD))]
    # XNOR / popcount for RV32IMC (ESP32-C3): Harley-Seal over the receptive field, measured
    # under the RV32IM int8 conv (benchmarks/lowbit_kernels.py --boards esp32-c3)
    specs += [KernelSpec(f"{name}_rv32", "conv2d", act_dtype=out, in_dtype="b1", weight_dtype="b1", weight_bits=1,
                         requires=_RV32, struct="tg_conv2d_b1_params_t", const_roles=roles,
                         source=f"kernels/{name}_rv32.c", twin=name[len("tg_"):], headers=_B1_HEADERS)
              for name, out, roles in (("tg_conv2d_b1_b1_s8", "int8", _REQUANT), ("tg_conv2d_b1_b1_b1", "b1", _THRESHOLD))]
    for dsp in (True, False):
        specs += [
            spec("tg_conv2d_b1_b1_s8", "b1", b1, "int8", "tg_conv2d_b1_params_t", _REQUANT, _B1_HEADERS, dsp),
            spec("tg_conv2d_b1_b1_b1", "b1", b1, "b1", "tg_conv2d_b1_params_t", _THRESHOLD, _B1_HEADERS, dsp),
            spec("tg_conv2d_s8_b1_s8", "int8", b1, "int8", "tg_conv2d_params_t", _REQUANT, _B1_HEADERS, dsp),
        ]
        if dsp:     # Helium's 4-bit kernel before the DSP ones (the M55 runs them too): 0.32-1.10 instructions
                    # per MAC against 0.65-2.1 on its stand-in (benchmarks/lowbit_kernels.py --boards n6570)
            specs.append(KernelSpec("tg_conv2d_s8_s4_s8_mve", "conv2d", act_dtype="int8", in_dtype="int8",
                                    weight_dtype="s4", weight_bits=4, requires=_MVE,
                                    struct="tg_conv2d_subbyte_params_t", const_roles=_REQUANT,
                                    source="kernels/tg_conv2d_s8_s4_s8_mve.c", twin="conv2d_s8_s4_s8",
                                    headers=_SUBBYTE_HEADERS, scratch=mve_scratch_bytes, accepts=_plain_bias))
        # measured faster than the unpacking kernels at every bit width (benchmarks/lowbit_kernels.py);
        # on ARMv7E-M the pixel-pair u4 kernel before them (3x3 convolutions: 0.68-0.74
        # instructions per MAC against 0.97-1.12); the portable one after (not measured off Cortex-M)
        specs += ([pair(dsp)] if dsp else []) + [packed("u4", "s4", dsp), packed("u2", "s2", dsp)]
        specs += [] if dsp else [pair(dsp)]
        for fmt, bits in (("s4", 4), ("s2", 2), ("p4", 4)):
            scratch = partial(dsp_scratch_bytes, kind=fmt) if dsp else None
            specs.append(spec(f"tg_conv2d_s8_{fmt}_s8", "int8", (fmt, bits), "int8", "tg_conv2d_subbyte_params_t",
                              _REQUANT, _SUBBYTE_HEADERS, dsp, scratch, accepts=_plain_bias if dsp else None))
        # nested weights (all 8 bit planes, the node's switch reads the top w_bits): bit-serial;
        # kparams from tinygen.kernels.params.planes_params, the bias corrected by
        # tinygen.quant.pack_planes.planes_bias_correction
        specs.append(spec("tg_conv2d_s8_planes_s8", "int8", ("planes", 8), "int8", "tg_conv2d_planes_params_t",
                          _REQUANT, _PLANES_HEADERS, dsp))

    specs += [
        spec("tg_conv2d_s8_s8_b1", "int8", ("int8", 8), "b1", "tg_conv2d_params_t", _THRESHOLD, _B1_HEADERS,
             dsp=True, scratch=conv2d_dsp_scratch),
        spec("tg_conv2d_s8_s8_b1", "int8", ("int8", 8), "b1", "tg_conv2d_params_t", _THRESHOLD, _B1_HEADERS),
        spec("tg_unpack_b1_s8", "b1", None, "int8", "tg_unpack_b1_params_t", (), _B1_HEADERS, op="unpack_bits"),
    ]
    return tuple(specs)
