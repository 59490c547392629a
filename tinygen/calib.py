"""Calibration data: where it comes from and checking it fits the model.

--calib accepts:
  data.npy                 an array [N, ...input shape] (the model's own layout, e.g. NCHW)
  data.npz                 the array under key "x", "calib" or "data", or its only array
  module.py:function       a Python callable returning an array or an iterable of batches
  random                   random normal data (prints a warning: accuracy will suffer)
Without --calib, a model file's own calibration_data() is used.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
import warnings
from pathlib import Path

import numpy as np

from tinygen.errors import ModelError

RANDOM_SAMPLES = 64
NPZ_KEYS = ("x", "calib", "data")


class CalibrationWarning(UserWarning):
    pass


def _from_npz(path: Path) -> np.ndarray:
    with np.load(path) as z:
        for key in NPZ_KEYS:
            if key in z.files:
                return z[key]
        if len(z.files) == 1:
            return z[z.files[0]]
        raise ModelError(f"{path}: cannot tell which array is the calibration data ({', '.join(z.files)})",
                         f"store it under the key 'x' (np.savez('{path.name}', x=data))")


def _from_callable(spec: str) -> np.ndarray:
    file, _, func = spec.rpartition(":")
    path = Path(file)
    if not path.is_file():
        raise ModelError(f"calibration module {file!r} does not exist")
    mod_spec = importlib.util.spec_from_file_location(f"_tinygen_calib_{uuid.uuid4().hex[:8]}", path)
    module = importlib.util.module_from_spec(mod_spec)
    sys.path.insert(0, str(path.resolve().parent))
    try:
        mod_spec.loader.exec_module(module)
        fn = getattr(module, func, None)
        if not callable(fn):
            raise ModelError(f"{file} has no function {func}()",
                             "give --calib FILE.py:FUNCTION with a function returning an array or batches")
        result = fn()
        if isinstance(result, np.ndarray) or hasattr(result, "numpy"):
            return np.asarray(result)
        batches = [np.asarray(b) for b in result]
    except ModelError:
        raise
    except Exception as e:
        raise ModelError(f"calibration function {spec} raised {type(e).__name__}: {e}") from None
    finally:
        sys.path.pop(0)
    if not batches:
        return np.zeros((0,), np.float32)
    return np.concatenate(batches, axis=0)


def load_calibration(spec: str | None, input_shape: tuple[int, ...], default: np.ndarray | None,
                     seed: int = 0) -> np.ndarray:
    """Calibration inputs [N, ...input_shape without batch], float32, in the model's own layout."""
    sample_shape = tuple(input_shape[1:])
    if spec is None:
        if default is None:
            raise ModelError("no calibration data: the model file has no calibration_data() and --calib is not given",
                             "pass --calib data.npy (100-500 representative inputs), or --calib random "
                             "to try the flow without data (accuracy will suffer)")
        data = default
    elif spec == "random":
        warnings.warn("calibrating on random data: quantization ranges will not match real inputs "
                      "and accuracy will suffer; pass --calib with representative data",
                      CalibrationWarning, stacklevel=2)
        data = np.random.default_rng(seed).standard_normal((RANDOM_SAMPLES,) + sample_shape)
    elif ":" in spec and spec.rpartition(":")[0].endswith(".py"):
        data = _from_callable(spec)
    else:
        path = Path(spec)
        if not path.is_file():
            raise ModelError(f"calibration file {spec!r} does not exist",
                             "give a .npy or .npz file, FILE.py:FUNCTION, or 'random'")
        try:
            data = _from_npz(path) if path.suffix == ".npz" else np.load(path, allow_pickle=False)
        except ModelError:
            raise
        except Exception as e:
            raise ModelError(f"cannot read calibration data {spec!r}: {e}",
                             "save it with numpy.save('calib.npy', array)") from None
    data = np.asarray(data)
    if data.dtype.kind not in "fiu":
        raise ModelError(f"calibration data has dtype {data.dtype}; expected numbers")
    if tuple(data.shape) == sample_shape:
        data = data[None]
    if data.ndim == 0 or data.shape[0] == 0 or data.size == 0:
        raise ModelError("the calibration set is empty",
                         "pass at least one sample (100-500 representative inputs is typical)")
    if tuple(data.shape[1:]) != sample_shape:
        raise ModelError(f"calibration data has shape {list(data.shape)}, but the model input is "
                         f"{list(input_shape)}: expected [N, {', '.join(map(str, sample_shape))}]",
                         "give samples in the model's own layout (NCHW for PyTorch image models)")
    data = data.astype(np.float32)
    if not np.all(np.isfinite(data)):
        raise ModelError("calibration data contains NaN or Inf values", "clean the data set")
    return data
