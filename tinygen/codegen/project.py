"""Write a generated C project: model.h/.c, weights.h/.c, the kernels it uses,
build files for the board, and a tinygen.json manifest describing the model's
inputs, outputs and layers for the host-side tools.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tinygen import __version__
from tinygen.board import Board, timestamp_pin
from tinygen.codegen.audio import frontend_of, write_tables
from tinygen.codegen.build_flags import model_flags
from tinygen.codegen.camera import write_camera
from tinygen.codegen.emit import project_data
from tinygen.codegen.kernel_files import kernel_sources
from tinygen.codegen.firmware_files import copy_firmware, runtime_files
from tinygen.codegen.libm_cmd import libm_functions, libm_macro, libm_sources
from tinygen.codegen.templating import template_env
from tinygen.ir import Graph
from tinygen.model_id import FROM_NAME, default_model_id
from tinygen.ref.gating_trace import gate_channels
from tinygen.resources import firmware_path
from tinygen.switches import is_switchable, switch_graphs

MANIFEST = "tinygen.json"
# What a build folder holds, as the tools that read an existing one (tinygen flash -o DIR, its
# --emulate) expect it: the images' names and roles, the manifest's fields, the device protocol.
# Raise it when any of those changes incompatibly; tinygen.build.built refuses another format.
BUILD_FORMAT = 1
BOARD_HEADER = "tg_board.h"     # the board's facts the runtime needs (its clock, for emulated m-lap-us)
# a user's board file (--board my-board.toml), copied into the build folder so that later commands
# on the folder (flash -o DIR --board my-board, hil) find the board without the original file
BOARD_FILE = "board.toml"



def _input_bands(loop) -> dict | None:
    if loop is None or not loop.bands:
        return None
    return {"windows": [list(w) for w in loop.windows], "row_bytes": loop.row_bytes,
            "window_rows": loop.window_rows, "streamed": loop.streamed}

def board_data(board: Board) -> dict:
    """What tg_board.h says about the board the project is built for."""
    pin = board.energy.get("timestamp_pin")
    source = (BOARD_FILE if board.user else f"boards/{board.path.name}") if board.path else board.name
    return {"board": board.name, "source": source,
            "version": __version__, "clock_hz": f"{int(board.clock_hz or 0)}u",
            "timestamp_pin": pin, "timestamp": sorted(timestamp_pin(pin).items()) if pin else [],
            "baud": f"{int(board.serial.get('baud', 115200))}u",
            "energy_runner": int(bool(board.energy.get("runner")))}


def write_board_header(board: Board, dest: Path) -> Path:
    """tg_board.h for `board` into the folder `dest`."""
    out = Path(dest) / BOARD_HEADER
    out.write_text(template_env().get_template("tg_board.h.j2").render(**board_data(board)))
    return out


def manifest(graph: Graph, data: dict, board: Board) -> dict:
    def port(g: Graph, name: str) -> dict:
        t = g.tensor(name)
        q = t.qparams      # None: a float32 port, its values the real values
        return {"name": name, "shape": list(t.shape), "dtype": t.dtype,
                "scale": float(q.scale[0]) if q is not None else 1.0, "zero_point": int(q.zero_point[0]) if q else 0}

    return {
        "tinygen_version": __version__,
        "build_format": BUILD_FORMAT,               # tinygen.build.built checks it before flashing or booting
        "model": data["model_name"],
        "model_hash": data["source_hash"],
        "model_id": data["model_id"],               # profile% answers m-model-[model_id]
        "model_id_source": data["model_id_source"],
        "board": board.name,
        "source_layout": graph.meta.get("source_layout", "NHWC"),
        "arena_size": data["arena_size"],
        "weight_bytes": data["weight_bytes"],
        # --weights-in: of those, the bytes copied to RAM at start-up (.data.tg_weights), and their layers
        "weights_in_ram": {"bytes": data["weights_ram_bytes"],
                           "layers": sorted(graph.meta["weights_in_ram"].layers) if data["weights_ram"] else []},
        "inputs": [port(graph, n) for n in graph.inputs],
        "outputs": [port(graph, n) for n in graph.outputs],
        "layers": [{"name": layer.name, "kernel": layer.kernel, "output_size": layer.output_size}
                   for layer in data["layers"]],
        "frontend": frontend_of(graph).name if frontend_of(graph) else None,     # --frontend (tg info's frontend=)
        # row bands (codegen/tile_loop.py): the input rows each band reads; streamed: the input
        # buffer holds one band's window (tg_model_invoke_band), else the whole input
        "input_bands": _input_bands(data["tile_loop"]),
        # dynamic inference (tinygen/gating): exits (the final classifier counted) and gates
        "exits": data["num_exits"],
        "gates": data["num_gates"],
        "gate_channels": gate_channels(graph),
        # switchable precision: per switch (index = tg_set_switch's k) its own plan, weights and layers
        "switches": [{"index": sw["index"], "name": sw["name"], "arena_size": sw["arena_size"],
                      "weight_bytes": sw["weight_bytes"],
                      "inputs": [port(g, n) for n in g.inputs], "outputs": [port(g, n) for n in g.outputs],
                      "layers": [{"name": layer.name, "kernel": layer.kernel, "output_size": layer.output_size}
                                 for layer in sw["layers"]]}
                     for sw, (_, g) in zip(data["switches"], switch_graphs(graph))] if is_switchable(graph) else [],
    }


MODEL_TEMPLATES = ("model.h.j2", "model.c.j2", "weights.h.j2", "weights.c.j2")


def render_model(data: dict, camera: bool = False, libm: str = "") -> dict[str, str]:
    """The model's four files, named as data["api"] says (model.h ... / NAME.h ...) -> their text:
    the one emitted C that a firmware and a library both package."""
    env = template_env()
    api = data["api"]
    names = (api.header, api.source, api.weights_header, api.weights_source)
    return {out: env.get_template(template).render(**data, camera=camera, libm_macro=libm)
            for template, out in zip(MODEL_TEMPLATES, names)}


def write_project(graph: Graph, dest: Path, model_name: str, source_hash: str, board: Board,
                  model_id: tuple[str, str] | None = None) -> dict:
    """Render the project into `dest` (which must exist and be empty). Returns the manifest.
    `model_id` is (id, where it came from); default the model name."""
    env = template_env()
    model_id = model_id or (default_model_id(model_name), FROM_NAME)
    data = project_data(graph, model_name, source_hash, __version__, model_id[0])
    data["model_id_source"] = model_id[1]
    # --camera: camera.c / camera.h and the front end's firmware (tinygen.codegen.camera)
    camera = write_camera(graph, dest, board, env, model_name, __version__)
    for out, text in render_model(data, camera is not None, libm_macro(graph)).items():
        (dest / out).write_text(text)
    write_board_header(board, dest)
    frontend_files = write_tables(graph, dest)          # --frontend: its tables (else none)
    sources = kernel_sources(graph)
    for rel in sources:
        target = dest / "tinygen" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(firmware_path(rel), target)
    kernel_c = [f"tinygen/{rel}" for rel in sources if rel.endswith(".c")]
    libm_c = copy_firmware(libm_sources(graph), dest)   # `tg libm`: the device images compile it
    if board.build == "host":
        (dest / "tinygen" / "host").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(firmware_path("host/tg_host_runner.c"), dest / "tinygen" / "host" / "tg_host_runner.c")
        # tg_device: the on-device runtime on the stdio port, the protocol over stdin/stdout
        device_c = copy_firmware(runtime_files("stdio", frontend=frontend_of(graph)), dest)
        device_c += [f for f in frontend_files if f.endswith(".c")] + (camera.c_sources if camera else []) + libm_c
        device_includes = " ".join(f"-I{d}" for d in (camera.includes if camera else []))
        (dest / "Makefile").write_text(env.get_template("Makefile.host.j2").render(
            model_name=model_name, version=__version__, cc=board.cc, cflags=" ".join(board.cflags + list(model_flags(graph))),
            kernel_c=kernel_c, device_c=device_c, device_includes=device_includes))
    info = manifest(graph, data, board)
    info["libm"] = list(libm_functions(graph))         # what `tg libm` evaluates ([]: no such command)
    if camera is not None:
        info["camera"] = graph.meta["camera"].to_json()
    if board.user:
        (dest / BOARD_FILE).write_text(board.text)
        info["board_file"] = BOARD_FILE
    (dest / MANIFEST).write_text(json.dumps(info, indent=2) + "\n")
    return info
