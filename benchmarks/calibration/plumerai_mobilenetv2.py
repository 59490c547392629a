"""MobileNetV2 (alpha 0.30, 80x80, 1000 classes) int8 with seeded weights: the model of Plumerai's F746 table.

    .venv/bin/python benchmarks/calibration/plumerai_mobilenetv2.py OUT.tflite [--head 384|1280] [--layout keras|slim]
        [--seed 0]

Plumerai's blog of 2021-10-04 (published.json's plumerai-blog-2021-10-f746-* points) times "MobileNetV2
(alpha=0.30, resolution=80x80, classes=1000)" on the STM32F746G-Discovery; the model file is not published.
This writes the layers of Keras' MobileNetV2 (keras.applications.mobilenet_v2 as of TensorFlow 2.5:
`_make_divisible(int(filters * alpha), 8)` channels, expansion 6, ZeroPadding2D (`correct_pad`) before each
stride-2 depthwise convolution with VALID padding, GlobalAveragePooling2D, Dense) as TFLite's int8 converter
lays them out: CONV_2D, DEPTHWISE_CONV_2D, PAD, ADD, MEAN over height and width, FULLY_CONNECTED, SOFTMAX.
Cycles and instructions do not depend on the weights' values (seeded random int8, per-channel scales).

The last 1x1 convolution: Keras keeps 1280 channels for alpha <= 1, so its classifier alone holds
1280 x 1000 = 1,280,000 int8 weights, more than the board's 1 MiB (1,048,576 B) of flash: that model cannot
have run there. `--head 384` (the default) scales it by alpha as TF-slim's mobilenet_v2 does
(`_make_divisible(1280 * 0.3, 8)` = 384); the script prints the constants' bytes of the variant written.
`--layout slim` writes TF-slim's layers instead (the same channels): SAME padding on the stride-2 depthwise
convolutions (no PAD; the same padding as Keras' pad, (0, 1) on an even side and (1, 1) on an odd one),
AVERAGE_POOL_2D, a 1x1 CONV_2D classifier and RESHAPE.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from tflite.ActivationFunctionType import ActivationFunctionType as Act  # noqa: E402
from tflite.Padding import Padding  # noqa: E402
from tflite_builder import ModelBuilder  # noqa: E402

ALPHA, SIZE, CLASSES = 0.30, 80, 1000
# keras.applications.mobilenet_v2's blocks: (filters, stride, expansion)
BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
          (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6),
          (320, 1, 6))
RELU6 = (6 / 255, -128)            # a ReLU6 output's int8 grid
LINEAR = (0.08, 3)                 # a projection's (linear) output grid
ADDED = (0.1, 2)


def make_divisible(v: float, divisor: int = 8) -> int:
    """keras.applications.mobilenet_v2._make_divisible: to a multiple of 8, never below 90% of v."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def correct_pad(side: int) -> tuple[int, int]:
    """keras.applications' correct_pad for a 3x3 kernel: (before, after) along one axis."""
    adjust = 1 - side % 2
    return 1 - adjust, 1


class _Net:
    def __init__(self, seed: int):
        self.b = ModelBuilder("tinygen: MobileNetV2 alpha 0.30 80x80 1000 classes (Keras layers), seeded weights")
        self.rng = np.random.default_rng(seed)
        self.constant_bytes = 0
        self.count = 0
        self.channels = 0           # output channels of the convolutions: TFLM keeps a multiplier and a shift each
        self.pad_bytes = 0          # the largest PAD's input and output together

    def _weights(self, shape: list[int], axis: int, x_scale: float, per_channel: bool = True) -> tuple[int, int]:
        """Seeded int8 weights (per output channel, as TFLite's converter quantizes convolutions; one scale for
        a FULLY_CONNECTED, as it quantizes those) and int32 biases."""
        self.count += 1
        channels = shape[axis]
        scales = self.rng.uniform(0.002, 0.02, channels if per_channel else 1)
        grid = {"scale": scales.tolist(), "zero_point": [0] * len(scales)}
        w = self.b.tensor(f"w{self.count}", shape, axis=axis, data=self.rng.integers(-127, 128, shape), **grid)
        bias = self.b.tensor(f"b{self.count}", [channels], "int32", scale=(scales * x_scale).tolist(),
                             zero_point=[0] * len(scales), data=self.rng.integers(-3000, 3000, channels))
        self.constant_bytes += int(np.prod(shape)) + 4 * channels
        self.channels += channels if per_channel else 0
        return w, bias

    def conv(self, x: int, grid, side: int, cin: int, cout: int, kernel: int, stride: int, out_grid, act) -> int:
        w, bias = self._weights([cout, kernel, kernel, cin], 0, grid[0])
        y = self.b.tensor(f"conv{self.count}", [1, side, side, cout], scale=out_grid[0], zero_point=out_grid[1])
        self.b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions", Padding=Padding.SAME, StrideH=stride,
                  StrideW=stride, DilationHFactor=1, DilationWFactor=1, FusedActivationFunction=act)
        return y

    def depthwise(self, x: int, side: int, channels: int, stride: int, padding) -> int:
        w, bias = self._weights([1, 3, 3, channels], 3, RELU6[0])
        y = self.b.tensor(f"dw{self.count}", [1, side, side, channels], scale=RELU6[0], zero_point=RELU6[1])
        self.b.op("DEPTHWISE_CONV_2D", [x, w, bias], [y], "DepthwiseConv2DOptions", Padding=padding,
                  StrideW=stride, StrideH=stride, DepthMultiplier=1, FusedActivationFunction=Act.RELU6,
                  DilationWFactor=1, DilationHFactor=1)
        return y

    def pad(self, x: int, side: int, channels: int) -> tuple[int, int]:
        before, after = correct_pad(side)
        self.count += 1
        amounts = np.array([[0, 0], [before, after], [before, after], [0, 0]], np.int32)
        padded = side + before + after
        self.pad_bytes = max(self.pad_bytes, (side * side + padded * padded) * channels)
        y = self.b.tensor(f"pad{self.count}", [1, padded, padded, channels], scale=RELU6[0], zero_point=RELU6[1])
        self.b.op("PAD", [x, self.b.tensor(f"pads{self.count}", [4, 2], "int32", data=amounts)], [y])
        return y, padded


def mobilenet_v2(head: int = 384, seed: int = 0, layout: str = "keras", facts: dict | None = None) -> tuple[bytes, int]:
    """The .tflite bytes and the constants' bytes (weights and int32 biases); `facts` (a dict) gets the convolutions'
    output channels (`channels`) and the largest PAD's input and output bytes (`pad_bytes`, 0 without PAD)."""
    n = _Net(seed)
    b = n.b
    x_grid = (1 / 255, -128)
    x = b.tensor("input", [1, SIZE, SIZE, 3], scale=x_grid[0], zero_point=x_grid[1])
    side, channels = SIZE // 2, make_divisible(32 * ALPHA)
    y = n.conv(x, x_grid, side, 3, channels, 3, 2, RELU6, Act.RELU6)
    grid = RELU6
    for i, (filters, stride, expansion) in enumerate(BLOCKS):
        out = make_divisible(int(filters * ALPHA))
        h = y
        if i:
            h = n.conv(y, grid, side, channels, expansion * channels, 1, 1, RELU6, Act.RELU6)
        if stride == 2 and layout == "slim":
            side = -(-side // 2)
            h = n.depthwise(h, side, expansion * channels, 2, Padding.SAME)
        elif stride == 2:
            h, padded = n.pad(h, side, expansion * channels)
            side = (padded - 3) // 2 + 1
            h = n.depthwise(h, side, expansion * channels, 2, Padding.VALID)
        else:
            h = n.depthwise(h, side, expansion * channels, 1, Padding.SAME)
        h = n.conv(h, RELU6, side, expansion * channels, out, 1, 1, LINEAR, Act.NONE)
        if channels == out and stride == 1:
            s = b.tensor(f"add{i}", [1, side, side, out], scale=ADDED[0], zero_point=ADDED[1])
            b.op("ADD", [y, h], [s], "AddOptions", FusedActivationFunction=Act.NONE)
            h, grid = s, ADDED
        else:
            grid = LINEAR
        y, channels = h, out
    y = n.conv(y, grid, side, channels, head, 1, 1, RELU6, Act.RELU6)
    if layout == "slim":
        pooled = b.tensor("pool", [1, 1, 1, head], scale=RELU6[0], zero_point=RELU6[1])
        b.op("AVERAGE_POOL_2D", [y], [pooled], "Pool2DOptions", Padding=Padding.VALID, StrideH=1, StrideW=1,
             FilterHeight=side, FilterWidth=side, FusedActivationFunction=Act.NONE)
        logits = n.conv(pooled, RELU6, 1, head, CLASSES, 1, 1, (0.1, 5), Act.NONE)
        flat = b.tensor("logits_flat", [1, CLASSES], scale=0.1, zero_point=5)
        b.op("RESHAPE", [logits, b.tensor("shape", [2], "int32", data=np.array([1, CLASSES], np.int32))], [flat])
        probs = b.tensor("probs", [1, CLASSES], scale=1 / 256, zero_point=-128)
        b.op("SOFTMAX", [flat], [probs], "SoftmaxOptions", Beta=1.0)
        (facts if facts is not None else {}).update(channels=n.channels, pad_bytes=n.pad_bytes)
        return b.finish([x], [probs]), n.constant_bytes
    pooled = b.tensor("pool", [1, head], scale=RELU6[0], zero_point=RELU6[1])
    b.op("MEAN", [y, b.tensor("axes", [2], "int32", data=np.array([1, 2], np.int32))], [pooled], "ReducerOptions",
         KeepDims=False)
    w, bias = n._weights([CLASSES, head], 0, RELU6[0], per_channel=False)
    logits = b.tensor("logits", [1, CLASSES], scale=0.1, zero_point=5)
    b.op("FULLY_CONNECTED", [pooled, w, bias], [logits], "FullyConnectedOptions", FusedActivationFunction=Act.NONE)
    probs = b.tensor("probs", [1, CLASSES], scale=1 / 256, zero_point=-128)
    b.op("SOFTMAX", [logits], [probs], "SoftmaxOptions", Beta=1.0)
    (facts if facts is not None else {}).update(channels=n.channels, pad_bytes=n.pad_bytes)
    return b.finish([x], [probs]), n.constant_bytes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="the .tflite to write")
    ap.add_argument("--head", type=int, default=384, choices=(384, 1280),
                    help="channels of the last 1x1 convolution (384: scaled by alpha; 1280: Keras' for alpha <= 1)")
    ap.add_argument("--layout", default="keras", choices=("keras", "slim"),
                    help="keras: PAD + VALID stride-2 depthwise, MEAN, FULLY_CONNECTED; slim: SAME, AVERAGE_POOL_2D, "
                         "a 1x1 CONV_2D classifier")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    facts: dict = {}
    model, constants = mobilenet_v2(args.head, args.seed, args.layout, facts)
    Path(args.out).write_bytes(model)
    print(f"{args.out}: {args.layout} layout, head {args.head}, {len(model):,} B .tflite, constants {constants:,} B "
          f"(classifier {args.head * CLASSES:,} int8 weights; the board's flash: 1,048,576 B)")
    print(f"per-channel requantization: {facts['channels']:,} convolution output channels, {8 * facts['channels']:,} B "
          f"of multipliers and shifts (TFLM keeps them in its arena); the largest PAD's input and output: "
          f"{facts['pad_bytes']:,} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
