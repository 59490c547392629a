"""Small definitions of five mobile architectures, written here from their papers with
torchvision's layer sequence and operators (torchvision itself is not importable in this
environment: its only build for torch 2.13 is a CUDA build). Each builder takes the input
size and the class count; `randomize` gives random weights and perturbed batch-norm
statistics, so that folding the statistics matters.

- MobileNetV2 (Sandler et al. 2018), width 0.35: inverted residuals, ReLU6.
- MobileNetV3-Small (Howard et al. 2019): hard swish, squeeze-and-excitation with a hard sigmoid gate.
- ShuffleNetV2 x0.5 (Ma et al. 2018): channel split (chunk), concatenation, channel shuffle.
- SqueezeNet 1.1 (Iandola et al. 2016): fire modules, max pooling with ceil_mode.
- MnasNet 0.5 (Tan et al. 2019): inverted residuals, in-place Dropout in the classifier.
"""

from __future__ import annotations

import torch
from torch import nn


def _div(v: float, divisor: int = 8) -> int:
    """torchvision's _make_divisible: round to a multiple of `divisor`, never below 90%."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def _cba(cin, cout, k, stride=1, groups=1, act=nn.ReLU6, eps=1e-5):
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout, eps=eps)]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


# -- MobileNetV2 ---------------------------------------------------------------------------

class _V2Block(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = int(round(cin * expand))
        layers = [] if expand == 1 else [_cba(cin, hidden, 1)]
        layers += [_cba(hidden, hidden, 3, stride, hidden), nn.Conv2d(hidden, cout, 1, bias=False),
                   nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


def mobilenet_v2(width: float = 0.35, classes: int = 10) -> nn.Module:
    cin = _div(32 * width)
    last = _div(1280 * max(1.0, width))
    layers = [_cba(3, cin, 3, 2)]
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1)]:
        cout = _div(c * width)
        for i in range(n):
            layers.append(_V2Block(cin, cout, s if i == 0 else 1, t))
            cin = cout
    layers.append(_cba(cin, last, 1))
    return nn.Sequential(nn.Sequential(*layers), nn.AdaptiveAvgPool2d(1), nn.Flatten(1),
                         nn.Dropout(0.2), nn.Linear(last, classes))


# -- MobileNetV3-Small -----------------------------------------------------------------------

class _SE(nn.Module):
    def __init__(self, channels, squeeze):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1, self.fc2 = nn.Conv2d(channels, squeeze, 1), nn.Conv2d(squeeze, channels, 1)
        self.activation, self.scale_activation = nn.ReLU(), nn.Hardsigmoid()

    def forward(self, x):
        s = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return s * x


class _V3Block(nn.Module):
    def __init__(self, cin, k, exp, cout, se, act, stride):
        super().__init__()
        act = nn.Hardswish if act == "HS" else nn.ReLU
        layers = [] if exp == cin else [_cba(cin, exp, 1, act=act, eps=1e-3)]
        layers.append(_cba(exp, exp, k, stride, exp, act=act, eps=1e-3))
        if se:
            layers.append(_SE(exp, _div(exp // 4)))
        layers.append(_cba(exp, cout, 1, act=None, eps=1e-3))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


def mobilenet_v3_small(classes: int = 10) -> nn.Module:
    config = [(3, 16, 16, True, "RE", 2), (3, 72, 24, False, "RE", 2), (3, 88, 24, False, "RE", 1),
              (5, 96, 40, True, "HS", 2), (5, 240, 40, True, "HS", 1), (5, 240, 40, True, "HS", 1),
              (5, 120, 48, True, "HS", 1), (5, 144, 48, True, "HS", 1), (5, 288, 96, True, "HS", 2),
              (5, 576, 96, True, "HS", 1), (5, 576, 96, True, "HS", 1)]
    layers, cin = [_cba(3, 16, 3, 2, act=nn.Hardswish, eps=1e-3)], 16
    for k, exp, cout, se, act, s in config:
        layers.append(_V3Block(cin, k, exp, cout, se, act, s))
        cin = cout
    layers.append(_cba(cin, 576, 1, act=nn.Hardswish, eps=1e-3))
    return nn.Sequential(nn.Sequential(*layers), nn.AdaptiveAvgPool2d(1), nn.Flatten(1),
                         nn.Sequential(nn.Linear(576, 1024), nn.Hardswish(inplace=True),
                                       nn.Dropout(0.2, inplace=True), nn.Linear(1024, classes)))


# -- ShuffleNetV2 ----------------------------------------------------------------------------

def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    n, c, h, w = x.size()
    x = x.view(n, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(n, c, h, w)


class _ShuffleBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride, half = stride, cout // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin),
                nn.Conv2d(cin, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        first = cin if stride > 1 else half
        self.branch2 = nn.Sequential(
            nn.Conv2d(first, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True),
            nn.Conv2d(half, half, 3, stride, 1, groups=half, bias=False), nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class _ShuffleNetV2(nn.Module):
    def __init__(self, repeats, channels, classes):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, channels[0], 3, 2, 1, bias=False),
                                   nn.BatchNorm2d(channels[0]), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages, cin = [], channels[0]
        for n, cout in zip(repeats, channels[1:4]):
            stages.append(nn.Sequential(_ShuffleBlock(cin, cout, 2),
                                        *[_ShuffleBlock(cout, cout, 1) for _ in range(n - 1)]))
            cin = cout
        self.stage2, self.stage3, self.stage4 = stages
        self.conv5 = nn.Sequential(nn.Conv2d(cin, channels[-1], 1, bias=False), nn.BatchNorm2d(channels[-1]),
                                   nn.ReLU(inplace=True))
        self.fc = nn.Linear(channels[-1], classes)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(x.mean([2, 3]))


def shufflenet_v2_x0_5(classes: int = 10) -> nn.Module:
    return _ShuffleNetV2([4, 8, 4], [24, 48, 96, 192, 1024], classes)


# -- SqueezeNet 1.1 --------------------------------------------------------------------------

class _Fire(nn.Module):
    def __init__(self, cin, squeeze, e1, e3):
        super().__init__()
        self.squeeze, self.squeeze_activation = nn.Conv2d(cin, squeeze, 1), nn.ReLU(inplace=True)
        self.expand1x1, self.expand1x1_activation = nn.Conv2d(squeeze, e1, 1), nn.ReLU(inplace=True)
        self.expand3x3, self.expand3x3_activation = nn.Conv2d(squeeze, e3, 3, padding=1), nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


def squeezenet1_1(classes: int = 10) -> nn.Module:
    pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)
    features = nn.Sequential(
        nn.Conv2d(3, 64, 3, 2), nn.ReLU(inplace=True), pool(), _Fire(64, 16, 64, 64), _Fire(128, 16, 64, 64),
        pool(), _Fire(128, 32, 128, 128), _Fire(256, 32, 128, 128), pool(), _Fire(256, 48, 192, 192),
        _Fire(384, 48, 192, 192), _Fire(384, 64, 256, 256), _Fire(512, 64, 256, 256))
    classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(512, classes, 1), nn.ReLU(inplace=True),
                               nn.AdaptiveAvgPool2d(1))
    return nn.Sequential(features, classifier, nn.Flatten(1))


# -- MnasNet 0.5 -----------------------------------------------------------------------------

class _MnasBlock(nn.Module):
    def __init__(self, cin, cout, k, stride, expand):
        super().__init__()
        mid = cin * expand
        self.residual = cin == cout and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False), nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True), nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return self.layers(x) + x if self.residual else self.layers(x)


class _MNASNet(nn.Module):
    def __init__(self, alpha, classes):
        super().__init__()
        d = [_div(c * alpha, 8) for c in (32, 16, 24, 40, 80, 96, 192, 320)]
        layers = [nn.Conv2d(3, d[0], 3, 2, 1, bias=False), nn.BatchNorm2d(d[0]), nn.ReLU(inplace=True),
                  nn.Conv2d(d[0], d[0], 3, 1, 1, groups=d[0], bias=False), nn.BatchNorm2d(d[0]),
                  nn.ReLU(inplace=True), nn.Conv2d(d[0], d[1], 1, bias=False), nn.BatchNorm2d(d[1])]
        for (cin, cout), (k, s, e, n) in zip(zip(d[1:7], d[2:8]), [(3, 2, 3, 3), (5, 2, 3, 3), (5, 2, 6, 3),
                                                                   (3, 1, 6, 2), (5, 2, 6, 4), (3, 1, 6, 1)]):
            layers += [_MnasBlock(cin, cout, k, s, e)] + [_MnasBlock(cout, cout, k, 1, e) for _ in range(n - 1)]
        layers += [nn.Conv2d(d[7], 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU(inplace=True)]
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2, inplace=True), nn.Linear(1280, classes))

    def forward(self, x):
        return self.classifier(self.layers(x).mean([2, 3]))


def mnasnet0_5(classes: int = 10) -> nn.Module:
    return _MNASNet(0.5, classes)


ZOO = {"mobilenet_v2_0.35": lambda: mobilenet_v2(0.35), "mobilenet_v3_small": mobilenet_v3_small,
       "shufflenet_v2_x0_5": shufflenet_v2_x0_5, "squeezenet1_1": squeezenet1_1, "mnasnet0_5": mnasnet0_5}


def randomize(net: nn.Module, seed: int = 0) -> nn.Module:
    """Random weights (the default init, seeded) and perturbed batch-norm statistics and
    affine parameters; eval mode."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / m.weight[0].numel()) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=g) * 0.8 + 0.6)
                m.weight.copy_(torch.rand(c, generator=g) * 0.6 + 0.7)
                m.bias.copy_(torch.randn(c, generator=g) * 0.2)
    return net.eval()


