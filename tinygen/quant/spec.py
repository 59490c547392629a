"""The int8 quantization spec (TFLite's), as named constants.

https://www.tensorflow.org/lite/performance/quantization_spec
"""

from tinygen.quant import op_params

INT8_MIN = -128
INT8_MAX = 127

# weights: symmetric, per output channel, zero point 0, the value -128 unused
WEIGHT_QMIN = -127
WEIGHT_QMAX = 127

# activations: asymmetric, per tensor
ACT_QMIN = INT8_MIN
ACT_QMAX = INT8_MAX

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

# int16 activations (TFLite's 16x8 quantization): symmetric, zero point 0, per tensor, from
# the calibrated range's largest magnitude over ACT16_QMAX; their MAC layers take int64 biases
ACT16_QMIN = -32768
ACT16_QMAX = 32767
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# the quantized range of an activation dtype
ACT_RANGE = {"int8": (ACT_QMIN, ACT_QMAX), "int16": (ACT16_QMIN, ACT16_QMAX)}

# per-channel weight quantization axis of each op's weight tensor
WEIGHT_CHANNEL_AXIS = {
    "conv2d": 0,            # [O, KH, KW, I]
    "depthwise_conv2d": 3,  # [1, KH, KW, O]
    "fully_connected": 0,   # [O, I]
    "transpose_conv2d": 0,  # [O, KH, KW, I]
}

# ops whose int8 output quantization is fixed by the spec: (scale, zero_point)
FIXED_OUTPUT_QPARAMS = {
    "softmax": (op_params.SOFTMAX_OUTPUT_SCALE, op_params.SOFTMAX_OUTPUT_ZERO_POINT),
    "logistic": (op_params.LOGISTIC_OUTPUT_SCALE, op_params.LOGISTIC_OUTPUT_ZERO_POINT),
    # early exits answer with one of their heads' softmax outputs (tinygen/gating)
    "exit_select": (op_params.SOFTMAX_OUTPUT_SCALE, op_params.SOFTMAX_OUTPUT_ZERO_POINT),
    # the simpler operators users' models bring
    "tanh": (op_params.TANH_OUTPUT_SCALE, op_params.TANH_OUTPUT_ZERO_POINT),
}
# ... and int16 outputs of the ones with 16x8 kernels: Q0.15 (TFLite Micro's LOGISTIC, TANH and
# int16 SOFTMAX)
FIXED_OUTPUT_QPARAMS_S16 = {"logistic": (1.0 / 32768.0, 0), "tanh": (1.0 / 32768.0, 0), "softmax": (1.0 / 32768.0, 0)}

# low-bit weight storage formats (firmware/kernels/lowbit/LOWBIT.md) -> bits per weight value
WEIGHT_FORMATS = {"int8": 8, "b1": 1, "s4": 4, "s2": 2, "p4": 4, "planes": 8}   # planes: passes/nested.py

# nested weights (switchable precision) of k bits -> their storage format; s4 / s2 hold two's
# complement codes, so W = -2^(k-1) (a nested weight's floor) fits; b1 is the sign bit
NESTED_WEIGHT_FORMATS = {8: "int8", 4: "s4", 2: "s2", 1: "b1"}
