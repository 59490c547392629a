"""The inputs the README's Quick start runs: MFCC-like spectrograms (49 frames x 10 coefficients),
made here with numpy, no download.

    python examples/make_data.py            # writes test.npz and kws.npz into the current folder

test.npz: x [64, 1, 49, 10] for examples/models/dscnn.py (PyTorch's NCHW layout);
kws.npz:  x [64, 49, 10, 1] for the MLPerf Tiny KWS model (examples/mlperf-tiny/kws_dscnn_int8.tflite,
NHWC), the same spectrograms. Both models' outputs on them are checked byte for byte against the
reference; they carry no labels (the DS-CNN of examples/models is untrained): for accuracy on spoken
keywords, `make demo-kws` synthesizes a labelled corpus (tinygen corpus).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SAMPLES, FRAMES, COEFFS = 64, 49, 10


def spectrograms(n: int = SAMPLES, seed: int = 0) -> np.ndarray:
    """float32 [n, 49, 10]: a large negative log-energy term, decaying higher coefficients,
    smooth in time (the recipe of examples/models/dscnn.py's calibration_data, another seed)."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 1, (n, FRAMES + 4, COEFFS))
    smooth = sum(noise[:, k:k + FRAMES] for k in range(5)) / np.sqrt(5)
    mfcc = smooth * (20.0 / (1.0 + np.arange(COEFFS)))
    mfcc[:, :, 0] -= 30.0 + 10.0 * rng.uniform(0, 1, (n, 1))
    return mfcc.astype(np.float32)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=".", help="the folder to write test.npz and kws.npz into (default: here)")
    out = Path(p.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    x = spectrograms()
    np.savez(out / "test.npz", x=x[:, None])
    np.savez(out / "kws.npz", x=x[..., None])
    print(f"wrote {out / 'test.npz'} and {out / 'kws.npz'}: {SAMPLES} spectrograms of {FRAMES} x {COEFFS}")


if __name__ == "__main__":
    main()
