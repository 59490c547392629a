"""ONNX models as users bring them, beyond tests/onnx_lib.py's four: torch.onnx.export with
opset 13 or 17, a dynamic batch axis, with and without constant folding, and onnxruntime's
quantize_static in QDQ and QOperator form (tests/frontend/test_onnx_heldout.py). Each found a
bug in the front end, or stands for a family of exports:

- flat_mlp: nn.Flatten on an image first (quantize_static quantizes after the Flatten, so the
  float input is flattened before its QuantizeLinear), Dropout, a Softmax output;
- pads: F.pad before a stride-2 conv at the input (a Pad before the input's QuantizeLinear),
  a conv with padding='same' and an even kernel, MaxPool ceil_mode, AvgPool without the padding;
- se_block: a MobileNetV3 block (HardSwish, squeeze-excite: GlobalAveragePool, HardSigmoid,
  Mul of two activations); QOperator form averages the float HardSwish;
- bn_resnet: a ResNet block exported without constant folding (BatchNormalization nodes);
  quantized after onnxruntime's quant_pre_process (which imports the ai.onnx.ml domain);
- leaky: LeakyReLU, PReLU per channel, a difference of two branches;
- view_flatten: x.view(x.size(0), -1) with a dynamic batch (Shape, Gather, Unsqueeze, Concat, Reshape);
- normalized: (x - mean) / std inside the model, before the first conv;
- autoencoder: ConvTranspose2d (QOperator form leaves it in float);
- gated: products of two activations (a * sigmoid(b), tanh * sigmoid), which onnxruntime runs as QLinearMul.

    path = heldout_model(tmp, "pads", "qoperator")     # -> Path of the .onnx
    x = heldout_inputs("pads", 20, seed=1)              # float inputs, the model's layout
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from onnx_lib import perturbed, quantize


class FlatMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 24), nn.ReLU(), nn.Dropout(0.2), nn.Linear(24, 10),
                                 nn.Softmax(dim=1))

    def forward(self, x):
        return self.net(x)


class Pads(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2)
        self.c2 = nn.Conv2d(8, 8, 4, padding="same")
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.avg = nn.AvgPool2d(3, 1, padding=1, count_include_pad=False)
        self.fc = nn.Linear(8 * 3 * 3, 4)         # ceil_mode: 3 x 3 (2 x 2 without)

    def forward(self, x):
        x = F.relu(self.c1(F.pad(x, (0, 1, 0, 1))))
        x = self.avg(self.pool(F.relu(self.c2(x))))
        return self.fc(torch.flatten(x, 1))


class SeBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.Hardswish())
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=False), nn.BatchNorm2d(8), nn.Hardswish())
        self.se1, self.se2 = nn.Conv2d(8, 4, 1), nn.Conv2d(4, 8, 1)
        self.proj = nn.Sequential(nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8))
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        x = self.stem(x)
        y = self.dw(x)
        y = y * F.hardsigmoid(self.se2(F.relu(self.se1(F.adaptive_avg_pool2d(y, 1)))))
        x = x + self.proj(y)
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))


class BnResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.a = nn.Sequential(nn.Conv2d(8, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                               nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8))
        self.short = nn.Sequential(nn.Conv2d(8, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = self.stem(x)
        x = F.relu(self.a(x) + self.short(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class Leaky(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2, self.c3 = nn.Conv2d(8, 8, 1), nn.Conv2d(8, 8, 3, padding=1)
        self.pr = nn.PReLU(8, 0.2)
        self.fc = nn.Linear(8 * 2 * 2, 4)

    def forward(self, x):
        x = F.leaky_relu(self.c1(x), 0.1)
        x = self.pr(self.c2(x) - self.c3(x))
        return self.fc(torch.flatten(F.max_pool2d(x, 2), 1))


class ViewFlatten(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(2, 4, 3)
        self.fc = nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        x = F.relu(self.c(x))
        return self.fc(x.view(x.size(0), -1))


class Normalized(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = F.relu(self.c((x - 0.5) / 0.25))
        return self.fc(torch.mean(x, dim=[2, 3]))


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 4, 3, 2, 1), nn.ReLU())
        self.dec = nn.Sequential(nn.ConvTranspose2d(4, 1, 3, 2, 1, output_padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.dec(self.enc(x))


class Gated(nn.Module):
    """GLU-style gating: a conv into 2C channels chunked, a * sigmoid(b); then tanh * sigmoid (WaveNet)."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(4, 16, 3, padding=1)
        self.c2, self.c3 = nn.Conv2d(8, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 6 * 6, 3)

    def forward(self, x):
        a, b = torch.chunk(self.c1(x), 2, dim=1)
        x = a * torch.sigmoid(b)
        x = torch.tanh(self.c2(x)) * torch.sigmoid(self.c3(x))
        return self.fc(x.view(x.size(0), -1))


# name -> (net, input shape, opset, dynamic batch, constant folding)
MODELS = {
    "flat_mlp": (FlatMlp, (1, 1, 8, 8), 17, True, False),
    "pads": (Pads, (1, 3, 12, 12), 13, True, True),
    "se_block": (SeBlock, (1, 3, 8, 8), 17, True, True),
    "bn_resnet": (BnResNet, (1, 3, 8, 8), 17, False, False),
    "leaky": (Leaky, (1, 3, 4, 4), 13, True, True),
    "view_flatten": (ViewFlatten, (1, 2, 6, 6), 13, True, False),
    "normalized": (Normalized, (1, 3, 6, 6), 17, False, True),
    "autoencoder": (AutoEncoder, (1, 1, 8, 8), 13, False, True),
    "gated": (Gated, (1, 4, 6, 6), 17, True, True),
}
CALIB_SAMPLES = 32


def export(name: str, path: Path, seed: int = 0) -> Path:
    """torch.onnx.export as a user calls it: the model's opset, dynamic batch, constant folding."""
    _, shape, opset, dynamic, folding = MODELS[name]
    axes = {"dynamic_axes": {"x": {0: "batch"}, "y": {0: "batch"}}} if dynamic else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(perturbed(MODELS[name][0], seed), (torch.randn(shape),), str(path), dynamo=False, opset_version=opset,
                          input_names=["x"], output_names=["y"], do_constant_folding=folding, **axes)
    return path


def heldout_inputs(name: str, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count,) + MODELS[name][1][1:]).astype(np.float32)


def pre_processed(float_path: Path) -> Path:
    """onnxruntime's quant_pre_process (shape inference, BatchNormalization folded into the Conv)."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    out = float_path.with_name(float_path.stem + "_pre.onnx")
    if not out.exists():
        logging.disable(logging.WARNING)
        try:
            quant_pre_process(str(float_path), str(out))
        finally:
            logging.disable(logging.NOTSET)
    return out


def heldout_model(tmp: Path, name: str, form: str, pre: bool = False, **quant) -> Path:
    """Model `name` in `form` (float, qdq, qoperator) under tmp, the float file exported once;
    `pre`: quantized after quant_pre_process; `quant`: onnx_lib.quantize's options."""
    tmp = Path(tmp)
    float_path = tmp / f"{name}.onnx"
    if not float_path.exists():
        export(name, float_path)
    if form == "float":
        return float_path
    source = pre_processed(float_path) if pre else float_path
    tag = "_".join(f"{k}-{v}" for k, v in sorted(quant.items()))
    out = tmp / f"{source.stem}_{form}{'_' + tag if tag else ''}.onnx"
    if not out.exists():
        quantize(source, out, form, heldout_inputs(name, CALIB_SAMPLES, 100), **quant)
    return out
