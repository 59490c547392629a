"""ESP32 camera boards (esp32-cam, esp32-s3-eye): `tinygen build --camera` generates the
ESP-IDF project with `tg capture` through esp32-camera (the board file's [camera] pins,
format and frame size in camera.h, the component in main/idf_component.yml, PSRAM in
sdkconfig.defaults). ESP-IDF is not installed here: the projects are generated, not
compiled, and the capture code is untested."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import UsageError
from tinygen.passes import CompileOptions
from tinygen.codegen.camera import camera_project
from tinygen.passes.camera_input import CameraSpec

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "models" / "mobilenet.py"


def spec_for(board, **kw) -> CameraSpec:
    cam = board.raw["camera"]
    return CameraSpec(driver=cam["driver"], driver_config=cam, **kw)


@pytest.fixture(scope="module")
def graph_for():
    source = load_source(MODEL)

    def make(board, spec):
        return source, compile_source(source, options=CompileOptions(features=board.isa_features, camera=spec))
    return make


@pytest.mark.parametrize("name,pins", [("esp32-cam", {"PWDN": 32, "XCLK": 0, "D7": 35, "PCLK": 22}),
                                       ("esp32-s3-eye", {"PWDN": -1, "XCLK": 15, "D7": 16, "PCLK": 13})])
def test_esp32_camera_board_project(tmp_path, graph_for, name, pins):
    board = get_board(name)
    source, graph = graph_for(board, spec_for(board))
    result = build(source, graph, board, tmp_path / name)
    out = result.out_dir
    header = (out / "camera.h").read_text()
    assert '#define TG_CAMERA_CAPTURE_NAME "esp32-camera"' in header and "#define TG_CAMERA_CAPTURE 1" in header
    assert "#define TG_CAMERA_PIXFORMAT PIXFORMAT_RGB565" in header and "TG_IMAGE_RGB565BE" in header
    assert "#define TG_CAMERA_FRAMESIZE FRAMESIZE_QVGA" in header
    for pin, gpio in pins.items():
        assert f"#define TG_CAMERA_PIN_{pin} {gpio}\n" in header
    cmake = (out / "main" / "CMakeLists.txt").read_text()
    assert '"../tinygen/camera/tg_camera_capture_esp32.c"' in cmake and '"../tinygen/vision"' in cmake
    warned = cmake[cmake.index("set_source_files_properties"):]
    assert "tg_camera_capture_esp32.c" not in warned and "tg_image_row.c" in warned   # ESP-IDF headers: its flags
    assert "espressif/esp32-camera" in (out / "main" / "idf_component.yml").read_text()
    assert "CONFIG_SPIRAM=y" in (out / "sdkconfig.defaults").read_text()
    assert (out / "tinygen" / "camera" / "tg_camera_capture_esp32.c").is_file()
    assert result.manifest["camera"]["driver"] == "esp32-camera"


def test_camera_without_driver_has_no_capture(tmp_path, graph_for):
    board = get_board("esp32-s3")
    source, graph = graph_for(board, CameraSpec())
    out = build(source, graph, board, tmp_path / "s3").out_dir
    assert '"none"' in (out / "camera.h").read_text() and "TG_CAMERA_CAPTURE 1" not in (out / "camera.h").read_text()
    assert not (out / "main" / "idf_component.yml").exists()
    assert "tg_camera_capture" not in (out / "main" / "CMakeLists.txt").read_text()


@pytest.mark.parametrize("change,message", [
    ({"format": "rgb565"}, "esp32-camera cannot deliver rgb565 frames"),
    ({"frame": "321x240"}, "esp32-camera has no 321x240 frame size"),
    ({"frame": "640x480"}, "exceed the largest frame 320x240"),
    ({"pins": {"xclk": 0}}, "pins pwdn, reset, sccb_sda"),
])
def test_esp32_camera_settings_are_checked(graph_for, change, message):
    board = get_board("esp32-cam")
    spec = spec_for(board)
    spec = dataclasses.replace(spec, driver_config={**spec.driver_config, **change})
    _, graph = graph_for(board, spec)
    with pytest.raises(UsageError, match=message):
        camera_project(graph, board)
