"""Whether the device's libm and the host's give the same float32 results, bit for bit.

TFLite Micro's float kernels call libm (std::exp, std::tanh on floats: expf, tanhf), and so do
tinygen's float32 kernels. The tflite-micro package runs on the host with glibc's libm; a
Cortex-M build links newlib's (arm-none-eabi, the f746zg's single-precision FPU multilib).
This runs tests/libm_probe.c with both on the same inputs -- float32 bit patterns spread
over the whole range (every STRIDE-th one) and every float of [-1, 1) at a coarser step -- on the
host (gcc, glibc) and on the f746zg stand-in (arm-none-eabi-gcc with the board's flags, newlib,
under QEMU), and counts the inputs whose results differ; numpy's own functions are compared
with the host's libm too (tinygen's reference calls the host libm through ctypes because
numpy's differ).

    .venv/bin/python benchmarks/libm_agreement.py [--stride 1021] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from libm_probe import FUNCTIONS, host_probe, run_probe, standin_probe  # noqa: E402

NUMPY = {"expf": np.exp, "tanhf": np.tanh, "expm1f": np.expm1, "logf": np.log, "sqrtf": np.sqrt}


def probe_inputs(stride: int) -> np.ndarray:
    """Every stride-th float32 bit pattern (NaNs included), then [-1, 1) at 2**-16 steps."""
    spread = (np.arange(0, 2 ** 32, stride, dtype=np.uint64) + 17) & 0xFFFFFFFF
    unit = np.arange(-2 ** 16, 2 ** 16, dtype=np.float64) / 2 ** 16
    return np.concatenate([spread.astype(np.uint32).view(np.float32), unit.astype(np.float32)])


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))


def measure(stride: int) -> dict:
    x = probe_inputs(stride)
    with tempfile.TemporaryDirectory() as tmp:
        host = run_probe(host_probe(Path(tmp)), Path(tmp) / "host", x)
        dev = run_probe(standin_probe(Path(tmp)), Path(tmp) / "device", x)
        rows = {}
        for name in FUNCTIONS:
            h, d = host[name], dev[name]
            differ = np.flatnonzero(~_same(h, d))
            row = {"inputs": int(x.size), "device_differs": int(differ.size),
                   "examples": [[float(x[i]), float(h[i]), float(d[i])] for i in differ[:5]]}
            if name in NUMPY:
                with np.errstate(all="ignore"):
                    row["numpy_differs"] = int((~_same(NUMPY[name](x), h)).sum())
            rows[name] = row
    return {"host": "gcc, glibc libm", "device": "f746zg stand-in (arm-none-eabi-gcc, newlib libm, QEMU mps2-an500)",
            "stride": stride, "functions": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stride", type=int, default=1021)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    missing = [t for t in ("gcc", "arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]
    if missing:
        print(f"needs {', '.join(missing)}", file=sys.stderr)
        return 1
    result = measure(args.stride)
    for name, row in result["functions"].items():
        numpy = f", numpy vs host {row['numpy_differs']}" if "numpy_differs" in row else ""
        first = row["examples"][0] if row["examples"] else None
        print(f"{name:7s} device vs host: {row['device_differs']} of {row['inputs']} differ{numpy}"
              + (f"  (e.g. x={first[0]!r}: host {first[1]!r}, device {first[2]!r})" if first else ""))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
