"""Synthetic int8 .tflite models, one per operator case (tests/tflite_builder.py, no
TensorFlow needed): tinygen's numpy reference and its generated host C equal TensorFlow
Lite Micro's host interpreter byte for byte, output and every layer, on 50 inputs each;
LiteRT's reference kernels (BUILTIN_REF) agree too, except where noted in LITERT_DIFFERS.

Quantization parameters come from a generator seeded by the case name, so every run
builds the same models. Cases with more than one operator exist because tinygen
compiles one-input models: a second activation operand (MUL, ADD, CONCATENATION)
has to be computed from the input first.
"""

from __future__ import annotations

import functools
import zlib

import numpy as np
import pytest

from e2e import ALL_AGREE, build_host, diff_layers, first_difference
from tflite_builder import ModelBuilder, random_scale
from tinygen.passes.analysis import layer_stats
from tinygen.compiler import compile_source, load_source
from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.ir import ROLE_OPERAND_OPS, binary_operands
from tinygen.quant import op_params
from tinygen.ref import interpreter as ref_interp
from tinygen.ref import kernels as ref_kernels

import tflite_refs  # noqa: E402  (skips the module when TFLM or LiteRT is absent)
from tflite_refs import ARENA_BYTES, tflm  # noqa: E402
from tflite.ActivationFunctionType import ActivationFunctionType as Act  # noqa: E402
from tflite.BuiltinOperator import BuiltinOperator  # noqa: E402
from tflite_op_cases import CASES, LITERT_DIFFERS, act, const, int32s  # noqa: E402

INPUTS_PER_CASE = 50


# -- the machinery ------------------------------------------------------------------------------

def seed(name: str) -> int:
    return zlib.crc32(name.encode())


@functools.lru_cache(maxsize=None)
def model_bytes(name: str) -> bytes:
    b = ModelBuilder(f"tinygen test: {name}")
    inputs, outputs = CASES[name].build(b, np.random.default_rng(seed(name)))
    return b.finish(inputs, outputs)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("tflite_ops")


_COMPILED: dict[str, tuple] = {}


def compiled(name: str, workdir):
    if name not in _COMPILED:
        path = workdir / f"{name}.tflite"
        path.write_bytes(model_bytes(name))
        source = load_source(path)
        _COMPILED[name] = (source, compile_source(source))
    return _COMPILED[name]


def is_float_case(name: str) -> bool:
    return name.startswith("float_")


@functools.lru_cache(maxsize=None)
def inputs(name: str) -> tuple[np.ndarray, ...]:
    """Deterministic inputs in the file's input type: int8 (half uniform, half around the
    zero point), or float32 around the quantization grid, ties (half steps) included."""
    rng = np.random.default_rng(seed(name) + 1)
    interp = tflm_interpreter(name)
    detail = interp.get_input_details(0)
    shape = tuple(detail["shape"])
    xs = []
    for k in range(INPUTS_PER_CASE):
        if name.startswith("f32_"):           # a float model: float inputs, some beyond the clamps
            xs.append((rng.normal(0, rng.uniform(0.3, 4), shape)).astype(np.float32))
        elif is_float_case(name):
            scale, zp = _boundary_qparams(name)
            steps = rng.integers(-150, 150, size=shape) + np.where(rng.random(shape) < 0.3, 0.5, rng.uniform(-0.5, 0.5, shape))
            xs.append(((steps - zp) * scale).astype(np.float32))
        elif detail["dtype"] == np.float32:   # a float32 input into a float section of a quantized model
            xs.append((rng.normal(0, rng.uniform(0.3, 4), shape)).astype(np.float32))
        elif detail["dtype"] == np.int32:     # a quantized int32 input: the whole range, or near 0
            wide = rng.integers(-2 ** 31, 2 ** 31, size=shape) if k % 2 else rng.normal(0, 2e7, shape)
            xs.append(np.clip(np.rint(wide), -2 ** 31, 2 ** 31 - 1).astype(np.int32))
        elif detail["dtype"] == np.int16:     # 16x8: the whole range, or around 0 at many widths
            wide = rng.integers(-32768, 32768, size=shape) if k % 2 else rng.normal(0, rng.uniform(50, 12000), shape)
            xs.append(np.clip(np.rint(wide), -32768, 32767).astype(np.int16))
        elif k % 2:
            xs.append(rng.integers(-128, 128, size=shape).astype(np.int8))
        else:
            zp = int(detail["quantization_parameters"]["zero_points"][0])
            x = np.rint(rng.normal(zp, rng.uniform(5, 60), size=shape))
            xs.append(np.clip(x, -128, 127).astype(np.int8))
    return tuple(xs)


def _boundary_qparams(name: str) -> tuple[float, int]:
    """The quantization of the int8 tensor the float input is quantized to."""
    b = ModelBuilder()
    CASES[name].build(b, np.random.default_rng(seed(name)))
    quantize = next(o for o in b.ops if o.code == BuiltinOperator.QUANTIZE)
    q = b.tensors[quantize.outputs[0]]
    return q.scale[0], q.zero_point[0]


def tflm_interpreter(name: str, preserve_all: bool = False):
    return tflite_refs.tflm_interpreter(model_bytes(name), preserve_all)


@functools.lru_cache(maxsize=None)
def tflm_outputs(name: str) -> tuple[np.ndarray, ...]:
    return tflite_refs.tflm_run(model_bytes(name), inputs(name))


def litert_outputs(name: str) -> list[np.ndarray]:
    return tflite_refs.litert_run(model_bytes(name), inputs(name))


def run_compiled(graph, x: np.ndarray, invoke) -> np.ndarray:
    """One inference through `invoke` (int8 in, int8 out), with the float boundary converted
    as the model's QUANTIZE / DEQUANTIZE would."""
    if graph.meta["float_inputs"]:
        x = ref_interp.quantize_float_input(graph, x)
    out = invoke(x)
    if graph.meta["float_outputs"]:
        out = ref_interp.dequantize(graph, graph.outputs[0], out)
    return out


def assert_equal_outputs(what: str, got, want) -> None:
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        g, w = np.asarray(g).ravel(), np.asarray(w).ravel()
        if g.dtype != w.dtype or not np.array_equal(g.view(np.uint8), w.view(np.uint8)):
            raise AssertionError(f"{what}, input {i}: {g.dtype} vs {w.dtype}: {first_difference(g, w)}")


# -- tests ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_tflite_op_s8_reference_equals_tflm(name, workdir):
    _, graph = compiled(name, workdir)
    assert [n.kernel for n in graph.nodes if n.kernel] == list(CASES[name].kernels)
    got = [run_compiled(graph, x, lambda q: ref_interp.run(graph, q)[graph.outputs[0]]) for x in inputs(name)]
    assert_equal_outputs(f"{name}: reference vs TFLM", got, tflm_outputs(name))
    # the comparison has teeth: the outputs vary with the input
    assert len({o.tobytes() for o in tflm_outputs(name)}) > INPUTS_PER_CASE // 2


@pytest.mark.parametrize("name", CASES)
def test_tflite_op_s8_every_layer_equals_tflm(name, workdir):
    """Every intermediate tensor of the multi-operator cases too, on a few inputs."""
    _, graph = compiled(name, workdir)
    interp = tflm_interpreter(name, preserve_all=True)
    index = graph.meta["tflite_tensors"]
    for x in inputs(name)[:3]:
        interp.set_input(x, 0)
        interp.invoke()
        q = ref_interp.quantize_float_input(graph, x) if graph.meta["float_inputs"] else x
        values = ref_interp.run(graph, q, keep_all=True)
        for node in graph.nodes:
            out = node.outputs[0]
            if out not in index:        # a tensor TFLite has none of (a strided slice before its shrinking reshape)
                continue
            want = interp.GetTensor(index[out], 0)["tensor_data"]
            assert np.array_equal(values[out].ravel(), want.ravel()), \
                f"{name}: layer {node.name} ({node.source}): {first_difference(values[out], want)}"


@pytest.mark.parametrize("name", CASES)
def test_tflite_op_s8_host_c_equals_tflm(name, workdir):
    source, graph = compiled(name, workdir)
    host = build_host(source, graph, workdir / f"{name}_host")
    got = [run_compiled(graph, x, lambda q: host.invoke(q)[0]) for x in inputs(name)]
    assert_equal_outputs(f"{name}: host C vs TFLM", got, tflm_outputs(name))
    first = ref_interp.quantize_float_input(graph, inputs(name)[0]) if graph.meta["float_inputs"] else inputs(name)[0]
    assert diff_layers(graph, host, first) == ALL_AGREE


@pytest.mark.parametrize("name", [n for n in CASES if n not in LITERT_DIFFERS])
def test_tflite_op_s8_litert_ref_equals_tflm(name):
    assert_equal_outputs(f"{name}: LiteRT BUILTIN_REF vs TFLM", litert_outputs(name), tflm_outputs(name))


def test_tflite_relu6_litert_requantizes_where_tflm_does_not(workdir):
    """RELU6 whose output quantization differs from its input's: TFLite Micro (and tinygen)
    clamp on the input grid and keep the bytes; LiteRT requantizes, which this test
    reproduces with the RELU requantization and a 6.0 bound on the output grid."""
    name = "relu6_requantizing_output"
    _, graph = compiled(name, workdir)
    node = graph.nodes[0]
    (si, zi), (so, zo) = [(t.qparams.scale[0], int(t.qparams.zero_point[0]))
                          for t in (graph.tensor(node.inputs[0]), graph.tensor(node.outputs[0]))]
    p = op_params.relu_params(graph.tensor(node.inputs[0]).size, si, zi, so, zo)
    p["act_max"] = min(127, zo + op_params.round_half_away(float(np.float32(6.0) / np.float32(so))))
    litert_like = [ref_kernels.requantize_s8(p, x) for x in inputs(name)]
    assert_equal_outputs(f"{name}: LiteRT vs requantizing RELU6", litert_like, litert_outputs(name))
    differ = sum(not np.array_equal(a.ravel(), b.ravel()) for a, b in zip(litert_outputs(name), tflm_outputs(name)))
    assert differ > 0, "expected LiteRT and TFLM to differ on a requantizing RELU6"


def test_tflite_ops_inspect_counts_no_macs(workdir):
    """`tinygen inspect` statistics: the new elementwise and data-movement ops do no
    multiply-accumulates; parameter bytes include the constant operands and a table
    kernel's table (tg_hard_swish_lut_s8, tg_lut_s8: 256 bytes), a PReLU's slopes and a gather's
    constant values or indices."""
    for name in CASES:
        _, graph = compiled(name, workdir)
        stats = layer_stats(graph)
        for s, node in zip(stats, graph.nodes):
            if node.param("weight") is not None or node.op == "batch_matmul":     # the MAC layers (16x8, float)
                assert s.macs > 0
                continue
            assert s.macs == 0
            roles = (("operand", "packed", "table") if node.kernel == "tg_lut_s8"
                     else ("operand", "packed", "alpha", "values", "indices"))
            roles += ROLE_OPERAND_OPS.get(node.op, ())     # a comparison's, select's or gather's constants
            consts = [node.param(role) for role in dict.fromkeys(roles)]     # each role once
            assert s.param_bytes == sum(graph.tensor(c).nbytes for c in consts if c)
            assert node.kernel not in ("tg_hard_swish_lut_s8", "tg_lut_s8") or s.param_bytes == 256


def test_tflite_float_boundary_meta(workdir):
    _, graph = compiled("float_boundary_mul", workdir)
    assert graph.meta["float_inputs"] == graph.inputs
    assert graph.meta["float_outputs"] == graph.outputs
    assert graph.tensor(graph.inputs[0]).dtype == "int8" and graph.tensor(graph.outputs[0]).dtype == "int8"
    _, plain = compiled("mul_channel_const_relu", workdir)
    assert plain.meta["float_inputs"] == [] and plain.meta["float_outputs"] == []


# -- random sweeps: many small models, reference == TFLM, C kernel == reference --------------------
#
# No host project is built here (that is test_tflite_op_s8_host_c_equals_tflm's job): each node's C
# kernel is called directly (tests/kernel_lib.py) on the node's reference input.

SWEEP_MODELS = 40
ALL_INT8 = np.arange(-128, 128, dtype=np.int8).reshape(2, 128)


def check_sweep_model(data: bytes, path, kernels, xs) -> object:
    """Compile `data` with tinygen; reference == TFLM on every input in xs and every node's
    C kernel == its reference. Returns the compiled graph."""
    path.write_bytes(data)
    graph = compile_source(load_source(path))
    interp = tflm.Interpreter.from_bytes(data, arena_size=ARENA_BYTES)
    for x in xs:
        interp.set_input(x, 0)
        interp.invoke()
        want = interp.get_output(0)
        values = ref_interp.run(graph, x, keep_all=True)
        got = values[graph.outputs[0]]
        assert np.array_equal(got.ravel(), want.ravel()), f"{path.stem}: reference vs TFLM: {first_difference(got, want)}"
        for node in graph.nodes:
            if node.kernel is None:
                continue
            operands = [values[t] if t in values else graph.tensor(t).data for t in binary_operands(node)] \
                if node.op in ("add", "mul") else [values[node.inputs[0]]]
            table = [graph.tensor(node.param(role)).data for role in ("packed", "table") if node.param(role)]
            c_out = getattr(kernels, node.kernel[len("tg_"):])(node.attrs["kparams"], *operands, *table)
            assert np.array_equal(c_out.ravel(), values[node.outputs[0]].ravel()), \
                f"{path.stem}: {node.kernel} C vs reference: {first_difference(c_out, values[node.outputs[0]])}"
    return graph


def random_int8(rng, shape, count: int = 3) -> list[np.ndarray]:
    return [rng.integers(-128, 128, size=shape).astype(np.int8) for _ in range(count)]


def broadcast_shapes(rng) -> tuple[list[int], list[int]]:
    """Two numpy-broadcastable shapes of rank up to 5 (one possibly shorter)."""
    rank = int(rng.integers(1, 6))
    a, b = [], []
    for _ in range(rank):
        n = int(rng.integers(2, 5))
        pattern = rng.integers(3)
        a.append(1 if pattern == 1 else n)
        b.append(1 if pattern == 2 else n)
    b = b[int(rng.integers(0, rank + 1)):] if rng.random() < 0.5 else b
    return a, b


def test_tflite_broadcast_sweep_s8(kernels, tmp_path):
    """ADD and MUL of an activation and a constant of random broadcastable shapes (rank 1-5,
    either side broadcast, fused activations): up to 4 collapsed loop dimensions compile
    and match; more are refused with a clear error."""
    rng = np.random.default_rng(4)
    refused = 0
    for k in range(SWEEP_MODELS):
        shape_x, shape_c = broadcast_shapes(rng)
        out_shape = list(np.broadcast_shapes(shape_x, shape_c))
        b = ModelBuilder()
        x, c, y = act(b, rng, "x", shape_x), const(b, rng, "c", shape_c), act(b, rng, "y", out_shape)
        opname = ["ADD", "MUL"][k % 2]
        operands = [x, c] if rng.random() < 0.5 else [c, x]
        b.op(opname, operands, [y], f"{opname.capitalize()}Options",
             FusedActivationFunction=int(rng.choice([Act.NONE, Act.RELU, Act.RELU6, Act.RELU_N1_TO_1])))
        data = b.finish([x], [y])
        try:
            check_sweep_model(data, tmp_path / f"broadcast_{k}.tflite", kernels, random_int8(rng, shape_x))
        except UnsupportedOpError as e:
            assert "loop dimensions" in str(e) and f"op 0 {opname}" in str(e), str(e)
            refused += 1
    assert 0 < refused < SWEEP_MODELS // 4


def test_tflite_pad_sweep_s8(kernels, tmp_path):
    """PAD / PADV2 with random paddings on inputs of rank 1-5."""
    rng = np.random.default_rng(5)
    for k in range(SWEEP_MODELS):
        shape = [int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 6)))]
        pads = rng.integers(0, 3, size=(len(shape), 2)) * (rng.random((len(shape), 1)) < 0.6)
        b = ModelBuilder()
        x = act(b, rng, "x", shape)
        q = b.tensors[x]
        y = b.tensor("y", [n + int(p.sum()) for n, p in zip(shape, pads)], scale=q.scale, zero_point=q.zero_point)
        ins = [x, int32s(b, "paddings", pads)]
        if k % 2:
            ins.append(b.tensor("v", [], scale=q.scale, zero_point=q.zero_point, data=np.int8(rng.integers(-128, 128))))
        b.op("PADV2" if k % 2 else "PAD", ins, [y], "PadV2Options" if k % 2 else "PadOptions")
        check_sweep_model(b.finish([x], [y]), tmp_path / f"pad_{k}.tflite", kernels, random_int8(rng, shape))


def test_tflite_mean_sweep_s8(kernels, tmp_path):
    """MEAN over random axes of rank 2-4 inputs, keep_dims or not; axes whose reduced
    dimensions are not adjacent are refused with a clear error."""
    rng = np.random.default_rng(6)
    refused = 0
    for k in range(SWEEP_MODELS):
        shape = [int(n) for n in rng.integers(1, 7, size=int(rng.integers(2, 5)))]
        axes = [int(a) for a in np.flatnonzero(rng.random(len(shape)) < 0.5)] or [len(shape) - 1]
        axes = [a - len(shape) if rng.random() < 0.3 else a for a in axes]
        keep = bool(k % 2)
        out_shape = [1 if d in [a % len(shape) for a in axes] else n for d, n in enumerate(shape)]
        if not keep:
            out_shape = [n for d, n in enumerate(shape) if d not in [a % len(shape) for a in axes]] or [1]
        b = ModelBuilder()
        x, y = act(b, rng, "x", shape), act(b, rng, "y", out_shape)
        b.op("MEAN", [x, int32s(b, "axes", axes)], [y], "ReducerOptions", KeepDims=keep)
        try:
            check_sweep_model(b.finish([x], [y]), tmp_path / f"mean_{k}.tflite", kernels, random_int8(rng, shape))
        except UnsupportedOpError as e:
            assert "must be adjacent" in str(e) and "op 0 MEAN" in str(e), str(e)
            refused += 1
    assert 0 < refused < SWEEP_MODELS // 2


@pytest.mark.parametrize("opname", ["HARD_SWISH", "LOGISTIC", "RELU", "RELU6", "QUANTIZE"])
def test_tflite_unary_sweep_s8(opname, kernels, tmp_path):
    """Every int8 input value through unary ops with random input and output quantizations."""
    rng = np.random.default_rng(zlib.crc32(opname.encode()))
    for k in range(SWEEP_MODELS):
        b = ModelBuilder()
        in_scale = random_scale(rng, 0.002, 0.5)
        x = act(b, rng, "x", [2, 128], scale=in_scale)
        if opname == "LOGISTIC":
            y = act(b, rng, "y", [2, 128], scale=1 / 256, zp=-128)
        else:
            y = act(b, rng, "y", [2, 128], scale=in_scale * float(np.exp(rng.uniform(np.log(0.1), np.log(8)))))
        b.op(opname, [x], [y])
        check_sweep_model(b.finish([x], [y]), tmp_path / f"{opname}_{k}.tflite", kernels, [ALL_INT8])


# -- what is refused: one clear error naming the operator and its position, nothing written -------

def _single(opname: str, options: str | None = None, **fields):
    def build(b, rng):
        x, y = act(b, rng, "x", [1, 4, 4, 2]), act(b, rng, "y", [1, 4, 4, 2])
        b.op(opname, [x], [y], options, **fields)
        return [x], [y]
    return build


def _concat_mixed_quantization(b, rng):
    x = act(b, rng, "x", [1, 2, 2, 3])
    r = act(b, rng, "r", [1, 2, 2, 3])
    y = act(b, rng, "y", [1, 2, 2, 6])
    b.op("RELU", [x], [r])
    b.op("CONCATENATION", [x, r], [y], "ConcatenationOptions", Axis=3)
    return [x], [y]


def _float_op_lacking(b, rng):
    # an int8 body into a float32 section with an operator tinygen has no float32 kernel for
    x, m = act(b, rng, "x", [1, 4]), act(b, rng, "m", [1, 4])
    f, g = b.tensor("f", [1, 4], "float32"), b.tensor("g", [1, 4], "float32")
    y = act(b, rng, "y", [1, 4])
    b.op("MUL", [x, x], [m], "MulOptions")
    b.op("DEQUANTIZE", [m], [f])
    b.op("GELU", [f], [g])         # TFLite Micro has no float32 GELU kernel, nor has tinygen
    b.op("QUANTIZE", [g], [y])
    return [x], [y]


def _logistic_wrong_output(b, rng):
    x, y = act(b, rng, "x", [1, 8]), act(b, rng, "y", [1, 8], scale=1 / 128, zp=0)
    b.op("LOGISTIC", [x], [y])
    return [x], [y]


def _two_constants(b, rng):
    x, c1, c2 = act(b, rng, "x", [1, 4]), const(b, rng, "c1", [4]), const(b, rng, "c2", [4])
    s, y = act(b, rng, "s", [4]), act(b, rng, "y", [1, 4])
    b.op("MUL", [c1, c2], [s], "MulOptions")
    b.op("ADD", [x, s], [y], "AddOptions")
    return [x], [y]


def _float_input_not_quantized(b, rng):
    f = b.tensor("f", [1, 4], "float32")
    c = const(b, rng, "c", [4])
    y = act(b, rng, "y", [1, 4])
    b.op("MUL", [f, c], [y], "MulOptions")
    return [f], [y]


def _several_unsupported(b, rng):
    x, w = b.tensor("x", [1, 8], "int16", scale=0.001, zero_point=0), b.tensor("w", [1, 8], "int16", scale=0.001)
    f, r, g = act(b, rng, "f", [1, 8]), act(b, rng, "r", [1, 8]), act(b, rng, "g", [1, 8])
    b.op("CUSTOM:AudioSpectrogram", [x], [w])     # a custom op tinygen lacks (TFLite's, not TFLite Micro's)
    b.op("LOCAL_RESPONSE_NORMALIZATION", [w], [f])
    b.op("RELU_N1_TO_1", [f], [r])
    b.op("LOCAL_RESPONSE_NORMALIZATION", [r], [g])
    return [x], [g]


def _vela(b, rng):
    """What Vela leaves of a model: one CUSTOM ethos-u operator reading the command stream and
    weights (uint8 constants) and the input."""
    x, y = act(b, rng, "x", [1, 8, 8, 1]), act(b, rng, "y", [1, 2])
    stream = b.tensor("command_stream", [64], "uint8", data=np.arange(64))
    b.op("CUSTOM:ethos-u", [stream, x], [y])
    return [x], [y]


def _int16_boundary(b, rng):
    """int16 in, int8 inside, int16 out (TFLM's keyword_scrambled model has this boundary)."""
    x16, x = b.tensor("x16", [1, 8], "int16", scale=0.001, zero_point=0), act(b, rng, "x", [1, 8])
    p16, y = b.tensor("p16", [1, 8], "int16", scale=1 / 32768, zero_point=0), b.tensor("y", [1, 8], "int32", scale=1.0)
    b.op("QUANTIZE", [x16], [x])
    b.op("SOFTMAX", [x], [p16], "SoftmaxOptions", Beta=1.0)
    b.op("QUANTIZE", [p16], [y])
    return [x16], [y]


REFUSED = {
    # TFLite Micro registers no RELU_N1_TO_1 kernel, so nothing to be bit-exact with
    "relu_n1_to_1": (_single("RELU_N1_TO_1"), UnsupportedOpError, ["operator 0 (RELU_N1_TO_1", "output tensor 'y'",
                                                                   "is not supported", "HARD_SWISH"]),
    # every operator tinygen lacks, in one error, before the int16 tensors they write are looked at
    "several_unsupported": (_several_unsupported, UnsupportedOpError,
                            ["has 4 operators tinygen does not support", "CUSTOM (AudioSpectrogram) (operator 0, output "
                             "tensor 'w')", "LOCAL_RESPONSE_NORMALIZATION (operator 1, output tensor 'f'; operator 3, "
                             "output tensor 'g')",
                             "RELU_N1_TO_1 (operator 2", "supported TFLite operators"]),
    "vela": (_vela, UnsupportedOpError, ["compiled by Vela for an Ethos-U NPU", "from before Vela"]),
    # an int16 softmax output must be TFLite's 1/65536, -32768 (TFLite Micro refuses others too)
    "int16_boundary": (_int16_boundary, UnsupportedOpError, ["operator 1 (SOFTMAX", "int16 softmax output must "
                                                             "have scale 1/65536 and zero point -32768"]),
    "concat_mixed_quantization": (_concat_mixed_quantization, UnsupportedOpError,
                                  ["operator 1 (CONCATENATION", "one scale and zero point", "TFLite Micro"]),
    "float_op_lacking": (_float_op_lacking, ModelError, ["float32 tensors between its quantized layers",
                                                        "'f' (operator 1, DEQUANTIZE)", "GELU (operator 2)"]),
    "logistic_output_quantization": (_logistic_wrong_output, UnsupportedOpError,
                                     ["operator 0 (LOGISTIC", "scale 1/256 and zero point -128"]),
    "two_constant_operands": (_two_constants, UnsupportedOpError, ["operator 0 (MUL", "both operands are constants"]),
    "float_input_not_quantized": (_float_input_not_quantized, ModelError,
                                  ["mix float32 and integer tensors", "operator 0 (MUL: FLOAT32 and INT8)",
                                   "put a QUANTIZE or DEQUANTIZE between"]),
}


@pytest.mark.parametrize("name", REFUSED)
def test_tflite_op_refused(name, tmp_path, capsys):
    from tinygen.cli import main

    build, error, expected = REFUSED[name]
    b = ModelBuilder()
    inputs_, outputs_ = build(b, np.random.default_rng(seed(name)))
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(b.finish(inputs_, outputs_))
    with pytest.raises(error) as e:
        load_source(path)
    for text in expected:
        assert text in str(e.value), str(e.value)
    out = tmp_path / "out"
    assert main(["build", str(path), "--board", "host", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and expected[0] in err, err
    assert not out.exists()
