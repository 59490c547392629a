"""benchmarks/calibration/plumerai_mobilenetv2.py: the MobileNetV2 0.30 / 80x80 / 1000 classes of Plumerai's F746
point, built from the post's description. Its channels are Keras' (_make_divisible of int(filters x alpha)), the
Keras head does not fit the board's 1 MiB of flash, the slim layout has no PAD, and the file is reproducible."""

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks" / "calibration"))

import plumerai_mobilenetv2 as mnv2  # noqa: E402

from tinygen.compiler import load_source  # noqa: E402

FLASH = 1 << 20


def test_channels_are_keras_make_divisible():
    filters = sorted({f for f, _, _ in mnv2.BLOCKS})
    assert [mnv2.make_divisible(int(f * mnv2.ALPHA)) for f in filters] == [8, 8, 16, 24, 32, 48, 96]
    assert mnv2.make_divisible(32 * mnv2.ALPHA) == 16          # 9.6 -> 8 is under 90%: one step up
    assert mnv2.make_divisible(1280 * mnv2.ALPHA) == 384
    assert mnv2.correct_pad(40) == (0, 1) and mnv2.correct_pad(5) == (1, 1)


def test_the_keras_head_does_not_fit_the_boards_flash_and_the_scaled_one_does():
    _, big = mnv2.mobilenet_v2(head=1280)
    _, small = mnv2.mobilenet_v2(head=384)
    assert big > FLASH > small
    # the last 1x1 convolution (96 inputs, int32 biases) and the classifier's weights grow with the head
    assert big - small == (1280 - 384) * (96 + 4 + mnv2.CLASSES)


@pytest.mark.parametrize("layout, pads", [("keras", 4), ("slim", 0)])
def test_layouts_and_reproducibility(layout, pads, tmp_path):
    model, _ = mnv2.mobilenet_v2(layout=layout)
    assert model == mnv2.mobilenet_v2(layout=layout)[0] and model != mnv2.mobilenet_v2(layout=layout, seed=1)[0]
    path = tmp_path / f"{layout}.tflite"
    path.write_bytes(model)
    source = load_source(path)
    graph = source.graph
    ops = [n.op for n in graph.nodes]
    assert ops.count("pad") == pads
    assert ops.count("depthwise_conv2d") == 17 and ops.count("add") == 10
    assert ops[-1] == "softmax" and (("mean" in ops) == (layout == "keras"))
    assert tuple(source.input_shape) == (1, 80, 80, 3)
    out = graph.tensors[graph.outputs[0]]
    assert int(np.prod(out.shape)) == mnv2.CLASSES


def test_the_ram_facts_of_the_two_layouts():
    """What the RAM check of published.json rests on: Keras' largest PAD holds a 40x40x48 input and its 41x41x48
    output; the slim layout has no PAD, and its 1x1 classifier adds 1000 per-channel multipliers."""
    keras, slim = {}, {}
    mnv2.mobilenet_v2(layout="keras", facts=keras)
    mnv2.mobilenet_v2(layout="slim", facts=slim)
    assert keras["pad_bytes"] == (40 * 40 + 41 * 41) * 48 and slim["pad_bytes"] == 0
    assert slim["channels"] == keras["channels"] + mnv2.CLASSES
