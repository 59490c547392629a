"""Quantized .tflite models with float32 sections (registered in tflite_op_cases.CASES, which
imports this module): an int8 or int16 body, DEQUANTIZE into float32 operators (TFLite Micro's
float reference kernels), QUANTIZE back into the quantized body, as TFLite Micro runs them."""

from __future__ import annotations

from tflite.ActivationFunctionType import ActivationFunctionType as Act

from tflite_op_cases import LITERT_DIFFERS, act, case
from tflite_op_cases_wide import f32, f32_const, s16, s16_weights


def weights8(b, rng, name: str, shape) -> int:
    """int8 weights, one scale, zero point 0."""
    return b.tensor(name, shape, scale=rng.uniform(0.005, 0.02), zero_point=0, data=rng.integers(-127, 128, shape))


@case("s8_float_softmax_head", "tg_fully_connected_s8", "tg_dequantize_s8_f32", "tg_softmax_f32",
      "tg_quantize_f32_s8")
def _(b, rng):
    # an int8 classifier whose softmax runs in float32 between a DEQUANTIZE and a QUANTIZE
    x, h = act(b, rng, "x", [1, 16]), act(b, rng, "logits", [1, 10])
    f, p, y = f32(b, "logits_float", [1, 10]), f32(b, "probs_float", [1, 10]), act(b, rng, "y", [1, 10])
    b.op("FULLY_CONNECTED", [x, weights8(b, rng, "w", [10, 16]), -1], [h], "FullyConnectedOptions")
    b.op("DEQUANTIZE", [h], [f])
    b.op("SOFTMAX", [f], [p], "SoftmaxOptions", Beta=1.0)
    b.op("QUANTIZE", [p], [y])
    return [x], [y]


@case("s8_float_section_s8", "tg_mul_s8", "tg_dequantize_s8_f32", "tg_fully_connected_f32", "tg_logistic_f32",
      "tg_quantize_f32_s8", "tg_add_s8")
def _(b, rng):
    # int8 -> float32 FC and LOGISTIC -> int8 again, and the int8 tensor before the float section
    # read after it too (an int8 ADD of both)
    x, m = act(b, rng, "x", [1, 12]), act(b, rng, "m", [1, 12])
    f, h, s = f32(b, "m_float", [1, 12]), f32(b, "h", [1, 12]), f32(b, "gate", [1, 12])
    q, y = act(b, rng, "gate_q", [1, 12]), act(b, rng, "y", [1, 12])
    b.op("MUL", [x, x], [m], "MulOptions")
    b.op("DEQUANTIZE", [m], [f])
    b.op("FULLY_CONNECTED", [f, f32_const(b, rng, "w", [12, 12]), f32_const(b, rng, "bias", [12])], [h],
         "FullyConnectedOptions", FusedActivationFunction=Act.NONE)
    b.op("LOGISTIC", [h], [s])
    b.op("QUANTIZE", [s], [q])
    b.op("ADD", [m, q], [y], "AddOptions")
    return [x], [y]


@case("s16_float_tanh_s16", "tg_dequantize_s16_f32", "tg_tanh_f32", "tg_quantize_f32_s16", "tg_fully_connected_s16")
def _(b, rng):
    # int16 (16x8) activations around a float32 TANH
    x, f = s16(b, rng, "x", [1, 8]), f32(b, "x_float", [1, 8])
    t, q, y = f32(b, "tanh", [1, 8]), s16(b, rng, "tanh_q", [1, 8]), s16(b, rng, "y", [1, 6])
    b.op("DEQUANTIZE", [x], [f])
    b.op("TANH", [f], [t])
    b.op("QUANTIZE", [t], [q])
    b.op("FULLY_CONNECTED", [q, *s16_weights(b, rng, "w", [6, 8], 0)], [y], "FullyConnectedOptions")
    return [x], [y]


# the int16 FULLY_CONNECTED after the float section: LiteRT's 16x8 requantization (see s16_fully_connected)
LITERT_DIFFERS["s16_float_tanh_s16"] = "litert_fully_connected_s16"


@case("s8_body_f32_input", "tg_mul_f32", "tg_quantize_f32_s8", "tg_fully_connected_s8")
def _(b, rng):
    # a float32 model input through a float32 MUL before QUANTIZE (no longer the float boundary,
    # which is a float input straight into QUANTIZE): the compiled model takes float32; an int8
    # body; DEQUANTIZE straight into the float32 output stays the boundary (the int8 port compiled)
    x, s = f32(b, "x", [1, 12]), f32(b, "scaled", [1, 12])
    q, h, y = act(b, rng, "x_q", [1, 12]), act(b, rng, "h", [1, 6]), f32(b, "y", [1, 6])
    b.op("MUL", [x, f32_const(b, rng, "gain", [12])], [s], "MulOptions")
    b.op("QUANTIZE", [s], [q])
    b.op("FULLY_CONNECTED", [q, weights8(b, rng, "w", [6, 12]), -1], [h], "FullyConnectedOptions")
    b.op("DEQUANTIZE", [h], [y])
    return [x], [y]
# LiteRT's BUILTIN_REF output is one int8 step off TFLite Micro's on 1 of the 50 inputs (not traced
# further: tinygen equals TFLite Micro, layer by layer, on all 50)
LITERT_DIFFERS["s8_body_f32_input"] = "litert_float_input_quantize"
