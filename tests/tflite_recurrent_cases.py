"""Single-operator .tflite models of the recurrent layers, drawn from a seed: an int8
UNIDIRECTIONAL_SEQUENCE_LSTM (int16 cell state on a power-of-two scale, the converter's five
intermediate tensors) and an int8 SVDF (int16 or int8 time weights and state), written with
tests/tflite_builder.py; and the helper that runs one through TensorFlow Lite Micro's host
interpreter invocation after invocation (its variable tensors, the layers' state, carry over)."""

from __future__ import annotations

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.TensorType import TensorType
from tflite_builder import ModelBuilder, random_scale, random_zero_point


def lstm_model(rng: np.random.Generator, batches: int, steps: int, inputs: int, hidden: int,
               time_major: bool = False, cell_clip: float = 0.0, recurrent_max: int = 127,
               activations: str = "int8", input_product: float | None = None) -> bytes:
    """An int8 UNIDIRECTIONAL_SEQUENCE_LSTM over [B, T, I] ([T, B, I] time-major); recurrent
    weights in [-recurrent_max, recurrent_max]. `activations` "int16": TFLite's 16x8 LSTM (int16
    input, hidden state and output with zero point 0, int8 weights, int64 biases). `input_product`:
    every input weight's scale chosen so that the input products' scale on the gates' Q3.12 grid is it
    (in [0.5, 1): requantizations with a shift of 0), else drawn."""
    b = ModelBuilder("tinygen recurrent test: lstm")
    s_x, zp_x = random_scale(rng, 0.01, 0.1), random_zero_point(rng)
    if activations == "int16":          # int16 grids: 256 times finer, symmetric
        s_x, zp_x = s_x / 256, 0
    x = b.tensor("input", [steps, batches, inputs] if time_major else [batches, steps, inputs], activations,
                 scale=s_x, zero_point=zp_x)
    y = add_lstm(b, rng, x, s_x, hidden, time_major, cell_clip, recurrent_max, input_product=input_product)
    return b.finish([x], [y])


def add_lstm(b: ModelBuilder, rng: np.random.Generator, x: int, s_x: float, hidden: int, time_major: bool = False,
             cell_clip: float = 0.0, recurrent_max: int = 127, prefix: str = "",
             input_product: float | None = None) -> int:
    """An UNIDIRECTIONAL_SEQUENCE_LSTM of `hidden` units over `x` (on scale s_x; int8, or int16: the
    16x8 LSTM) in builder `b`, its tensors' names starting with `prefix`: its output tensor;
    `input_product` as lstm_model's."""
    wide = b.tensors[x].ttype == TensorType.INT16
    activations = "int16" if wide else "int8"
    shape_x = b.tensors[x].shape
    (steps, batches, inputs) = shape_x if time_major else (shape_x[1], shape_x[0], shape_x[2])
    s_h, zp_h = random_scale(rng, 0.004, 0.012), random_zero_point(rng, -20, 20)
    if wide:
        s_h, zp_h = s_h / 256, 0
    shape_y = [steps, batches, hidden] if time_major else [batches, steps, hidden]
    ins = [x]
    for k, cols in enumerate([inputs] * 4 + [hidden] * 4):
        s_w = random_scale(rng, 0.002, 0.03)
        if k < 4 and input_product is not None:
            s_w = float(np.float32(input_product * 2.0 ** -12 / s_x))
        limit = 127 if k < 4 else recurrent_max
        w = rng.integers(-limit, limit + 1, (hidden, cols))
        ins.append(b.tensor(f"{prefix}w{k}", [hidden, cols], scale=s_w, zero_point=0, data=w))
    ins += [-1, -1, -1]                                    # no peephole
    for k in range(4):
        s_b = float(np.float32(s_x) * np.float32(random_scale(rng, 0.002, 0.03)))
        ins.append(b.tensor(f"{prefix}bias{k}", [hidden], "int64" if wide else "int32", scale=s_b, zero_point=0,
                            data=rng.integers(-3000, 3000, hidden) * (256 if wide else 1)))
    ins += [-1, -1]                                        # no projection
    ins.append(b.tensor(f"{prefix}hidden_state", [batches, hidden], activations, scale=s_h, zero_point=zp_h,
                        variable=True))
    cell_power = int(rng.integers(-13, -9))
    ins.append(b.tensor(f"{prefix}cell_state", [batches, hidden], "int16", scale=2.0 ** cell_power, zero_point=0,
                        variable=True))
    ins += [-1, -1, -1, -1]                                # no layer norm
    inter = [b.tensor(f"{prefix}intermediate_{k}", [0], "int16", scale=2.0 ** -12, zero_point=0) for k in range(4)]
    inter.append(b.tensor(f"{prefix}effective_hidden_scale_intermediate", [0],
                          scale=float(np.float32(2.0 ** -15 / s_h)), zero_point=zp_h))
    y = b.tensor(f"{prefix}output", shape_y, activations, scale=s_h, zero_point=zp_h)
    b.op("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [y], "UnidirectionalSequenceLSTMOptions", intermediates=inter,
         FusedActivationFunction=Act.TANH, CellClip=float(cell_clip), ProjClip=0.0, TimeMajor=time_major,
         AsymmetricQuantizeInputs=False)
    return y


def svdf_model(rng: np.random.Generator, batches: int, inputs: int, units: int, rank: int, memory: int,
               bias: bool = True, state: str = "int16", state_zero_point: int | None = None) -> bytes:
    """An int8 SVDF with int16 time weights and activation state (micro_speech's kind), or with
    int8 ones (`state` "int8": keyword_scrambled's kind, the state on a grid with a zero point, drawn
    where `state_zero_point` is None)."""
    b = ModelBuilder("tinygen recurrent test: svdf")
    s_x, zp_x = random_scale(rng, 0.02, 0.2), random_zero_point(rng)
    x = b.tensor("input", [batches, inputs], scale=s_x, zero_point=zp_x)
    y = add_svdf(b, rng, x, s_x, units, rank, memory, bias, state, state_zero_point)
    return b.finish([x], [y])


def add_svdf(b: ModelBuilder, rng: np.random.Generator, x: int, s_x: float, units: int, rank: int, memory: int,
             bias: bool = True, state: str = "int16", state_zero_point: int | None = None, prefix: str = "") -> int:
    """An SVDF over the int8 `x` [B, I] (on scale s_x) in builder `b` (svdf_model), its tensors' names
    starting with `prefix`: its output tensor."""
    batches, inputs = b.tensors[x].shape
    filters = units * rank
    s_f = random_scale(rng, 0.002, 0.02)
    if state == "int8":
        s_s = random_scale(rng, 0.1, 1.0)
        zp_s = random_zero_point(rng, -60, 60) if state_zero_point is None else state_zero_point
        s_t, t_max, b_max = random_scale(rng, 0.001, 0.005), 127, 2000
    else:
        s_s, zp_s = random_scale(rng, 0.01, 0.2), 0
        s_t, t_max, b_max = random_scale(rng, 1e-5, 1e-4), 20000, 50000
    s_o, zp_o = random_scale(rng, 0.02, 0.2), random_zero_point(rng)
    wf = b.tensor(f"{prefix}weights_feature", [filters, inputs], scale=s_f, zero_point=0,
                  data=rng.integers(-127, 128, (filters, inputs)))
    wt = b.tensor(f"{prefix}weights_time", [filters, memory], state, scale=s_t, zero_point=0,
                  data=rng.integers(-t_max, t_max, (filters, memory)))
    s_b = float(np.float32(s_s) * np.float32(s_t))
    bi = b.tensor(f"{prefix}bias", [units], "int32", scale=s_b, zero_point=0,
                  data=rng.integers(-b_max, b_max, units)) if bias else -1
    st = b.tensor(f"{prefix}activation_state", [batches, filters * memory], state, scale=s_s, zero_point=zp_s,
                  variable=True)
    y = b.tensor(f"{prefix}output", [batches, units], scale=s_o, zero_point=zp_o)
    b.op("SVDF", [x, wf, wt, bi, st], [y], "SVDFOptions", Rank=rank, FusedActivationFunction=Act.RELU,
         AsymmetricQuantizeInputs=False)
    return y


def recurrent_chain_model(rng: np.random.Generator, inputs: int = 24, units: int = 12, hidden: int = 10) -> bytes:
    """Several layers, one frame [1, inputs] an invocation: an int8-state SVDF with a nonzero state
    zero point, one with zero point 0 (CMSIS-NN's arm_svdf_s8 takes that one), QUANTIZE to int16,
    RESHAPE to [1, 1, units] and a 16x8 LSTM (recurrent weights small enough for CMSIS-NN's
    arm_lstm_unidirectional_s16 to be exact: tinygen.kernels.cmsis_nn.lstm_exact): int16 scores
    [1, 1, hidden]."""
    b = ModelBuilder("tinygen recurrent test: int8-state SVDFs, 16x8 LSTM")
    s_x = random_scale(rng, 0.02, 0.2)
    x = b.tensor("input", [1, inputs], scale=s_x, zero_point=random_zero_point(rng))
    a = add_svdf(b, rng, x, s_x, units, 2, 6, state="int8", state_zero_point=-23, prefix="svdf_a_")
    c = add_svdf(b, rng, a, b.tensors[a].scale[0], units, 1, 4, state="int8", state_zero_point=0, prefix="svdf_b_")
    s_q = b.tensors[c].scale[0] / 200
    q = b.tensor("wide", [1, units], "int16", scale=s_q, zero_point=0)
    b.op("QUANTIZE", [c], [q])
    r = b.tensor("frame", [1, 1, units], "int16", scale=s_q, zero_point=0)
    shape = b.tensor("shape", [3], "int32", data=np.array([1, 1, units]))
    b.op("RESHAPE", [q, shape], [r])
    y = add_lstm(b, rng, r, s_q, hidden, recurrent_max=4, prefix="lstm_")
    return b.finish([x], [y])


def tflm_sequence(model: bytes, inputs: list[np.ndarray], arena: int = 1 << 20) -> list[np.ndarray]:
    """TFLite Micro's outputs for `inputs` run one after another on one interpreter (its variable
    tensors, the recurrent state, carry over from each invocation to the next)."""
    from tflite_micro.python.tflite_micro import runtime as tflm

    interp = tflm.Interpreter.from_bytes(model, arena_size=arena)
    outs = []
    for x in inputs:
        interp.set_input(np.ascontiguousarray(x), 0)
        interp.invoke()
        outs.append(np.array(interp.get_output(0)))
    return outs


def assert_device_equals_tflm(dev, model: bytes, inputs: list[np.ndarray], label: str) -> None:
    """A device (a tinygen.hil Device running `model`'s firmware) equals TensorFlow Lite Micro on
    `inputs` run one after another."""
    want = tflm_sequence(model, inputs)
    for k, x in enumerate(inputs):
        got = np.frombuffer(dev.run(np.ascontiguousarray(x).tobytes())[0], want[k].dtype)
        if not np.array_equal(got, want[k].ravel()):
            idx = np.flatnonzero(got != want[k].ravel())
            raise AssertionError(f"{label} invocation {k}: {idx.size} of {got.size} bytes differ, first at {idx[0]}")
