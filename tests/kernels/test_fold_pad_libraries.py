"""A PAD folded into a depthwise layer (tinygen/passes/fold_pad.py) gives padding TFLite's SAME
never does (more below or right than above or left): the CMSIS-NN and ESP-NN adapters take
only what their functions compute, and the build's note says why tinygen's kernel runs the
other. The model: tests/tflite_pad_fold_cases.py (equal to TFLite Micro in
tests/frontend/test_tflite_ops.py)."""

from __future__ import annotations

import zlib

import numpy as np

from tflite_builder import ModelBuilder
from tflite_op_cases import CASES
from test_cmsis_nn import fake_tree as fake_cmsis_nn
from test_esp_nn import fake_tree as fake_esp_nn
from tinygen.board import get_board
from tinygen.compiler import compile_source, load_source
from tinygen.passes import CompileOptions
from tinygen.report.kernels import cmsis_nn_note, esp_nn_note

NAME = "pad_fold_depthwise_libraries"


def _compile(tmp_path, board: str, **options):
    b = ModelBuilder(NAME)
    inputs, outputs = CASES[NAME].build(b, np.random.default_rng(zlib.crc32(NAME.encode())))
    path = tmp_path / f"{NAME}.tflite"
    path.write_bytes(b.finish(inputs, outputs))
    graph = compile_source(load_source(path), None,
                           CompileOptions(features=get_board(board).isa_features, lower_peak=False, **options))
    assert [n.attrs["padding"] for n in graph.nodes] == [(1, 1, 1, 1), (0, 2, 1, 2)]
    return graph


def test_fold_pad_cmsis_nn_takes_the_padding_its_3x3_path_reads(tmp_path):
    graph = _compile(tmp_path, "f746zg", kernels="cmsis-nn", cmsis_nn=str(fake_cmsis_nn(tmp_path / "tree")))
    assert [n.kernel for n in graph.nodes] == ["tg_depthwise_conv2d_s8_cmsis_nn", "tg_depthwise_conv2d_s8_dsp"]
    note = cmsis_nn_note(graph)
    assert "3x3 with 2 columns of right padding: CMSIS-NN's 3x3 path reads one" in note, note


def test_fold_pad_esp_nn_takes_one_padding_per_axis(tmp_path):
    graph = _compile(tmp_path, "esp32-c3", kernels="esp-nn", esp_nn=str(fake_esp_nn(tmp_path / "tree")))
    assert [n.kernel for n in graph.nodes] == ["tg_depthwise_conv2d_s8_esp_nn", "tg_depthwise_conv2d_s8_rv32"]
    note = esp_nn_note(graph)
    assert "padding 2 below / 2 right against 0 above / 1 left: ESP-NN takes one padding per axis" in note, note
