"""The compiled model a build folder was made from, kept beside its manifest, so that `tinygen hil
BUILD_DIR` runs that build again without loading, quantizing or compiling anything.

    save_model(stage, source, graph)              # tinygen.compiler.build, into every build
    source, graph, manifest = load_model(project, board)

The file holds what the harness needs to quantize inputs and compute the reference: the source
model as the frontend delivered it (names, shapes, layout; its path made absolute, for the
TFLite Micro and onnxruntime checks) and the compiled graph. It is a pickle: like the build's
runner and firmware, which hil executes anyway, a build folder is trusted as tinygen wrote it.
It is read only when the manifest is this tinygen's build format for this board, and only
by the tinygen version that wrote it (the classes it holds may change between versions).
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

from tinygen import __version__
from tinygen.board import Board
from tinygen.build.built import check_built
from tinygen.errors import TinygenError

SAVED = "tinygen.model.pickle"


def save_model(stage: Path, source, graph) -> None:
    """Write the source model (without its calibration samples) and the compiled graph."""
    kept = replace(source, path=Path(source.path).absolute(), default_calibration=None)
    (stage / SAVED).write_bytes(pickle.dumps({"tinygen_version": __version__, "source": kept, "graph": graph},
                                             protocol=pickle.HIGHEST_PROTOCOL))


def load_model(project: str | Path, board: Board) -> tuple:
    """(source, compiled graph, manifest) of the build in `project`, checked to be for `board`
    (tinygen.build.built.check_built); a one-line TinygenError when it cannot be run as it is."""
    project = Path(project)
    manifest = check_built(project, board)
    rebuild = f"build it again: tinygen build MODEL --board {board.name} -o {project}"
    path = project / SAVED
    if not path.is_file():
        raise TinygenError(f"{project} holds no compiled model ({SAVED}): it was built before tinygen kept one",
                           rebuild)
    try:
        saved = pickle.loads(path.read_bytes())
    except Exception as e:      # a truncated or foreign file: whatever unpickling raises
        raise TinygenError(f"{path} cannot be read ({type(e).__name__}): the build folder is damaged",
                           rebuild) from None
    if not isinstance(saved, dict) or saved.get("tinygen_version") != __version__:
        found = saved.get("tinygen_version") if isinstance(saved, dict) else None
        raise TinygenError(f"{path} was written by tinygen {found or 'of unknown version'}; this is tinygen "
                           f"{__version__}", rebuild)
    return saved["source"], saved["graph"], manifest


__all__ = ["SAVED", "load_model", "save_model"]
