"""tinygen libraries in a firmware written outside tinygen (tests/user_firmware.py: its own
main.c, startup file, linker script and arm-none-eabi toolchain file), built with CMake, the
libraries added with add_subdirectory, run on the Cortex-M7 stand-in (QEMU's mps2-an500) with
the outputs printed over semihosting.

Three libraries for the F746ZG in one image: the MLPerf Tiny KWS .tflite and the digits CNN
(the demo's trained network, a torch.export program) share one arena (--arena external, each
initialised again before it runs), VWW keeps its own static arena. Every output equals tinygen's
numpy reference, and TFLite Micro's for the two .tflite models."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from e2e import first_difference
from library_lib import digits_pt2
from mlperf_models import mlperf_model
from tflite_refs import tflm_run
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input, run
from user_firmware import Model, parse_outputs, write_project

TOOLS = ("cmake", "arm-none-eabi-gcc", "qemu-system-arm")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS), reason=f"needs {', '.join(TOOLS)} (make toolchain; apt-get install cmake)")]


def library(path, name, board, dest, arena_external, calib=None):
    source = load_source(path)
    graph = compile_source(source, calib=calib and str(calib), options=CompileOptions(features=frozenset(board.isa_features)))
    build(source, graph, board, dest, library=name, arena_external=arena_external)
    return source, graph


def test_library_cmake_project_three_models_standin(tmp_path):
    board = get_board("f746zg")
    project = tmp_path / "app"
    rng = np.random.default_rng(7)
    kws_path, vww_path = mlperf_model("kws_dscnn"), mlperf_model("vww_mobilenet")
    _, kws = library(kws_path, "kws", board, project / "libs" / "kws", True)
    pt2, calib, images = digits_pt2(tmp_path)
    digits_source, digits = library(pt2, "digits", board, project / "libs" / "digits", True, calib)
    _, vww = library(vww_path, "vww", board, project / "third_party" / "vww", False)
    shape = lambda g: g.tensor(g.inputs[0]).shape     # noqa: E731
    inputs = {
        "kws": [rng.integers(-128, 128, shape(kws), dtype=np.int8) for _ in range(3)],
        "digits": [quantize_input(digits, digits_source.to_graph_layout(image)) for image in images],
        "vww": [rng.integers(-128, 128, shape(vww), dtype=np.int8) for _ in range(2)],
    }
    graphs = {"kws": kws, "digits": digits, "vww": vww}
    folders = {"kws": project / "libs" / "kws", "digits": project / "libs" / "digits", "vww": project / "third_party" / "vww"}
    models = [Model(n, folders[n], inputs[n], n != "vww") for n in ("kws", "digits", "vww")]
    write_project(project, models)

    build_dir = project / "build"
    for cmd in (["cmake", "-S", str(project), "-B", str(build_dir), f"-DCMAKE_TOOLCHAIN_FILE={project / 'arm-none-eabi.cmake'}"],
                ["cmake", "--build", str(build_dir), "-j2"]):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{' '.join(cmd[:2])}: {r.stdout[-3000:]}{r.stderr[-3000:]}"
    r = subprocess.run(["qemu-system-arm", "-M", "mps2-an500", "-display", "none", "-monitor", "none", "-serial", "none",
                        "-semihosting-config", "enable=on,target=native", "-kernel", str(build_dir / "app.elf")],
                       capture_output=True, text=True, timeout=120)
    console = r.stderr                  # QEMU writes the semihosting console to its stderr
    assert r.returncode == 0 and "done" in console, f"exit {r.returncode}: {console[-2000:]}"
    got = parse_outputs(console)

    tflm = {"kws": tflm_run(kws_path.read_bytes(), inputs["kws"]), "vww": tflm_run(vww_path.read_bytes(), inputs["vww"])}
    for name, graph in graphs.items():
        seen = []
        for i, x in enumerate(inputs[name]):
            want = run(graph, x)[graph.outputs[0]].ravel()
            assert np.array_equal(got[(name, i)], want), f"{name} sample {i}: {first_difference(want, got[(name, i)])}"
            if name in tflm:
                assert np.array_equal(got[(name, i)], tflm[name][i].ravel()), f"{name} sample {i} vs TFLite Micro"
            seen.append(want.tobytes())
        assert len(set(seen)) > 1, f"{name}: every sample gave the same output: the inputs did not reach the model"
