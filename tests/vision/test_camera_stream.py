"""The camera input streams in (issue 18 part 2): a `--camera` build of a model in row bands holds
only one band's window of input rows, and its bands run while the frame's rows arrive
(plan_memory.STREAM_INPUT, passes/plan_camera.py, firmware/camera/tg_camera.c). The window is what
the memory prediction counts; the front end's scratch is planned clear of every buffer live until
the last band's input read; the outputs the last chunk answers equal the banded graph's reference
on the twin's preprocessed input, byte for byte, frames in several formats, cropped, enlarged;
whole-input commands are refused with an e- line and the firmware keeps serving. The host
tg_device runs the small model; the Cortex-M4 stand-in (slow) runs it and MobileNetV2 0.35."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pass_lib import Builder
from test_camera_device import expect_error, frame_bytes
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.build.memory import MemoryFitError, check_prediction, predict
from tinygen.compiler import SourceModel, build, compile_source, graph_hash, load_source
from tinygen.hil.target import open_device
from tinygen.report.inspect import io_lines, memory_report
from tinygen.passes import CompileOptions, compile_graph
from tinygen.passes.plan_camera import BUFFER
from tinygen.passes.plan_memory import STREAM_INPUT
from tinygen.passes.stream_input import band_windows_of, last_read, window_rows
from tinygen.ref.interpreter import run
from tinygen.ref import camera as twin
from tinygen.ref.frame_formats import frame_format
from tinygen.vision.frames import FrameSet
from tinygen.vision.link import CameraLink
from tinygen.passes.camera_input import CameraSpec
from tinygen.vision.run import frame_summary, render_frames, run_frames

ROOT = Path(__file__).resolve().parents[2]
MOBILENETV2 = ROOT / "examples" / "mobilenetv2" / "model.py"
MOBILENETV2_BANDS = ("add_24", "bands", 8)
SPEC = CameraSpec(max_width=64, max_height=48)
STREAMED = "the input streams in: this firmware takes camera frames only"

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the host tg_device")


def small_banded():
    """32x32x3: conv 3x3 stride 2 -> 16x16x8; an inverted residual block (expand 1x1 -> 16,
    depthwise 3x3, project 1x1, add); depthwise 3x3 stride 2 -> 8x8x8 (the split, 4 bands); a
    1x1 head -> 8x8x2. Returns (float graph, split tensor, calibration data)."""
    b = Builder("stream", seed=7)
    relu6 = (0.0, 6.0)
    same = {"stride": (1, 1), "dilation": (1, 1), "padding": (1, 1, 1, 1)}
    one = {"stride": (1, 1), "dilation": (1, 1), "padding": (0, 0, 0, 0)}
    x = b.input((1, 32, 32, 3))
    x = b.op("conv2d", [x], (1, 16, 16, 8), name="c1", attrs={**same, "stride": (2, 2), "activation": relu6},
             weight=b.rand(8, 3, 3, 3), bias=b.rand(8))
    y = b.op("conv2d", [x], (1, 16, 16, 16), name="e1", attrs={**one, "activation": relu6},
             weight=b.rand(16, 1, 1, 8), bias=b.rand(16))
    y = b.op("depthwise_conv2d", [y], (1, 16, 16, 16), name="d1",
             attrs={**same, "depth_multiplier": 1, "activation": relu6}, weight=b.rand(1, 3, 3, 16), bias=b.rand(16))
    y = b.op("conv2d", [y], (1, 16, 16, 8), name="p1", attrs=one, weight=b.rand(8, 1, 1, 16), bias=b.rand(8))
    x = b.op("add", [x, y], (1, 16, 16, 8), name="add1")
    x = b.op("depthwise_conv2d", [x], (1, 8, 8, 8), name="d2",
             attrs={**same, "stride": (2, 2), "depth_multiplier": 1, "activation": relu6},
             weight=b.rand(1, 3, 3, 8), bias=b.rand(8))
    split = x
    x = b.op("conv2d", [x], (1, 8, 8, 2), name="head", attrs=one, weight=b.rand(2, 1, 1, 8), bias=b.rand(2))
    graph = b.output(x)
    calib = np.random.default_rng(0).uniform(0, 1, (16, 32, 32, 3)).astype(np.float32)
    return graph, split, calib


def compile_small(board, stream: bool = True, bands: int = 4):
    graph, split, calib = small_banded()
    options = CompileOptions(features=board.isa_features, tile=(split, "bands", bands), camera=SPEC,
                             stream_input=stream)
    compiled = compile_graph(graph.copy(), calib, options)
    source = SourceModel("stream", ROOT / "tests" / "stream.py", graph, graph_hash(graph), (1, 32, 32, 3), "NHWC")
    return source, compiled


def test_camera_stream_predict_window_bytes():
    """A streamed build's input buffer is the widest band window's rows, in the prediction and
    in inspect; the front end's scratch lives through the last band's input read, clear of every
    buffer live meanwhile; --whole-input (stream_input False) keeps the whole input and the
    scratch before the first layer."""
    board = get_board("f446re")
    _, streamed = compile_small(board)
    _, whole = compile_small(board, stream=False)
    assert streamed.meta[STREAM_INPUT] and not whole.meta[STREAM_INPUT]
    windows, last = band_windows_of(streamed, streamed.nodes)
    assert len(windows) == 4 and windows[0][0] == 0 and windows[-1][1] <= 32 and last_read(streamed) == max(last)
    rows = window_rows(streamed)
    assert rows == max(e - f for f, e in windows) and rows < 32
    ram_s = predict(streamed, board, 0).regions["ram"].parts
    ram_w = predict(whole, board, 0).regions["ram"].parts
    assert ram_s["input buffer"] == rows * 32 * 3 and ram_w["input buffer"] == 32 * 32 * 3
    assert f"input buffer {rows * 96} B (streamed: one band's window of {rows} rows)" in io_lines(
        SourceModel("stream", Path("stream.py"), streamed, "", (1, 32, 32, 3), "NHWC"), streamed)[0]
    for graph, last in ((streamed, last_read(streamed)), (whole, -1)):
        plan = graph.meta["memory"]
        cam = next(b for b in plan.buffers if b.name == BUFFER)
        assert (cam.first, cam.last) == (-1, last) and graph.meta["camera"].live_until == last
        assert cam.offset + cam.size <= plan.arena_size
        for b in plan.buffers:
            if b is not cam and b.first <= last and b.last >= -1:
                assert cam.offset >= b.offset + b.size or cam.offset + cam.size <= b.offset, (b.name, cam)
    assert last_read(streamed) > 0
    assert "the input streams in" in memory_report(streamed)
    assert "the banded input is held whole: --whole-input" in memory_report(whole)
    # the fit check's refusal counts the window, not the whole input
    tight = board.with_budget(ram=ram_s["arena"] + ram_s["stack"])
    with pytest.raises(MemoryFitError, match=f"input buffer {rows * 96} B"):
        check_prediction(predict(streamed, tight, 0), tight, "stream.py")


def test_camera_stream_not_for_an_unbanded_model():
    """Without row bands the input is in the arena: nothing streams, the input buffer is whole."""
    board = get_board("f446re")
    graph, _, calib = small_banded()
    plain = compile_graph(graph, calib, CompileOptions(features=board.isa_features, camera=SPEC, tile="off"))
    assert not plain.meta[STREAM_INPUT] and plain.meta["camera"].live_until == -1
    assert predict(plain, board, 0).regions["ram"].parts["input buffer"] == 32 * 32 * 3


FRAMES = [("rgb565", 64, 48, None), ("gray", 40, 30, None), ("yuyv", 10, 8, None),          # shrunk, enlarged
          ("rgb565be", 64, 48, twin.Crop(3, 5, 30, 30))]


def send_checked(cam: CameraLink, graph, frame: bytes, fmt: str, width: int, height: int) -> tuple[int, int]:
    """One frame through a streamed firmware: the outputs its last chunk answers equal the banded
    graph's reference on the twin's input. Returns (preprocessing, model) counts."""
    plan = graph.meta["camera"]
    target = twin.Target(plan.out_w, plan.out_h, plan.channels, plan.lut, plan.spec.max_width, plan.spec.max_height)
    sent = cam.send_frame(frame, frame_format(fmt), width, height, streamed=True)
    want = twin.preprocess(frame, frame_format(fmt), width, height, target, sent.crop)
    ref = np.concatenate([run(graph, want)[name].ravel() for name in graph.outputs])
    got = np.frombuffer(sent.outputs, np.int8)
    diff = np.flatnonzero(got != ref)
    assert not len(diff), f"{fmt} {width}x{height}: {len(diff)} outputs differ, first at {diff[0]}"
    assert cam.dev.out() == sent.outputs            # tg out reports them afterwards
    return sent.count, sent.model_count


def check_streamed_firmware(dev, graph, bands: int, rows: int) -> list[tuple[int, int]]:
    cam = CameraLink(dev)
    info = cam.info()
    assert info["stream"] == (bands, rows) and info["input"] == (32, 32, 3)
    rng = np.random.default_rng(5)
    counts = []
    for fmt, width, height, crop in FRAMES:
        cam.crop(crop)
        counts.append(send_checked(cam, graph, frame_bytes(rng, fmt, width, height), fmt, width, height))
    cam.crop(None)
    # whole-input commands: one e- line each, the firmware keeps serving, a frame in progress goes on
    total, chunk, _ = cam.start(frame_format("gray"), 64, 48)
    frame = frame_bytes(rng, "gray", 64, 48)
    dev.command(f"tg chunk {chunk}", frame[:chunk])
    for command in ("tg input", "tg invoke", "tg layers", "tg layer-out 0", "infer 1 0", "db load 16", "db 00ff"):
        expect_error(dev, command, b"", STREAMED)
    expect_error(dev, "tg load 3072", bytes(3072),
                 "build it with --whole-input to load whole inputs (discarded 3072 bytes)")
    expect_error(dev, "tg run 10", bytes(10), "(discarded 10 bytes)")
    expect_error(dev, "tg load 3072 0", bytes(3072), STREAMED)
    replies = [dev.command(f"tg chunk {len(frame[o:o + chunk])}", frame[o:o + chunk])
               for o in range(chunk, total, chunk)]
    assert replies[-1].values("m-tg-frame-done") and replies[-1].values("m-tg-out")
    # a malformed chunk, then the next frame is still exact
    expect_error(dev, "tg chunk 7", bytes(7), "no frame in progress")
    counts.append(send_checked(cam, graph, frame, "gray", 64, 48))
    return counts


@needs_gcc
def test_camera_stream_s8_host(tmp_path):
    board = get_board("host")
    source, graph = compile_small(board)
    project = build(source, graph, board, tmp_path / "out").out_dir
    header = (project / "model.h").read_text()
    assert "#define TG_MODEL_INPUT_STREAMED 1" in header
    rng = np.random.default_rng(2)
    frames = FrameSet(frame_format("yuyv"), 48, 36, [frame_bytes(rng, "yuyv", 48, 36) for _ in range(2)], ["a", "b"])
    with open_device(board, project) as dev:
        check_streamed_firmware(dev, graph, len(band_windows_of(graph, graph.nodes)[0]), window_rows(graph))
        # the harness of `tinygen hil --frames`: outputs from the last chunk, checked against the reference
        frames_run = run_frames(dev, graph, frames)
    assert frames_run.streamed and not frames_run.mismatches and frames_run.input_exact == [None, None]
    summary = frame_summary(frames_run, frames)
    assert summary["frames"]["input_streamed"] and summary["frames"]["network_mean"] > 0
    assert "the input streams in" in render_frames({**summary, "latency": {"unit": "ns"}})


STANDINS = [("f446re", "qemu-system-arm", "arm-none-eabi-gcc"),
            ("esp32-c3", "qemu-system-riscv32", "riscv64-unknown-elf-gcc")]


@pytest.mark.slow
@pytest.mark.parametrize("name,qemu,cc", STANDINS, ids=[s[0] for s in STANDINS])
def test_camera_stream_s8_standin(tmp_path, name, qemu, cc):
    """On the Cortex-M4 and RISC-V stand-ins, and the preprocessing's and the model's instruction
    counts apart: the model's does not depend on the frame's size."""
    if shutil.which(qemu) is None or shutil.which(cc) is None:
        pytest.skip(f"needs {qemu} and {cc} (make toolchain)")
    board = get_board(name)
    source, graph = compile_small(board)
    result = build(source, graph, board, tmp_path / "out")
    with open_device(board, result.out_dir, emulate=True) as dev:
        counts = check_streamed_firmware(dev, graph, len(band_windows_of(graph, graph.nodes)[0]), window_rows(graph))
    models = [m for _, m in counts]
    # the model's part does not grow with the frame (the preprocessing's varies 2-3x here): on the
    # MPS2 stand-ins only by the timer's 40-instruction steps, on RISC-V by data-dependent branches
    assert all(p > 0 for p, _ in counts) and max(models) - min(models) <= max(80, max(models) // 1000), counts
    print(f"small banded model, {name} stand-in: preprocessing / model instructions per frame {counts}")


@pytest.mark.slow
@needs_qemu
def test_camera_stream_mobilenetv2_f446re_standin(tmp_path):
    """The issue's model: MobileNetV2 0.35 at 96x96 in 8 row bands up to add_24, --camera (QVGA
    frames at most), streamed, fitted to the F446RE's flash as `tinygen build` does: its RAM,
    predicted and linked, is at most 0.4x the untiled 179,584 B; one 160x120 frame's outputs
    equal the banded reference, on the F446RE's stand-in (the F746ZG's where even the lean-code
    image of the F446RE's flash trade does not fit: the same int8 kernels)."""
    from tinygen.fit import fit_lines, fit_model

    board = get_board("f446re")
    source = load_source(MOBILENETV2)
    options = CompileOptions(features=board.isa_features, tile=MOBILENETV2_BANDS, camera=CameraSpec())
    graph = compile_source(source, None, options)
    try:
        graph = fit_model(source, None, options, board, graph)
        print("fit:", *fit_lines(graph.meta["fit"]), sep="\n")
    except MemoryFitError as e:                    # the flash: README "MobileNetV2 0.35 on the F446RE"
        assert "flash" in e.message, e.message
        board = get_board("f746zg")
    assert graph.meta[STREAM_INPUT] and graph.meta["tile"]["applied"]
    ram = predict(graph, board, 0).regions["ram"]
    assert ram.used <= 0.4 * 179_584, ram.parts
    result = build(source, graph, board, tmp_path / board.name)
    linked = next(m for m in result.memory if m.source.startswith("firmware"))
    print(f"MobileNetV2 streamed on {board.name}: predicted RAM {ram.used} B {ram.parts}; linked "
          f"{linked.regions['ram'].used} B {linked.regions['ram'].parts}")
    assert linked.regions["ram"].used <= 0.4 * 179_584
    rng = np.random.default_rng(11)
    with open_device(board, result.out_dir, emulate=True) as dev:
        cam = CameraLink(dev)
        assert cam.info()["stream"] == (len(band_windows_of(graph, graph.nodes)[0]), window_rows(graph))
        pre, model = send_checked(cam, graph, frame_bytes(rng, "rgb565", 160, 120), "rgb565", 160, 120)
    print(f"MobileNetV2 streamed, one 160x120 rgb565 frame: preprocessing {pre} + model {model} instructions")
