"""A float model whose kernels call the C library (expf, tanhf: tinygen.kernels.float_table.
LIBM_FUNCTIONS) under `tinygen hil`: on the f746zg stand-in (newlib) the reference asks the
device for those functions' values (`tg libm`, tinygen/hil/device_libm.py) and equals the device
bit for bit, where this computer's glibc rounds some of them otherwise; the TFLite Micro check
names the layers calling libm. The command is in such a firmware only, with only the functions
its kernels call; a malformed request gets an e- line and the firmware keeps serving. On the
host board (glibc on both sides) nothing is asked and TFLite Micro is equal."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from tflite_builder import ModelBuilder
from tflite_float_cases import f32_lstm_model
from tflite_op_cases import CASES

from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.build.firmware_project import write_firmware_project
from tinygen.cli import main
from tinygen.codegen.project import write_project
from tinygen.compiler import compile_source, load_source
from tinygen.hil.client import DeviceError
from tinygen.hil.target import open_device
from tinygen.ref.float32_nonlinear import host_libm

SAMPLES = 6
CASE = "f32_softmax_logistic_tanh_concat"          # TANH, LOGISTIC, CONCATENATION, SOFTMAX
needs_tflm = pytest.mark.skipif(importlib.util.find_spec("tflite_micro") is None,
                                reason="tflite_micro is not installed (pip install tflite-micro)")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """The softmax / tanh model, a small float LSTM and data for each; the builds are shared."""
    root = tmp_path_factory.mktemp("hil_libm")
    b = ModelBuilder(CASE)
    (root / "act.tflite").write_bytes(b.finish(*CASES[CASE].build(b, np.random.default_rng(len(CASE)))))
    (root / "lstm.tflite").write_bytes(f32_lstm_model(np.random.default_rng(5), 1, 6, 5, 8, 0.8))
    rng = np.random.default_rng(1)
    np.savez(root / "act.npz", x=rng.normal(0, 3.0, (SAMPLES, 3, 10)).astype(np.float32))
    np.savez(root / "lstm.npz", x=rng.normal(0, 3.0, (3, 6, 5)).astype(np.float32))
    return root


def hil(root, stem: str, board: str) -> tuple[int, dict]:
    report = root / f"{stem}_{board}.json"
    emulate = ["--emulate"] if board != "host" else []
    rc = main(["hil", str(root / f"{stem}.tflite"), "--board", board, *emulate, "--data", str(root / f"{stem}.npz"),
               "-q", "-o", str(root / f"build_{stem}_{board}"), "--json", str(report)])
    return rc, json.loads(report.read_text())


def test_libm_command_only_with_kernels_calling_libm_host(model, tmp_path):
    """model.h names the functions the kernels call and the firmware compiles tg_libm_cmd.c;
    a float model without such kernels has neither (nor the command's buffer)."""
    board = get_board("f746zg")
    plain = ModelBuilder("f32_pad_transpose_slices")
    (tmp_path / "plain.tflite").write_bytes(plain.finish(*CASES["f32_pad_transpose_slices"].build(
        plain, np.random.default_rng(1))))
    for path, functions in ((model / "act.tflite", ["expf", "tanhf"]), (model / "lstm.tflite", ["expf", "tanhf"]),
                            (tmp_path / "plain.tflite", [])):
        graph = compile_source(load_source(path))
        dest = tmp_path / path.stem
        dest.mkdir()
        manifest = write_project(graph, dest, path.stem, "0" * 16, board)
        project = write_firmware_project(graph, dest, path.stem, board)
        assert manifest["libm"] == functions
        header = (dest / "model.h").read_text()
        compiled = [s for image in project.images for s in image.sources]
        if functions:
            assert "#define TG_MODEL_LIBM_FUNCTIONS TG_LIBM_FUNCTION(expf) TG_LIBM_FUNCTION(tanhf)\n" in header
            assert compiled.count("tinygen/libm/tg_libm_cmd.c") == len(project.images) == 2
        else:
            assert "TG_MODEL_LIBM" not in header and not any("libm" in s for s in compiled)


@pytest.mark.slow
@needs_qemu
@needs_tflm
def test_hil_libm_f32_f746zg(model, capsys):
    """Every sample bit-exact against the reference computed with the device's expf / tanhf, some
    of which newlib rounds unlike this computer's glibc; TFLite Micro (glibc) compared with the
    libm layers named. Then, on the same firmware: the device's values are its libm's, and
    malformed requests are answered e- while the firmware keeps serving."""
    differ = 0
    for stem, samples, layers in (("act", SAMPLES, ["tanh_0", "logistic_1", "softmax_3"]), ("lstm", 3, None)):
        rc, summary = hil(model, stem, "f746zg")
        out = capsys.readouterr()
        assert rc == 0, out.err
        assert summary["bit_exact"] == summary["samples"] == samples
        libm = summary["libm"]
        assert libm["functions"] == ["expf", "tanhf"] and libm["asked"] > 0 and libm["requests"] > 0
        assert "reference computed with the device's expf/tanhf" in out.out
        t = summary["tflite_micro"]
        assert t["status"] == "compared"
        assert [x["layer"] for x in t["libm_layers"]] == (layers or [x["layer"] for x in t["libm_layers"]])
        assert t["libm_layers"] and (t["equal"] or "TFLite Micro's libm" in out.out)
        differ += libm["rounded_differently"]
    assert differ > 0           # glibc's values would not all have matched the device

    board = get_board("f746zg")
    with open_device(board, model / "build_act_f746zg", emulate=True) as dev:
        assert dev.libm_functions() == (["expf", "tanhf"], 1024)
        x = np.random.default_rng(2).normal(0, 20, 256).astype(np.float32)
        got = np.frombuffer(dev.libm("expf", x.tobytes()), np.float32)
        here = host_libm("expf")(x)
        assert got.shape == x.shape and np.isfinite(got).all()
        assert np.count_nonzero(got.view(np.uint32) != here.view(np.uint32)) < x.size // 10   # libms mostly agree
        for cmd, payload, message in (
                ("tg libm logf 4", b"\0" * 4, "libm: no function logf in this firmware (it has expf, tanhf) "
                                              "(discarded 4 bytes)"),
                ("tg libm expf 6", b"\0" * 6, "libm: 6 bytes: send 4 to 1024, a whole number of float32 values "
                                              "(discarded 6 bytes)"),
                ("tg libm tanhf 1028", b"\0" * 1028, "libm: 1028 bytes: send 4 to 1024, a whole number of float32 "
                                                     "values (discarded 1028 bytes)"),
                ("tg libm expf", b"", "usage: tg libm [FUNC N]"),
                ("tg libm expf -4", b"", "bad number: -4")):
            with pytest.raises(DeviceError) as e:
                dev.command(cmd, payload)
            assert e.value.device_message == message
        assert dev.libm("expf", x[:3].tobytes()) == got[:3].tobytes()      # still serving, the same values
        assert dev.name() == "tinygen"


@needs_tflm
def test_hil_libm_host_unchanged(model, capsys):
    """On the host board tg_device links the same glibc as the reference: nothing is asked, and
    TFLite Micro is equal with no libm layers to name."""
    rc, summary = hil(model, "act", "host")
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert summary["bit_exact"] == SAMPLES and "libm" not in summary and "reference libm" not in out.out
    t = summary["tflite_micro"]
    assert t["equal"] and t["libm_layers"] == [], t
