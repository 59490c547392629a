"""The camera front end on a device: frames in every format through `tg frame` / `tg chunk`,
the device's int8 input (`tg input`) equal to the numpy twin's and its outputs to the
reference, byte for byte; bad frames, sizes and truncated chunks answered with e- lines
while the firmware keeps serving; the arena plan and the fit check count the front end.
The host tg_device runs every test; the Cortex-M7, Cortex-M4 and RISC-V stand-ins run the
slow ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tinygen.board import get_board
from tinygen.build.memory import predict
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import ModelError
from tinygen.hil.client import DeviceError
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.passes.plan_camera import BUFFER
from tinygen.ref.interpreter import run
from tinygen.ref import camera as twin
from tinygen.ref.frame_formats import FORMATS, frame_format, pack_frame
from tinygen.vision.link import CameraLink, NoCameraError
from tinygen.passes.camera_input import CameraSpec, scratch_bytes

ROOT = Path(__file__).resolve().parents[2]
RGB_MODEL = ROOT / "examples" / "models" / "mobilenet.py"       # 32x32x3
GRAY_MODEL = ROOT / "examples" / "models" / "cnn.py"            # 28x28x1
SPEC = CameraSpec(max_width=160, max_height=120)

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the host tg_device")


def compile_camera(path: Path, board, spec: CameraSpec = SPEC):
    source = load_source(path)
    return source, compile_source(source, options=CompileOptions(features=board.isa_features, camera=spec))


@pytest.fixture(scope="module")
def rgb_host(tmp_path_factory):
    board = get_board("host")
    source, graph = compile_camera(RGB_MODEL, board)
    out = tmp_path_factory.mktemp("cam") / "rgb"
    build(source, graph, board, out)
    return graph, out


def frame_bytes(rng, fmt: str, width: int, height: int) -> bytes:
    """A random photograph-like frame: smooth gradients plus noise, packed as a camera would."""
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 // max(width - 1, 1), yy * 255 // max(height - 1, 1), (xx + yy) % 256], -1)
    pixels = np.clip(base + rng.integers(-40, 41, base.shape), 0, 255).astype(np.uint8)
    return pack_frame(pixels, frame_format(fmt))


def check_frame(cam: CameraLink, graph, frame: bytes, fmt: str, width: int, height: int,
                crop: twin.Crop | None = None) -> int:
    """Send one frame; the device's input must equal the twin's and its outputs the reference's."""
    plan = graph.meta["camera"]
    target = twin.Target(plan.out_w, plan.out_h, plan.channels, plan.lut, plan.spec.max_width, plan.spec.max_height)
    sent = cam.send_frame(frame, frame_format(fmt), width, height)
    assert sent.crop == (crop or twin.center_crop(target, width, height))
    want = twin.preprocess(frame, frame_format(fmt), width, height, target, sent.crop)
    got = np.frombuffer(cam.input(), np.int8).reshape(want.shape)
    diff = np.argwhere(got != want)
    assert not len(diff), f"{fmt} {width}x{height}: {len(diff)} input values differ, first at {diff[0].tolist()}"
    out, _ = cam.dev.invoke()
    ref = run(graph, want)[graph.outputs[0]]
    assert np.frombuffer(out, np.int8).tolist() == ref.ravel().tolist(), f"{fmt} {width}x{height}: outputs differ"
    return sent.count


FRAMES = [("rgb565", 41, 29), ("rgb565be", 160, 120), ("yuyv", 38, 21), ("gray", 17, 33), ("rgb565", 31, 32)]


@pytest.mark.parametrize("fmt,width,height", FRAMES)
def test_camera_frame_bit_exact_host(rgb_host, fmt, width, height):
    graph, out = rgb_host
    rng = np.random.default_rng(width * height)
    with open_device(get_board("host"), out) as dev:
        cam = CameraLink(dev)
        assert cam.info()["input"] == (32, 32, 3) and cam.info()["max"] == (160, 120)
        assert check_frame(cam, graph, frame_bytes(rng, fmt, width, height), fmt, width, height) > 0


def test_camera_crop_and_gray_model_host(tmp_path):
    board = get_board("host")
    source, graph = compile_camera(GRAY_MODEL, board, CameraSpec(max_width=64, max_height=48, pixel_range=(-1.0, 1.0)))
    build(source, graph, board, tmp_path / "gray")
    rng = np.random.default_rng(3)
    with open_device(board, tmp_path / "gray") as dev:
        cam = CameraLink(dev)
        assert cam.info()["input"] == (28, 28, 1)
        for fmt in FORMATS:
            check_frame(cam, graph, frame_bytes(rng, fmt, 64, 48), fmt, 64, 48)
        region = twin.Crop(5, 3, 50, 40)
        cam.crop(region)
        assert cam.info()["crop"] == "5/3/50/40"
        check_frame(cam, graph, frame_bytes(rng, "yuyv", 64, 48), "yuyv", 64, 48, region)
        cam.crop(None)
        check_frame(cam, graph, frame_bytes(rng, "gray", 9, 7), "gray", 9, 7)      # enlarged


def expect_error(dev, command: str, payload: bytes, message: str) -> None:
    with pytest.raises(DeviceError) as e:
        dev.command(command, payload)
    assert message in e.value.device_message, e.value.device_message


def test_camera_bad_input_host(rgb_host):
    """Every bad frame is one e- line; the firmware keeps serving and the next frame is exact."""
    graph, out = rgb_host
    rng = np.random.default_rng(9)
    good = frame_bytes(rng, "rgb565", 40, 30)
    with open_device(get_board("host"), out) as dev:
        cam = CameraLink(dev)
        expect_error(dev, "tg frame bgr888 40 30", b"", "unknown frame format: bgr888 (rgb565, rgb565be, yuyv, gray)")
        expect_error(dev, "tg frame rgb565 161 30", b"", "frame size: rgb565 161x30 is not 1..160x120")
        expect_error(dev, "tg frame gray 0 30", b"", "frame size: gray 0x30")
        expect_error(dev, "tg frame gray 30 4294967295", b"", "frame size: gray 30x4294967295 is not 1..160x120")
        expect_error(dev, "tg frame yuyv 41 30", b"", "odd width: yuyv 41x30")
        expect_error(dev, "tg frame gray 40 x", b"", "bad number: x")
        expect_error(dev, "tg chunk 80", bytes(80), "no frame in progress: send tg frame FORMAT W H first "
                                                    "(discarded 80 bytes)")
        cam.crop(twin.Crop(30, 0, 20, 20))
        expect_error(dev, "tg frame rgb565 40 30", b"", "crop outside the frame: rgb565 40x30, crop 30,0 20x20")
        cam.crop(None)
        expect_error(dev, "tg crop 1 2 3", b"", "usage: tg crop [X Y W H]")
        expect_error(dev, "tg crop 0 0 0 5", b"", "W and H must be at least 1")
        # a frame in progress survives rejected chunks
        total, chunk, _ = cam.start(frame_format("rgb565"), 40, 30)
        assert (total, chunk) == (2400, 320)             # whole rows that fit the 320-byte chunk buffer
        expect_error(dev, "tg chunk 81", bytes(81), "send whole rows of 80 bytes, at most 320 per chunk and 2400 "
                                                    "left in the frame (discarded 81 bytes)")
        expect_error(dev, "tg chunk 400", bytes(400), "at most 320 per chunk")
        expect_error(dev, "tg input", b"", "input has 0 bytes, model takes 3072")
        expect_error(dev, "tg invoke", b"", "input has 0 bytes")
        for offset in range(0, total, chunk):
            piece = good[offset:offset + chunk]
            dev.command(f"tg chunk {len(piece)}", piece)
        expect_error(dev, "tg chunk 80", bytes(80), "no frame in progress")         # the frame is complete
        # a truncated chunk abandons the frame and leaves the input empty
        cam.start(frame_format("rgb565"), 40, 30)
        dev.link.write(b"tg chunk 160%" + bytes(100))
        with pytest.raises(DeviceError) as e:
            dev.read_reply("tg chunk 160", timeout=10)
        assert "chunk truncated: got 100 of 160 bytes; the frame is abandoned" in e.value.device_message
        expect_error(dev, "tg input", b"", "input has 0 bytes")
        expect_error(dev, "tg chunk 80", bytes(80), "no frame in progress")
        # loading the input buffer meanwhile abandons the frame
        cam.start(frame_format("rgb565"), 40, 30)
        dev.upload(bytes(3072))
        expect_error(dev, "tg chunk 80", bytes(80), "frame abandoned: the input buffer was loaded after tg frame")
        # still serving: a good frame is bit-exact
        check_frame(cam, graph, good, "rgb565", 40, 30)


def test_camera_commands_missing_without_camera(tmp_path):
    board = get_board("host")
    source = load_source(RGB_MODEL)
    build(source, compile_source(source), board, tmp_path / "plain")
    assert not (tmp_path / "plain" / "camera.c").exists()
    with open_device(board, tmp_path / "plain") as dev:
        with pytest.raises(NoCameraError, match="no camera front end"):
            CameraLink(dev).info()
        expect_error(dev, "tg frame rgb565 40 30", b"", "Unknown tg command: frame")
        assert dev.name() == "tinygen"


def test_camera_rejects_a_model_without_an_image_input():
    source = load_source(ROOT / "examples" / "models" / "mlp.py")
    with pytest.raises(ModelError, match=r"input \[1, 64\] \(int8\) is not an image") as e:
        compile_source(source, options=CompileOptions(camera=SPEC))
    assert "--camera" in e.value.hint


def test_camera_scratch_in_the_arena_beside_the_input():
    """The front end's buffers are a plan buffer before the first layer, clear of the input;
    the arena grows only by what the model's plan has no room for."""
    board = get_board("f746zg")
    source = load_source(RGB_MODEL)
    plain = compile_source(source, options=CompileOptions(features=board.isa_features))
    for spec in (SPEC, CameraSpec(max_width=1024, max_height=1024)):
        graph = compile_source(source, options=CompileOptions(features=board.isa_features, camera=spec))
        plan, cam = graph.meta["memory"], graph.meta["camera"]
        buf = next(b for b in plan.buffers if b.name == BUFFER)
        assert (buf.first, buf.last, buf.size) == (-1, -1, scratch_bytes(32, 32, 3, spec.max_width))
        assert cam.scratch_offset == buf.offset and buf.offset + buf.size <= plan.arena_size
        inp = next(b for b in plan.buffers if graph.inputs[0] in b.tensors)
        assert buf.offset >= inp.offset + inp.size or buf.offset + buf.size <= inp.offset
        assert plan.arena_size <= max(plain.meta["memory"].arena_size, inp.size + buf.size + 32)
        use = predict(graph, board, 0)
        assert use.regions["ram"].parts["arena"] == plan.arena_size
        assert "camera front end (state)" in use.regions["ram"].parts
        assert use.regions["flash"].parts["camera front end (code estimate + tables)"] > 3 * 256


STANDINS = [("f746zg", "qemu-system-arm", "arm-none-eabi-gcc"), ("f446re", "qemu-system-arm", "arm-none-eabi-gcc"),
            ("esp32-c3", "qemu-system-riscv32", "riscv64-unknown-elf-gcc"),
            # the Cortex-M55 (Helium) and M33 boards
            ("stm32n6570-dk", "qemu-system-arm", "arm-none-eabi-gcc"),
            ("b-u585i-iot02a", "qemu-system-arm", "arm-none-eabi-gcc")]


@pytest.mark.slow
@pytest.mark.parametrize("name,qemu,cc", STANDINS, ids=[s[0] for s in STANDINS])
def test_camera_frames_on_standin(tmp_path, name, qemu, cc):
    """Every format on the Cortex-M7, M4, M55, M33 and RISC-V stand-ins: the device's input equal
    to the twin's, outputs to the reference; a truncated chunk is reported and the next frame
    is exact again; on the M7 one whole QVGA RGB565 frame streamed through 640-byte chunks."""
    if shutil.which(qemu) is None or shutil.which(cc) is None:
        pytest.skip(f"needs {qemu} and {cc} (make toolchain)")
    board = get_board(name)
    spec = CameraSpec() if name == "f746zg" else SPEC
    source, graph = compile_camera(RGB_MODEL, board, spec)
    build(source, graph, board, tmp_path / name)
    rng = np.random.default_rng(7)
    with open_device(board, tmp_path / name, emulate=True, timeout=60) as dev:
        cam = CameraLink(dev)
        for fmt, width, height in FRAMES[:4]:
            width = min(width, spec.max_width)
            count = check_frame(cam, graph, frame_bytes(rng, fmt, width, height), fmt, width, height)
            assert count > 0
        cam.start(frame_format("gray"), 17, 33)
        dev.link.write(b"tg chunk 34%" + bytes(20))
        with pytest.raises(DeviceError, match="chunk truncated: got 20 of 34 bytes"):
            dev.read_reply("tg chunk 34", timeout=60)
        check_frame(cam, graph, frame_bytes(rng, "gray", 17, 33), "gray", 17, 33)
        if name == "f746zg":
            check_frame(cam, graph, frame_bytes(rng, "rgb565", 320, 240), "rgb565", 320, 240)


def test_camera_pixel_table_of_the_vww_model():
    """VWW's input (scale 1/255, zero point -128) makes pixel p the int8 input p - 128 for the
    default range 0:1; another range goes through the same quantization as float inputs."""
    from tinygen.ref.interpreter import quantize_input
    from tinygen.passes.camera_input import pixel_lut

    graph = load_source(ROOT / "examples" / "mlperf-tiny" / "vww_mobilenet_int8.tflite").graph
    lut = pixel_lut(graph, (0.0, 1.0))
    assert lut.shape == (3, 256) and np.array_equal(lut[0].astype(int), np.arange(256) - 128)
    other = pixel_lut(graph, (-1.0, 1.0))
    assert np.array_equal(other[2], quantize_input(graph, -1.0 + 2.0 * np.arange(256) / 255.0))
