"""A procedurally generated 32x32 colour shapes-and-textures data set (no download).

Ten classes: five shapes (disc, square, triangle, ring, cross) x two fills (solid, stripes),
each drawn at a random position, size and stripe angle, in a random colour on a random
textured background, with pixel noise. Deterministic for a seed:

    x, y = shapes(n, seed)      # x float32 [n, 3, 32, 32] in [0, 1], y int64 [n]
"""

from __future__ import annotations

import numpy as np

SIZE = 32
SHAPES = ("disc", "square", "triangle", "ring", "cross")
FILLS = ("solid", "stripes")
CLASSES = len(SHAPES) * len(FILLS)


def _mask(shape: str, yy, xx, cy, cx, r):
    dy, dx = yy - cy, xx - cx
    if shape == "disc":
        return dy ** 2 + dx ** 2 <= r ** 2
    if shape == "square":
        return (np.abs(dy) <= r * 0.85) & (np.abs(dx) <= r * 0.85)
    if shape == "triangle":
        return (dy <= r * 0.8) & (dy >= -r) & (np.abs(dx) <= (dy + r) * 0.6)
    if shape == "ring":
        d2 = dy ** 2 + dx ** 2
        return (d2 <= r ** 2) & (d2 >= (0.55 * r) ** 2)
    return ((np.abs(dy) <= r * 0.3) & (np.abs(dx) <= r)) | ((np.abs(dx) <= r * 0.3) & (np.abs(dy) <= r))


def shapes(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    x = np.empty((n, 3, SIZE, SIZE), np.float32)
    y = rng.integers(0, CLASSES, n)
    for i in range(n):
        shape, fill = SHAPES[y[i] // len(FILLS)], FILLS[y[i] % len(FILLS)]
        r = rng.uniform(6, 12)
        cy, cx = rng.uniform(r, SIZE - r, 2)
        fg = rng.uniform(0.4, 1.0, 3)
        bg = rng.uniform(0.0, 0.5, 3)
        # a textured background: a low-frequency wave of random direction
        angle = rng.uniform(0, np.pi)
        wave = 0.1 * np.sin((np.cos(angle) * xx + np.sin(angle) * yy) * rng.uniform(0.2, 0.5))
        img = bg[:, None, None] + wave[None]
        m = _mask(shape, yy, xx, cy, cx, r)
        if fill == "stripes":
            a = rng.uniform(0, np.pi)
            m = m & (np.sin((np.cos(a) * xx + np.sin(a) * yy) * 1.6) > 0)
        img = np.where(m[None], fg[:, None, None], img)
        x[i] = img + rng.normal(0, 0.05, img.shape)
    return np.clip(x, 0, 1), y.astype(np.int64)
