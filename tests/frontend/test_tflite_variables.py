"""TFLite's resource variables from .tflite (ops_variable.py): a streaming model whose state lives
in variables, as TFLite Micro runs it (VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE, the initial
values from the init subgraph CALL_ONCE runs once). Compiled, the reference and the host C equal
TFLite Micro over a sequence of invocations; after tg_model_reset_state() they start again as a
fresh TFLite Micro interpreter does."""

from __future__ import annotations

import json

import numpy as np
import pytest
from e2e import build_host, run_cli
from stream_check import tflm_sequence
from tflite_builder import ModelBuilder

from tinygen.compiler import compile_source, load_source
from tinygen.errors import UnsupportedOpError, UsageError
from tinygen.hil.session import carries_state
from tinygen.ref import interpreter as ref_interp

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")

Q = {"scale": 0.05, "zero_point": -3}


def _streaming(init_subgraph: bool = True, assign_constant: bool = False) -> bytes:
    """x [1, 6] int8 -> y = x + acc, where acc (variable "acc", [1, 6]) starts at the init subgraph's
    constant and becomes y after each call; a second variable "win" [1, 12] (no initial value: its
    zero point) keeps the last two inputs: win <- concat(win[6:], x), read twice before its assign
    and once after (that read is the value assigned). Outputs y, the window before and after."""
    b = ModelBuilder("variables")
    x, acc, y = b.tensor("x", [1, 6], **Q), b.tensor("acc", [1, 6], **Q), b.tensor("y", [1, 6], **Q)
    h_acc, h_win = b.tensor("h_acc", [], "resource"), b.tensor("h_win", [], "resource")
    win, win2, tail, new, again = (b.tensor(n, s, **Q) for n, s in (("win", [1, 12]), ("win2", [1, 12]),
                                                                    ("tail", [1, 6]), ("new", [1, 12]),
                                                                    ("again", [1, 12])))
    begin, end, strides = (b.tensor(n, [2], "int32", data=d) for n, d in (("begin", [0, 6]), ("end", [1, 12]),
                                                                          ("strides", [1, 1])))
    if init_subgraph:
        b.op("CALL_ONCE", [], [], "CallOnceOptions", InitSubgraphIndex=1)
    b.op("VAR_HANDLE", [], [h_acc], "VarHandleOptions", SharedName="model/acc:0")
    b.op("VAR_HANDLE", [], [h_win], "VarHandleOptions", SharedName="win")
    b.op("READ_VARIABLE", [h_acc], [acc])
    b.op("READ_VARIABLE", [h_win], [win])
    b.op("ADD", [x, acc], [y], "AddOptions")
    b.op("ASSIGN_VARIABLE", [h_acc, y], [])
    b.op("READ_VARIABLE", [h_win], [win2])
    b.op("STRIDED_SLICE", [win2, begin, end, strides], [tail], "StridedSliceOptions")
    b.op("CONCATENATION", [tail, x], [new], "ConcatenationOptions", Axis=1)
    b.op("ASSIGN_VARIABLE", [h_win, new], [])
    b.op("READ_VARIABLE", [h_win], [again])
    if assign_constant:
        b.op("ASSIGN_VARIABLE", [h_acc, begin], [])
    if init_subgraph:
        s = b.subgraph()
        h = s.tensor("h", [], "resource")
        c = s.tensor("c", [1, 6], data=np.array([[40, -90, 7, 0, 120, -128]]), **Q)
        s.op("VAR_HANDLE", [], [h], "VarHandleOptions", SharedName="model/acc:0")
        s.op("ASSIGN_VARIABLE", [h, c], [])
    return b.finish([x], [y, win, again])


def test_variables_reference_and_host_c_equal_tflm_over_a_sequence_tflite(tmp_path):
    """8 invocations; at the 5th the compiled model is reset and TFLite Micro's interpreter made
    afresh (its own reset fills the zero points and does not run the init subgraph again)."""
    data = _streaming()
    (tmp_path / "variables.tflite").write_bytes(data)
    source = load_source(tmp_path / "variables.tflite")
    graph = compile_source(source)
    assert sorted(n.kernel for n in graph.nodes if n.op.endswith("_variable")) == \
        ["tg_assign_variable"] * 2 + ["tg_read_variable"] * 2
    assert carries_state(graph) and sorted(n.state_bytes for n in graph.nodes if n.state_bytes) == [6, 12]
    host = build_host(source, graph, tmp_path / "host")
    rng = np.random.default_rng(45)
    xs = [rng.integers(-128, 128, (1, 6)).astype(np.int8) for _ in range(8)]
    seen = list(zip(xs, tflm_sequence(runtime, data, graph, host, xs, reset_at=(5,), fresh=True)))
    # the teeth, from the variables' meaning: the window starts at the zero point, then holds the
    # inputs before; what is read after the assign is the new window
    for k, (x, (_, before, after)) in enumerate(seen):
        previous = np.full(6, -3, np.int8) if k in (0, 5) else seen[k - 1][0].ravel()
        assert np.array_equal(after, np.concatenate([before[6:], x.ravel()])), f"invocation {k}"
        assert np.array_equal(after[:6], previous), f"invocation {k}"


def test_variable_read_with_nothing_assigning_it_refused_tflite(tmp_path):
    b = ModelBuilder()
    x, v, y = b.tensor("x", [4], **Q), b.tensor("v", [4], **Q), b.tensor("y", [4], **Q)
    h = b.tensor("h", [], "resource")
    b.op("VAR_HANDLE", [], [h], "VarHandleOptions", SharedName="v")
    b.op("READ_VARIABLE", [h], [v])
    b.op("ADD", [x, v], [y], "AddOptions")
    (tmp_path / "m.tflite").write_bytes(b.finish([x], [y]))
    with pytest.raises(UnsupportedOpError, match="variable 'v' is read but nothing assigns it") as err:
        compile_source(load_source(tmp_path / "m.tflite"))
    assert "\n" not in err.value.args[0]


def _float_accumulator() -> bytes:
    """A float32 model: y = x * 0.5 + s, s (variable, initial [1, -2, 0.25]) <- y."""
    b = ModelBuilder("float_variables")
    x, s, half, xh, y = (b.tensor("x", [3], "float32"), b.tensor("s", [3], "float32"),
                         b.tensor("half", [1], "float32", data=[0.5]), b.tensor("xh", [3], "float32"),
                         b.tensor("y", [3], "float32"))
    h = b.tensor("h", [], "resource")
    b.op("CALL_ONCE", [], [], "CallOnceOptions", InitSubgraphIndex=1)
    b.op("VAR_HANDLE", [], [h], "VarHandleOptions", SharedName="s")
    b.op("READ_VARIABLE", [h], [s])
    b.op("MUL", [x, half], [xh], "MulOptions")
    b.op("ADD", [xh, s], [y], "AddOptions")
    b.op("ASSIGN_VARIABLE", [h, y], [])
    init = b.subgraph()
    hi, c = init.tensor("h", [], "resource"), init.tensor("c", [3], "float32", data=[1.0, -2.0, 0.25])
    init.op("VAR_HANDLE", [], [hi], "VarHandleOptions", SharedName="s")
    init.op("ASSIGN_VARIABLE", [hi, c], [])
    return b.finish([x], [y])


def test_variable_float32_reference_equals_tflm_tflite(tmp_path):
    """A float model's variable: the reference and the host C equal TFLite Micro bit for bit over 5
    invocations."""
    data = _float_accumulator()
    (tmp_path / "f.tflite").write_bytes(data)
    source = load_source(tmp_path / "f.tflite")
    graph = compile_source(source)
    host = build_host(source, graph, tmp_path / "host")
    tflm = runtime.Interpreter.from_bytes(data)
    rng, state = np.random.default_rng(7), {}
    for k in range(5):
        x = rng.standard_normal(3).astype(np.float32)
        tflm.set_input(x, 0)
        tflm.invoke()
        want = tflm.get_output(0)
        got = ref_interp.run(graph, x, state=state)[graph.outputs[0]]
        assert got.tobytes() == want.tobytes(), f"invocation {k}: reference {got} vs TFLM {want}"
        got = host.invoke(x)[0]
        assert got.tobytes() == want.tobytes(), f"invocation {k}: host C {got} vs TFLM {want}"


@pytest.mark.parametrize("case, message", [
    ("computed_init", "init subgraph 1, operator 1 \\(ADD\\): tinygen takes an init subgraph of VAR_HANDLE and "
                      "ASSIGN_VARIABLE of constants only"),
    ("late_call_once", "runs its init subgraph after a variable is used"),
    ("if", "IF run other subgraphs as control flow")])
def test_variables_refused_in_one_line_tflite(tmp_path, case, message):
    b = ModelBuilder()
    x, v, y = b.tensor("x", [4], **Q), b.tensor("v", [4], **Q), b.tensor("y", [4], **Q)
    h = b.tensor("h", [], "resource")
    if case == "if":
        cond = b.tensor("cond", [1], "bool", data=[True])
        b.op("IF", [cond, x], [y], "IfOptions", ThenSubgraphIndex=1, ElseSubgraphIndex=1)
    else:
        b.op("VAR_HANDLE", [], [h], "VarHandleOptions", SharedName="v")
        b.op("READ_VARIABLE", [h], [v])
        b.op("ADD", [x, v], [y], "AddOptions")
        b.op("ASSIGN_VARIABLE", [h, y], [])
        b.op("CALL_ONCE", [], [], "CallOnceOptions", InitSubgraphIndex=1)
        init = b.subgraph()
        hi, c, d = init.tensor("h", [], "resource"), init.tensor("c", [4], data=[1, 2, 3, 4], **Q), init.tensor("d", [4], **Q)
        init.op("VAR_HANDLE", [], [hi], "VarHandleOptions", SharedName="v")
        if case == "computed_init":
            b.ops.insert(0, b.ops.pop())        # CALL_ONCE first, as the converter puts it
            init.op("ADD", [c, c], [d], "AddOptions")
            init.op("ASSIGN_VARIABLE", [hi, d], [])
        else:
            init.op("ASSIGN_VARIABLE", [hi, c], [])
    (tmp_path / "m.tflite").write_bytes(b.finish([x], [y]))
    with pytest.raises(UnsupportedOpError, match=message) as err:
        compile_source(load_source(tmp_path / "m.tflite"))
    assert "\n" not in err.value.args[0]


def test_variables_hil_host_checks_tflm_over_the_sequence_tflite(tmp_path):
    """`tinygen hil` on the host runs the samples as one sequence (the variables carried over, from
    their initial values) and TFLite Micro's check agrees on every output of every sample."""
    (tmp_path / "variables.tflite").write_bytes(_streaming())
    np.savez(tmp_path / "data.npz", x=np.random.default_rng(9).uniform(-5, 5, (6, 6)).astype(np.float32))
    rc, _, stderr = run_cli("hil", tmp_path / "variables.tflite", "--board", "host", "--data", tmp_path / "data.npz",
                            "-q", "-o", tmp_path / "host", "--json", tmp_path / "report.json")
    assert rc == 0, stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["samples"] == report["bit_exact"] == 6
    assert report["tflite_micro"]["equal"], report["tflite_micro"]
    assert [o["samples_equal"] for o in report["tflite_micro"]["outputs"]] == [6, 6, 6]


def test_float_variables_with_calibration_refused_in_one_line_tflite(tmp_path):
    """tinygen does not quantize a float model's variables itself: --calib is refused, naming why."""
    (tmp_path / "f.tflite").write_bytes(_float_accumulator())
    with pytest.raises(UsageError, match="a float model with resource variables .* is not quantized by tinygen") as err:
        compile_source(load_source(tmp_path / "f.tflite"), calib=tmp_path / "calib.npz")
    assert "\n" not in err.value.args[0]
