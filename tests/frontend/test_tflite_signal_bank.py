"""Import of the filter-bank half of TFLite Micro's signal library (ops_signal_bank.py): a chain
SignalFilterBank -> SquareRoot -> SpectralSubtraction -> PCAN -> FilterBankLog built by
tests/tflite_builder.py becomes the IR nodes with TFLite Micro's options, SpectralSubtraction's
two outputs two nodes; bad tables are refused in one line. Compiled, the chain's reference and its
host C equal TFLite Micro over a sequence of invocations (the noise estimate carried over), reset
in the middle of it."""

from __future__ import annotations

import numpy as np
import pytest
from tflite_builder import ModelBuilder

from e2e import build_host, first_difference
from tinygen.compiler import compile_source, load_source
from tinygen.errors import ModelError
from tinygen.frontend.tflite.importer import Importer
from tinygen.hil.session import carries_state
from tinygen.ref import interpreter as ref_interp
from tinygen.ref.signal_bank import LOG_LUT

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")

SUBTRACTION = {"smoothing": 655, "one_minus_smoothing": 15729, "alternate_smoothing": 393,
               "alternate_one_minus_smoothing": 15991, "min_signal_remaining": 819, "smoothing_bits": 10,
               "spectral_subtraction_bits": 14, "clamping": True, "num_channels": 4}


def _chain(widths=(2, 3, 3, 2, 2)) -> bytes:
    b = ModelBuilder()
    x = b.tensor("spectrum", [12], "uint32")
    shift = b.tensor("shift", [], "int32")
    w = np.asarray(widths, np.int16)
    starts = np.array([0, 1, 3, 6, 8], np.int16)
    wstarts = np.concatenate([[0], np.cumsum(w)[:-1]]).astype(np.int16)
    tables = [b.tensor(f"t{k}", [t.size], "int16", data=t) for k, t in enumerate(
        (np.arange(w.sum(), dtype=np.int16) * 100, 4096 - np.arange(w.sum(), dtype=np.int16) * 100, starts, wstarts, w))]
    energy, root = b.tensor("energy", [4], "uint64"), b.tensor("root", [4], "uint32")
    out, noise = b.tensor("subtracted", [4], "uint32"), b.tensor("noise", [4], "uint32")
    lut = b.tensor("lut", [125], "int16", data=np.arange(125, dtype=np.int16))
    pcan, log = b.tensor("pcan", [4], "uint32"), b.tensor("log", [4], "int16")
    b.op("CUSTOM:SignalFilterBank", [x, *tables], [energy], custom_options={"num_channels": 4})
    b.op("CUSTOM:SignalFilterBankSquareRoot", [energy, shift], [root])
    b.op("CUSTOM:SignalFilterBankSpectralSubtraction", [root], [out, noise], custom_options=SUBTRACTION)
    b.op("CUSTOM:SignalPCAN", [out, noise, lut], [pcan], custom_options={"snr_shift": 6})
    b.op("CUSTOM:SignalFilterBankLog", [pcan], [log], custom_options={"input_correction_bits": 3, "output_scale": 1600})
    return b.finish([x, shift], [log])


def test_signal_bank_import_tflite():
    graph = Importer(_chain(), "chain", "chain.tflite").run()
    ops = [n.op for n in graph.nodes]
    assert ops == ["signal_filter_bank", "signal_filter_bank_sqrt", "signal_noise_estimate",
                   "signal_spectral_subtraction", "signal_pcan", "signal_filter_bank_log"]
    by_op = {n.op: n for n in graph.nodes}
    estimate, subtraction = by_op["signal_noise_estimate"], by_op["signal_spectral_subtraction"]
    assert subtraction.inputs == [estimate.inputs[0], estimate.outputs[0]]
    assert by_op["signal_pcan"].inputs == [subtraction.outputs[0], estimate.outputs[0]]
    assert estimate.attrs["smoothing"] == 655 and estimate.attrs["clamping"] is True
    assert by_op["signal_filter_bank_log"].attrs == {"output_scale": 1600, "correction_bits": 3}
    assert np.array_equal(graph.const(by_op["signal_filter_bank_log"], "log_lut"), LOG_LUT)
    assert [graph.tensor(n.outputs[0]).dtype for n in graph.nodes] == ["uint64", "uint32", "uint32", "uint32",
                                                                       "uint32", "int16"]
    assert all(graph.tensor(n.outputs[0]).qparams is None for n in graph.nodes)


def test_signal_filter_bank_band_outside_refused_tflite():
    with pytest.raises(ModelError, match="band leaves the 12 input bins"):
        Importer(_chain(widths=(2, 3, 3, 2, 9)), "chain", "chain.tflite").run()


def test_signal_bank_chain_reference_and_host_c_equal_tflm_over_a_sequence_tflite(tmp_path):
    """8 invocations, TFLite Micro's interpreter, the reference and the host C reset after the 5th."""
    data = _chain()
    (tmp_path / "chain.tflite").write_bytes(data)
    source = load_source(tmp_path / "chain.tflite")
    graph = compile_source(source)
    assert [n.kernel for n in graph.nodes] == ["tg_filter_bank_u32_u64", "tg_filter_bank_sqrt_u64_u32",
                                               "tg_noise_estimate_u32", "tg_spectral_subtraction_u32", "tg_pcan_u32",
                                               "tg_filter_bank_log_u32_s16"]
    assert carries_state(graph) and graph.nodes[2].state_bytes == 16
    host = build_host(source, graph, tmp_path / "host")
    tflm = runtime.Interpreter.from_bytes(data)
    rng = np.random.default_rng(45)
    state, outs = {}, []
    for k in range(8):
        if k == 5:
            tflm.reset()
            host.reset_state()
            state = {}
        x, shift = rng.integers(0, 2 ** 22, 12).astype(np.uint32), np.array([k % 4], np.int32)
        tflm.set_input(x, 0)
        tflm.set_input(shift.reshape(()), 1)
        tflm.invoke()
        want = tflm.get_output(0).ravel()
        ref = ref_interp.run(graph, [x, shift], state=state)[graph.outputs[0]].ravel()
        got = host.invoke(x, shift)[0].ravel()
        assert np.array_equal(ref, want), f"invocation {k}: reference vs TFLM: {first_difference(ref, want)}"
        assert np.array_equal(got, want), f"invocation {k}: host C vs TFLM: {first_difference(got, want)}"
        outs.append(want.tobytes())
    # the state matters: the same input after a reset gives other bytes than in the sequence
    fresh = ref_interp.run(graph, [x, shift], state={})[graph.outputs[0]].ravel()
    assert len(set(outs)) == 8 and fresh.tobytes() != outs[-1]
