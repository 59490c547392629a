"""The compile behind every command, as a library call (tinygen.fit.compile): a request with
`tinygen build`'s options compiles the graph the command compiles, its defaults are the
command line's, and its cheap checks come before the model is loaded."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tinygen.board import get_board
from tinygen.cli import make_parser
from tinygen.cli.common import Progress, compile_model, compile_request
from tinygen.compiler import graph_hash
from tinygen.errors import UsageError
from tinygen.fit import compile as fit_compile
from tinygen.fit.compile import CompileRequest
from tinygen.passes.camera_input import CameraSpec

ROOT = Path(__file__).resolve().parents[2]
MLP = str(ROOT / "examples" / "models" / "mlp.py")


def build_args(*argv: str):
    return make_parser().parse_args(["build", *argv, "--board", "f746zg", "-o", "unused"])


def test_compile_request_defaults_are_the_command_lines():
    """Every field of a request made from `tinygen build MODEL` alone is the request's default."""
    assert compile_request(build_args(MLP)) == CompileRequest(MLP)


def test_compile_request_takes_every_build_option():
    args = build_args(MLP, "--calib", "random", "--calib-method", "percentile", "--percentile", "99.9",
                      "--kernels", "cmsis-nn", "--prefer", "speed", "--cmsis-nn", "tree", "--no-compact", "--tile",
                      "auto", "--no-lower-peak", "--storage", "nested", "--model-id", "mlp01",
                      "--arena-region", "dtcm", "--timeout", "7", "--camera", "--frame-max", "160x120",
                      "--whole-input", "--pixel-range=-1:1", "--stateful", "--activations", "int16",
                      "--fold-input-transpose", "--onnx-rounding", "tflite", "--weights", "lut:4",
                      "--weights-in", "flash")
    request = compile_request(args, get_board("f746zg"))
    assert request == CompileRequest(MLP, calib="random", calib_method="percentile", percentile=99.9,
                                     kernels="cmsis-nn", prefer="speed", cmsis_nn="tree", compact=False, tile="auto",
                                     lower_peak=False, storage="nested", model_id="mlp01", arena_region="dtcm",
                                     camera=CameraSpec(160, 120, (-1.0, 1.0)), stream_input=False, timeout=7.0,
                                     stateful=True, activations="int16", fold_input_transpose=True,
                                     onnx_rounding="tflite", weights="lut:4", weights_in="flash")
    # every field is set away from its default by some option above, or is the board's (esp_nn, frontend)
    # or inspect's (allow_uncalibrated)
    unset = {f.name for f in dataclasses.fields(CompileRequest)
             if getattr(request, f.name) == f.default and f.name != "model"}
    assert unset == {"esp_nn", "frontend", "allow_uncalibrated"}


@pytest.mark.filterwarnings("ignore::tinygen.calib.CalibrationWarning")
def test_compile_model_equals_the_commands_compile():
    board = get_board("f746zg")
    args = build_args(MLP, "--calib", "random", "--kernels", "tinygen")
    _, by_command = compile_model(args, Progress(quiet=True), board)
    _, by_library = fit_compile.compile_model(CompileRequest(MLP, calib="random", kernels="tinygen"), board)
    assert graph_hash(by_library) == graph_hash(by_command)
    assert by_library.meta["kernels"] == by_command.meta["kernels"]


@pytest.mark.parametrize("request_, board, message", [
    (CompileRequest(MLP, percentile=20.0), None, "--percentile 20.0 is out of range"),
    (CompileRequest(MLP, frontend="mfcc"), None, "--frontend needs --board"),
    (CompileRequest(MLP, arena_region="dtcm"), None, "--arena-region needs --board"),
    (CompileRequest(MLP, arena_region="nowhere"), "f746zg", "nowhere"),
    (CompileRequest(MLP, frontend="mfcc", camera=CameraSpec(320, 240, (0.0, 1.0))), "f746zg",
     "--frontend (audio) and --camera are two front ends"),
    (CompileRequest(MLP, model_id="no spaces please"), None, "model id"),
])
def test_cheap_checks_come_before_the_model_is_loaded(request_, board, message, monkeypatch):
    def never(path):
        raise AssertionError("the model was loaded before the request was checked")

    monkeypatch.setattr(fit_compile, "load_source", never)
    with pytest.raises(UsageError) as refused:
        fit_compile.compile_model(request_, get_board(board) if board else None)
    assert message in str(refused.value)
