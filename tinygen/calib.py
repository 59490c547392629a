"""Calibration data: where it comes from and checking it fits the model.

--calib accepts:
  data.npy                 an array [N, ...input shape] (the model's own layout, e.g. NCHW)
  data.npz                 the array under key "x", "calib" or "data", or its only array;
                           a model with several inputs: one array per input, under x0, x1, ...
                           (forward()'s order) or the input's own name (forward()'s argument)
  module.py:function       a Python callable returning an array or an iterable of batches
                           (several inputs: a tuple of arrays, one per input)
  random                   random normal data (prints a warning: accuracy will suffer)
Without --calib, a model file's own calibration_data() is used. Every input gets the
same number of samples: sample i of each goes into the model together.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from tinygen.errors import ModelError
from tinygen.frontend.check_size import check_calibration
from tinygen.frontend.user_module import import_file, user_code
from tinygen.npfile import not_numpy

RANDOM_SAMPLES = 64
NPZ_KEYS = ("x", "calib", "data")


class CalibrationWarning(UserWarning):
    pass


def sample_shape(input_shape) -> tuple[int, ...]:
    """One sample of a model input as a data file holds it: the input without its first axis
    (the batch), or the whole input where it is 1-D (a [480] audio frame has no batch axis: a
    data set of such samples is [N, 480], one sample per row)."""
    shape = tuple(int(n) for n in input_shape)
    return shape if len(shape) == 1 else shape[1:]


def with_sample_axis(data: np.ndarray, input_shape) -> np.ndarray:
    """Data for one model input with its leading sample axis: a single sample (of the shape
    sample_shape gives) becomes a set of one; a 1-D input of one value takes [N] as N samples."""
    sample = sample_shape(input_shape)
    if tuple(data.shape) == sample:
        return data[None]
    if sample == (1,) and data.ndim == 1:
        return data[:, None]
    return data


def shape_hint(input_shape) -> str:
    """What to give for a model input of `input_shape`, for messages: "[N, 8, 8, 3]"; for a 1-D
    input also that it takes one sample per row."""
    sample = sample_shape(input_shape)
    hint = "[N, " + ", ".join(map(str, sample)) + "]"
    if len(tuple(input_shape)) == 1:
        hint += (f" (the model input is 1-D, {list(input_shape)}, with no batch axis: one sample per row; a single "
                 f"sample may be given as [{sample[0]}])")
    return hint


def input_keys(names: list[str]) -> str:
    """How an .npz names a model's inputs, for messages: "x0 (or image), x1 (or imu)"."""
    return ", ".join(f"x{k}" + (f" (or {n})" if n != f"x{k}" else "") for k, n in enumerate(names))


def input_arrays(arrays: dict[str, np.ndarray], names: list[str], where: str, error=ModelError) -> list[np.ndarray]:
    """One array per model input from an .npz's arrays: key x0, x1, ... (in the model's input
    order) or the input's own name (`names`, forward()'s arguments for a PyTorch model)."""
    out, missing = [], []
    for k, name in enumerate(names):
        keys = sorted({key for key in (f"x{k}", name) if key in arrays})
        if len(keys) > 1:
            raise error(f"{where} has both {keys[0]} and {keys[1]}: two arrays for input {k}", "keep one of them")
        if keys:
            out.append(arrays[keys[0]])
        else:
            missing.append(f"x{k}" + (f" (or {name})" if name != f"x{k}" else ""))
    if missing:
        raise error(f"{where} has no array for input {', '.join(missing)}; it has {', '.join(arrays) or 'none'}",
                    f"save one array per input: numpy.savez(FILE, {', '.join(f'x{k}=...' for k in range(len(names)))})"
                    + ("" if names == [f"x{k}" for k in range(len(names))] else f" or by name ({', '.join(names)})"))
    return out


def _from_npz(path: Path, names: list[str]) -> list[np.ndarray]:
    with np.load(path) as z:
        if len(names) > 1:
            return input_arrays({k: z[k] for k in z.files}, names, str(path))
        for key in NPZ_KEYS:
            if key in z.files:
                return [z[key]]
        if len(z.files) == 1:
            return [z[z.files[0]]]
        raise ModelError(f"{path}: cannot tell which array is the calibration data ({', '.join(z.files)})",
                         f"store it under the key 'x' (np.savez('{path.name}', x=data))")


def _from_callable(spec: str, inputs: int) -> list[np.ndarray]:
    file, _, func = spec.rpartition(":")
    path = Path(file)
    if not path.is_file():
        raise ModelError(f"calibration module {file!r} does not exist")
    try:
        with user_code(path):                   # while its batches are made, as while it is imported
            module = import_file(path, "_tinygen_calib_")
            fn = getattr(module, func, None)
            if not callable(fn):
                raise ModelError(f"{file} has no function {func}()",
                                 "give --calib FILE.py:FUNCTION with a function returning an array or batches")
            result = fn()
            if isinstance(result, np.ndarray) or hasattr(result, "numpy"):
                return [np.asarray(result)]
            if inputs > 1 and isinstance(result, (tuple, list)) and all(hasattr(a, "shape") for a in result):
                return [np.asarray(a) for a in result]          # one array per input
            batches = [b if inputs > 1 else (b,) for b in result]   # several inputs: tuples of batches
    except ModelError:
        raise
    except Exception as e:
        raise ModelError(f"calibration function {spec} raised {type(e).__name__}: {e}") from None
    if not batches:
        return [np.zeros((0,), np.float32)] * inputs
    if any(not isinstance(b, (tuple, list)) or len(b) != inputs for b in batches):
        raise ModelError(f"calibration function {spec} returned batches that are not {inputs}-tuples",
                         f"return a tuple of {inputs} arrays, one per model input")
    return [np.concatenate([np.asarray(b[k]) for b in batches], axis=0) for k in range(inputs)]


def check_spec(spec: str | None) -> None:
    """Refuse a --calib file that is not there or not numpy's before the model is loaded
    (what it holds is checked against the model's inputs when it is read)."""
    if spec is None or spec == "random":
        return
    if ":" in spec and spec.rpartition(":")[0].endswith(".py"):
        if not Path(spec.rpartition(":")[0]).is_file():
            raise ModelError(f"calibration module {spec.rpartition(':')[0]!r} does not exist")
        return
    _check_file(spec)


def _check_file(spec: str) -> Path:
    path = Path(spec)
    if not path.is_file():
        raise ModelError(f"calibration file {spec!r} does not exist",
                         "give a .npy or .npz file, FILE.py:FUNCTION, or 'random'")
    problem = not_numpy(path) if path.suffix in (".npz", ".npy") else None
    if problem:
        raise ModelError(f"calibration file {spec!r} {problem}", "save it with numpy.save('calib.npy', array)")
    return path


def _from_file(spec: str, names: list[str]) -> list[np.ndarray]:
    path = _check_file(spec)
    if path.suffix != ".npz" and len(names) > 1:
        raise ModelError(f"calibration file {spec!r} holds one array, but the model takes {len(names)} inputs",
                         f"save an .npz with one array per input: {input_keys(names)}")
    try:
        return _from_npz(path, names) if path.suffix == ".npz" else [np.load(path, allow_pickle=False, mmap_mode="r")]
    except ModelError:
        raise
    except Exception as e:
        raise ModelError(f"cannot read calibration data {spec!r}: {e}",
                         "save it with numpy.save('calib.npy', array)") from None


def load_calibration(spec: str | None, input_shapes: list[tuple[int, ...]],
                     default: np.ndarray | tuple[np.ndarray, ...] | None, names: list[str] | None = None,
                     seed: int = 0) -> list[np.ndarray]:
    """Calibration inputs: one float32 array [N, ...input shape without batch] per model input
    (the same N), in the model's own layout. `names`: the inputs' own names (default x0, x1, ...)."""
    names = list(names or [f"x{k}" for k in range(len(input_shapes))])
    flat = [(n, list(s)) for n, s in zip(names, input_shapes) if len(tuple(s)) == 1]
    if flat:
        # the float interpreter that calibrates runs a batch along every tensor's first axis
        # (tinygen.ref.float_interp.run_float), which a 1-D input's graph does not have
        raise ModelError(f"input {flat[0][0]} is 1-D ({flat[0][1]}, no batch axis): tinygen calibrates models "
                         "whose inputs have a batch axis first",
                         "run the float model as it is (leave out --calib: float32, as TFLite Micro runs it), or "
                         f"export it with a batch axis ([1, {flat[0][1][0]}]) and calibrate that")
    if spec is None:
        if default is None:
            raise ModelError("no calibration data: the model file has no calibration_data() and --calib is not given",
                             "pass --calib data.npy (100-500 representative inputs), or --calib random "
                             "to try the flow without data (accuracy will suffer)")
        data = list(default) if isinstance(default, (tuple, list)) else [default]
    elif spec == "random":
        warnings.warn("calibrating on random data: quantization ranges will not match real inputs "
                      "and accuracy will suffer; pass --calib with representative data",
                      CalibrationWarning, stacklevel=2)
        for k, s in enumerate(input_shapes):
            check_calibration(RANDOM_SAMPLES, sample_shape(s), f" for input {k} ({names[k]})" if len(names) > 1 else "")
        rng = np.random.default_rng(seed)
        # sample by sample (the values standard_normal would give all at once), kept as float32
        data = [np.stack([rng.standard_normal(sample_shape(s)).astype(np.float32) for _ in range(RANDOM_SAMPLES)])
                for s in input_shapes]
    elif ":" in spec and spec.rpartition(":")[0].endswith(".py"):
        data = _from_callable(spec, len(input_shapes))
    else:
        data = _from_file(spec, names)
    if len(data) != len(input_shapes):
        raise ModelError(f"calibration data has {len(data)} arrays, but the model takes {len(input_shapes)} inputs",
                         f"give one array per input: {input_keys(names)}")
    arrays = [_checked(d, s, "" if len(names) == 1 else f" for input {k} ({names[k]})")
              for k, (d, s) in enumerate(zip(data, input_shapes))]
    if len({len(a) for a in arrays}) > 1:
        raise ModelError("calibration data has " + ", ".join(f"{len(a)} samples for {n}" for a, n in zip(arrays, names)),
                         "give the same number of samples for every input (sample i of each goes into the model "
                         "together)")
    return arrays


def _checked(data, input_shape: tuple[int, ...], which: str) -> np.ndarray:
    sample = sample_shape(input_shape)
    data = np.asarray(data)
    if data.dtype.kind not in "fiu":
        raise ModelError(f"calibration data{which} has dtype {data.dtype}; expected numbers")
    data = with_sample_axis(data, input_shape)
    if data.ndim == 0 or data.shape[0] == 0 or data.size == 0:
        raise ModelError(f"the calibration set{which} is empty",
                         "pass at least one sample (100-500 representative inputs is typical)")
    if tuple(data.shape[1:]) != sample:
        raise ModelError(f"calibration data{which} has shape {list(data.shape)}, but the model input is "
                         f"{list(input_shape)}: expected {shape_hint(input_shape)}",
                         "give samples in the model's own layout (NCHW for PyTorch image models)")
    check_calibration(data.shape[0], sample, which)
    data = data.astype(np.float32)
    if not np.all(np.isfinite(data)):
        raise ModelError(f"calibration data{which} contains NaN or Inf values", "clean the data set")
    return data
