"""TFLite Micro's person detection model's architecture with seeded weights (no TensorFlow needed).

TFLite Micro's example (tensorflow/tflite-micro, examples/person_detection) runs a MobileNetV1
with width multiplier 0.25 on a 96x96 grayscale int8 image with two outputs (no person,
person); esp-tflite-micro publishes its latency on the ESP32-C3. Its .tflite is not shipped
here: this builds the same layers (tests/tflite_builder.py) with seeded random int8 weights,
per-channel weight scales and int32 biases. Cycles and instructions do not depend on the
weights' values. The layers, as in TFLM's model: CONV_2D 3x3 stride 2 to 8 channels, then 13
DEPTHWISE_CONV_2D 3x3 + CONV_2D 1x1 pairs (ReLU6, SAME padding) to 256 channels at 3x3,
AVERAGE_POOL_2D 3x3, CONV_2D 1x1 to 2, RESHAPE to [1, 2] and SOFTMAX.
"""

from __future__ import annotations

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.Padding import Padding

from tflite_builder import ModelBuilder

SIZE, CLASSES = 96, 2
# (depthwise stride, pointwise output channels) of MobileNetV1 0.25 after its first convolution (8 channels)
BLOCKS = ((1, 16), (2, 32), (1, 32), (2, 64), (1, 64), (2, 128), (1, 128), (1, 128), (1, 128), (1, 128),
          (1, 128), (2, 256), (1, 256))
RELU6_SCALE, RELU6_ZERO = 6 / 255, -128       # a ReLU6 output's int8 quantization


def _weights(b: ModelBuilder, rng, name: str, shape: list[int], axis: int, x_scale: float) -> tuple[int, int]:
    channels = shape[axis]
    scales = rng.uniform(0.002, 0.02, channels)
    w = b.tensor(f"{name}_w", shape, scale=scales.tolist(), zero_point=[0] * channels, axis=axis,
                 data=rng.integers(-127, 128, shape))
    bias = b.tensor(f"{name}_b", [channels], "int32", scale=(scales * x_scale).tolist(), zero_point=[0] * channels,
                    data=rng.integers(-3000, 3000, channels))
    return w, bias


def person_detect_model(seed: int = 0) -> bytes:
    """The int8 .tflite (bytes) of TFLM's person detection architecture with seeded weights."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder("tinygen: TFLM person detection architecture, seeded weights")
    x_scale = 1 / 255
    x = b.tensor("input", [1, SIZE, SIZE, 1], scale=x_scale, zero_point=-128)
    side, depth = SIZE // 2, 8
    w, bias = _weights(b, rng, "conv0", [depth, 3, 3, 1], 0, x_scale)
    y = b.tensor("conv0", [1, side, side, depth], scale=RELU6_SCALE, zero_point=RELU6_ZERO)
    b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions", Padding=Padding.SAME, StrideH=2, StrideW=2,
         DilationHFactor=1, DilationWFactor=1, FusedActivationFunction=Act.RELU6)
    for i, (stride, out) in enumerate(BLOCKS, 1):
        side = -(-side // stride)
        w, bias = _weights(b, rng, f"dw{i}", [1, 3, 3, depth], 3, RELU6_SCALE)
        d = b.tensor(f"dw{i}", [1, side, side, depth], scale=RELU6_SCALE, zero_point=RELU6_ZERO)
        b.op("DEPTHWISE_CONV_2D", [y, w, bias], [d], "DepthwiseConv2DOptions", Padding=Padding.SAME,
             StrideW=stride, StrideH=stride, DepthMultiplier=1, FusedActivationFunction=Act.RELU6,
             DilationWFactor=1, DilationHFactor=1)
        w, bias = _weights(b, rng, f"pw{i}", [out, 1, 1, depth], 0, RELU6_SCALE)
        y = b.tensor(f"pw{i}", [1, side, side, out], scale=RELU6_SCALE, zero_point=RELU6_ZERO)
        b.op("CONV_2D", [d, w, bias], [y], "Conv2DOptions", Padding=Padding.SAME, StrideH=1, StrideW=1,
             DilationHFactor=1, DilationWFactor=1, FusedActivationFunction=Act.RELU6)
        depth = out
    pooled = b.tensor("pool", [1, 1, 1, depth], scale=RELU6_SCALE, zero_point=RELU6_ZERO)
    b.op("AVERAGE_POOL_2D", [y], [pooled], "Pool2DOptions", Padding=Padding.VALID, StrideH=1, StrideW=1,
         FilterHeight=side, FilterWidth=side, FusedActivationFunction=Act.NONE)
    w, bias = _weights(b, rng, "logits", [CLASSES, 1, 1, depth], 0, RELU6_SCALE)
    logits = b.tensor("logits", [1, 1, 1, CLASSES], scale=0.1, zero_point=5)
    b.op("CONV_2D", [pooled, w, bias], [logits], "Conv2DOptions", Padding=Padding.SAME, StrideH=1, StrideW=1,
         DilationHFactor=1, DilationWFactor=1, FusedActivationFunction=Act.NONE)
    flat = b.tensor("logits_flat", [1, CLASSES], scale=0.1, zero_point=5)
    b.op("RESHAPE", [logits, b.tensor("shape", [2], "int32", data=np.array([1, CLASSES], np.int32))], [flat])
    probs = b.tensor("probs", [1, CLASSES], scale=1 / 256, zero_point=-128)
    b.op("SOFTMAX", [flat], [probs], "SoftmaxOptions", Beta=1.0)
    return b.finish([x], [probs])
