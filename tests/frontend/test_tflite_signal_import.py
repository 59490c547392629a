"""The .tflite importer on TFLite Micro's signal library operators (CUSTOM Signal*, flexbuffer
options, plain integer tensors of types uint32 and the like): the IR it builds, and its
refusals."""

from __future__ import annotations

import numpy as np
import pytest

from tests.tflite_builder import ModelBuilder
from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.importer import Importer


def _front_end(options_energy=None) -> bytes:
    """window -> reshape -> auto scale (two outputs) -> rfft -> energy, as TFLite Micro's
    audio preprocessor starts."""
    b = ModelBuilder()
    x = b.tensor("x", [1, 48], "int16")
    w = b.tensor("w", [48], "int16", data=np.arange(48) * 600)
    y, r = b.tensor("y", [1, 48], "int16"), b.tensor("r", [48], "int16")
    shape = b.tensor("shape", [1], "int32", data=[48])
    s, shift = b.tensor("s", [48], "int16"), b.tensor("shift", [], "int32")
    f, e = b.tensor("f", [66], "int16"), b.tensor("e", [33], "uint32")
    b.op("CUSTOM:SignalWindow", [x, w], [y], custom_options={"shift": 12})
    b.op("RESHAPE", [y, shape], [r])
    b.op("CUSTOM:SignalFftAutoScale", [r], [s, shift])
    b.op("CUSTOM:SignalRfft", [s], [f], custom_options={"T": 7, "fft_length": 64})
    b.op("CUSTOM:SignalEnergy", [f], [e], custom_options=options_energy or {"start_index": 2, "end_index": 30})
    return b.finish([x], [e, shift])


def test_signal_front_end_imports_as_plain_integers():
    g = Importer(_front_end(), "m", "m.tflite").run()
    assert [n.op for n in g.nodes] == ["signal_window", "reshape", "signal_fft_auto_scale_shift",
                                       "signal_fft_auto_scale", "signal_rfft", "signal_energy"]
    assert [g.tensors[n.outputs[0]].dtype for n in g.nodes] == ["int16", "int16", "int32", "int16", "int16", "uint32"]
    assert all(t.qparams is None for t in g.tensors.values())
    assert g.nodes[0].attrs["shift"] == 12 and g.nodes[4].attrs["fft_length"] == 64
    assert g.nodes[5].attrs == {"start_index": 2, "end_index": 30}
    # the two outputs of the auto scale: the shift feeds the shifted frame, and is a model output
    assert g.nodes[3].inputs == [g.nodes[1].outputs[0], g.nodes[2].outputs[0]]
    assert g.outputs[1] == g.nodes[2].outputs[0] and g.tensors[g.outputs[1]].shape == ()


def test_signal_option_out_of_range_is_one_line():
    with pytest.raises(UnsupportedOpError, match=r"operator 4 \(CUSTOM \(SignalEnergy\).*end_index = 40 is outside"):
        Importer(_front_end({"start_index": 2, "end_index": 40}), "m", "m.tflite").run()


def test_signal_option_missing_is_one_line():
    with pytest.raises(ModelError, match=r"operator 4 \(CUSTOM \(SignalEnergy\).*lack 'end_index'"):
        Importer(_front_end({"start_index": 2}), "m", "m.tflite").run()


def test_float_tensors_beside_signal_ops_are_plain():
    """The float front end ends in float32 (a CAST, a MUL): with a signal op the model stays one
    of plain values (qparams None, float32 as it is); with a float32 input instead, a float model."""
    from tinygen.frontend.tflite.model_types import ModelTypes as Reader

    for with_signal in (True, False):
        b = ModelBuilder()
        x, y = b.tensor("x", [8], "int16" if with_signal else "float32"), b.tensor("y", [8], "int16")
        f, g = b.tensor("f", [8], "float32"), b.tensor("g", [8], "float32")
        if with_signal:
            b.op("CUSTOM:SignalWindow", [x, b.tensor("w", [8], "int16", data=np.ones(8))], [y],
                 custom_options={"shift": 0})
        b.op("CAST", [y], [f]) if with_signal else b.op("RELU", [x], [f])
        b.op("MUL", [f, b.tensor("c", [], "float32", data=np.float32(2))], [g], "MulOptions")
        reader = Reader(b.finish([x], [g]), "m", "m.tflite")
        if with_signal:
            reader.check_types()
            assert reader.plain_model and reader.act_dtype(f) == "float32" and reader.qparams(f) is None
        else:
            assert not reader.plain_integers()
