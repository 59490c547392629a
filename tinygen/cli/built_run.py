"""`tinygen hil BUILD_DIR`: run an existing build (the -o folder of `tinygen build`) as it is.

The model, its quantization and the C are the folder's own (tinygen.build.saved keeps the
compiled model beside the manifest): nothing is loaded, quantized or compiled again, so an
option that would change the build (the model and build groups of --help, -o) is refused in
one line rather than silently ignored.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tinygen.cli.common import add_compile_args
from tinygen.errors import TinygenError, UsageError


def is_build_dir(args) -> bool:
    """The command names a folder (a build) rather than a model file."""
    return getattr(args, "model", None) is not None and Path(args.model).is_dir()


def _build_options() -> list[argparse.Action]:
    p = argparse.ArgumentParser(add_help=False)
    groups = add_compile_args(p, device=True)
    return [a for g in (groups.model, groups.build) for a in g._group_actions if a.dest != "model"]


def check_rerun(args) -> None:
    """Refuse what a build folder cannot honour: build options, -o, --sweep (it builds variants), audio."""
    given = [a for a in _build_options() if getattr(args, a.dest, a.default) != a.default]
    if getattr(args, "output", None):
        raise UsageError(f"-o: {args.model} is a build folder, run as it is",
                         "leave out -o, or give the model file to build it again")
    if given:
        spelled = ", ".join(a.option_strings[-1] for a in given)
        raise UsageError(f"{spelled}: {args.model} is a build folder, run as it was built",
                         "leave these out, or give the model file to build it again with them")
    if getattr(args, "sweep", None):
        raise UsageError(f"--sweep: {args.model} is a build folder, run as it was built; --sweep builds a variant "
                         "per gate density or exit threshold", "give the model file")
    if getattr(args, "audio", None) or getattr(args, "stream", None) or getattr(args, "reference", False):
        raise UsageError(f"{args.model} is a build folder: audio runs (--audio / --stream) take the model file",
                         "give the model file, or precomputed features with --data")


def load_build(args, board, progress) -> tuple:
    """(source, compiled graph, BuildResult) of the build folder args.model, for `board`."""
    from tinygen.build.saved import load_model
    from tinygen.compiler import BuildResult

    source, graph, manifest = load_model(args.model, board)
    checked = {".tflite": not getattr(args, "no_tflm", False), ".onnx": True}.get(Path(source.path).suffix, False)
    if checked and not Path(source.path).is_file():     # TFLite Micro / onnxruntime run the model file itself
        raise TinygenError(f"{args.model} was built from {source.path}, which is gone: the check against "
                           f"{'TFLite Micro' if source.path.suffix == '.tflite' else 'onnxruntime'} runs that file",
                           "put it back" + (", or add --no-tflm" if source.path.suffix == ".tflite" else ""))
    progress(f"running the build in {args.model} ({manifest['model']} for {manifest['board']}) as it is")
    return source, graph, BuildResult(Path(args.model), manifest)


__all__ = ["check_rerun", "is_build_dir", "load_build"]
