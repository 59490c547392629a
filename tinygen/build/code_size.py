"""Flash of a firmware image predicted by compiling and linking its sources, not by a per-layer guess (issue 17).

    flash = compiled_flash(graph, board, name)      # bytes, or None where it cannot compile

The fit-first trade (tinygen/fit/) needs the flash a kernel choice links before the build
links it. The old figure (tinygen.build.memory.code_estimate, a base plus 512 B per kernel
and 64 B per layer) sat 5..28 KB under what linked on the MLPerf Tiny models, so the trade
added a hand-set 1.5 KiB per layer. Summing the objects' sizes is no better the other way:
--gc-sections drops a quarter of KWS's (23% over what links). So here the project is written
to a scratch folder as the build writes it (model.c with its specialized layers, weights.c,
the kernels, the runtime, the port and the linker script), every translation unit of the real
part's image is compiled with that image's exact compiler and flags, and the objects are
linked as the Makefile links them; the flash is the linked image's, counted as the build
counts it (tinygen.build.memory.measure). Every image the build links against the part's flash
is probed so, the real part's and the stand-in's (firmware-emu.elf, whose port links some
300 B more on the F446RE), and the prediction is the larger: the build fails where either
overflows, and a fit on the part's image alone could leave the stand-in's over by up to that
(dscnn under a --flash-budget between the two: "flash overflowed by 200 B when linking
firmware-emu.elf"). The link uses the part's linker script with its flash
and RAM regions enlarged to PROBE_REGION_BYTES (firmware_project.roomy_linker_script: the same
sections in the same order), so an image larger than the part is measured exactly instead of
failing to link: the fit trade needs that figure most (an overflow left it with the estimate,
tens of KB low on the banded MobileNetV2).

Each object is cached (cache_dir()/OBJECT_DIR/<key>.o, tinygen.build.object_cache) under the
SHA-256 of the compiler's version, its flags as the generated Makefile passes them, the source's
path and the translation unit preprocessed with them: the source and every header it includes. A
changed flag, header or toolchain compiles again; an unchanged kernel or runtime file never does,
so a fit round recompiles only model.c and weights.c, and the build that follows finds the real
part's objects there. The cache is the user's (tinygen.resources.cache_dir), never
the repository, and bounded: a hit refreshes the object's time, and after a prediction the
least recently used objects go until the folder holds at most OBJECT_CACHE_BYTES (every
model's model.o and weights.o would otherwise pile up there, one pair per model and kernel
choice): on the process's first, then once it has stored PRUNE_SLACK_BYTES more there
(object_cache.prune_due; a scan stats every file).

The probe's linked image is kept too (cache_dir()/PROBE_DIR/<key>.elf, bounded to
PROBE_CACHE_BYTES likewise), under the SHA-256 of every file of the scratch project (the
sources, headers, Makefile and roomy linker script as written), the compiler's resolved path
and version, the link flags and libraries and the C and compiler libraries it links (path, size,
modification time): the same project probed again (the fit re-predicts a graph it probed,
another process fits the same model) is measured from that image without preprocessing,
compiling or linking anything. Any other written byte, flag or toolchain misses and links anew.

Cortex-M boards only, and models without ESP-NN layers or a front end (their trees and tables
come from other recipes): compiled_flash returns None there and the caller keeps the estimate
and its margin. CMSIS-NN layers are probed like the rest: the Makefile compiles their sources
from the user's tree, whose bytes join the probe's key (without them MobileNetV2 0.35 on the
F446RE, one layer on CMSIS-NN, kept the estimate, 36 KiB low, and overflowed at link time).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from tinygen.board import Board
from tinygen.build.elf import Elf, read_elf
from tinygen.build.firmware_project import Image, roomy_linker_script, write_firmware_project
from tinygen.build.memory import measure
from tinygen.build.object_cache import (OBJECT_DIR, compile_commands, compiler_version, prune, prune_due,
                                        source_objects)
from tinygen.errors import ToolchainError
from tinygen.codegen.project import write_project
from tinygen.ir import Graph
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.resources import cache_dir

# the real build's model id and name strings, unknown here (the scratch project has the graph's
# name): a little room for them
ID_STRINGS_BYTES = 64
# the source hash's place: as long as the real one (tinygen.compiler.graph_hash, 16 hex digits),
# so that the probe's TG_MODEL_HASH string takes the build's bytes (a SHA-256's 64 took 48 more)
PLACEHOLDER_HASH = "0" * 16
# the probe's linked flash and RAM (at least the part's): an image larger than the part is
# measured, not refused, for the fit trade needs its size most (tinygen/fit/)
PROBE_REGION_BYTES = 64 << 20
# the probes' linked images, by the hash of what was linked (probe_key)
PROBE_DIR = "probes"
PROBE_CACHE_BYTES = 64 << 20


@functools.lru_cache(maxsize=None)
def _link_inputs(cc: str, flags: tuple[str, ...]) -> str:
    """The compiler's resolved path and the libraries a link with `flags` takes (libc, libgcc:
    path, size, modification time), asked once per process: what a probe links besides the project."""
    parts = [shutil.which(cc) or cc]
    for lib in ("-print-file-name=libc.a", "-print-libgcc-file-name"):
        path = subprocess.run([cc, *flags, lib], capture_output=True, text=True).stdout.strip()
        try:
            st = os.stat(path)
            parts.append(f"{path} {st.st_size} {st.st_mtime_ns}")
        except OSError:
            parts.append(path)
    return "\n".join(parts)


def probe_key(project: Path, cc: str, ldflags: tuple[str, ...], link: list[str]) -> str:
    """SHA-256 of every file under `project` (path and bytes), the compiler (resolved path,
    version, the libraries it links with `ldflags`) and the link command's flags, script and
    libraries (`link`)."""
    h = hashlib.sha256()
    for part in (cc, compiler_version(cc), _link_inputs(cc, tuple(ldflags)), "\0".join(link)):
        h.update(part.encode() + b"\0\1")
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        h.update(path.relative_to(project).as_posix().encode() + b"\0\2")
        h.update(path.read_bytes())
        h.update(b"\0\3")
    return h.hexdigest()


def compiled_flash(graph: Graph, board: Board, name: str, store: Path | None = None) -> int | None:
    """The flash of the largest image the build links for the part (see the module docstring),
    or None where that is not done (another build recipe, a missing compiler, CMSIS-NN / ESP-NN
    layers, a front end, a compiler error: the build reports it). An image larger than the
    part's flash (or RAM) is measured all the same: the probe links it with PROBE_REGION_BYTES
    of each, sections placed as in the part's script."""
    flashes = image_flashes(graph, board, name, store)
    return None if flashes is None else max(flashes.values())


def image_flashes(graph: Graph, board: Board, name: str, store: Path | None = None) -> dict[str, int] | None:
    """{image file: its flash} for every image the build links against the part's flash (the
    real part's and the stand-in's: the build fails where either overflows, and the stand-in's
    port links a few hundred bytes more), each ID_STRINGS_BYTES above what links; None where
    compiled_flash gives None."""
    if board.build != "cortex-m" or "frontend" in graph.meta:
        return None
    # CMSIS-NN layers: its sources compile from the user's tree (the build's Makefile names it),
    # their bytes in the probe's key (_key); ESP-NN is an ESP-IDF component (another recipe)
    if any(KERNELS_BY_NAME[n.kernel].backend not in ("tinygen", "cmsis-nn") for n in graph.nodes if n.kernel):
        return None
    store = store or cache_dir() / OBJECT_DIR
    with tempfile.TemporaryDirectory(prefix="tinygen-size-") as tmp:
        project = Path(tmp)
        info = write_project(graph, project, name, PLACEHOLDER_HASH, board)
        # an image whose compiler is missing is not measured (the build refuses it, naming the compiler)
        images = [i for i in write_firmware_project(graph, project, name, board).images if not i.toolchain.missing()]
        if not images:
            return None
        # every image's script with room (an image larger than the part links too, laid out
        # alike), all written before any key is taken: each key hashes the whole project
        roomy = [roomy_linker_script(graph, project, board, image, PROBE_REGION_BYTES) for image in images]
        keys = [_key(project, image, ldscript) for image, (ldscript, _) in zip(images, roomy)]
        flashes = {}
        for image, (ldscript, regions), key in zip(images, roomy, keys):
            elf = _kept(key, store) or _link(project, image, ldscript, key, store)
            if elf is None:
                return None
            use = measure(elf, regions, {"flash": 0, "ram": 0}, info["weight_bytes"], board.stack_size)
            flashes[image.elf] = use.regions["flash"].used + ID_STRINGS_BYTES
    return flashes


def _key(project: Path, image: Image, ldscript: str) -> str | None:
    """The image's probe key (probe_key), None where the compiler cannot be asked."""
    tc = image.toolchain
    try:
        outside = sorted({c.source for c in compile_commands(project, image.goal)
                          if not (project / c.source).resolve().is_relative_to(project.resolve())})
        digests = [hashlib.sha256(Path(s).read_bytes()).hexdigest() for s in outside]  # a CMSIS-NN tree's sources
        return probe_key(project, tc.cc, tc.ldflags, [*tc.ldflags, "-T", ldscript, *tc.libs, *outside, *digests])
    except (subprocess.CalledProcessError, OSError):
        return None


def _kept(key: str | None, store: Path) -> Elf | None:
    """The image probed before under `key` (None: not probed, pruned meanwhile or damaged)."""
    if key is None:
        return None
    kept = _probe_store(store) / f"{key}.elf"
    try:
        elf = read_elf(kept)
        os.utime(kept)                  # recently used: the last to be pruned
    except (OSError, ToolchainError):
        return None
    return elf


def _link(project: Path, image: Image, ldscript: str, key: str | None, store: Path) -> Elf | None:
    """The image's objects (cached) linked with `ldscript`, kept under `key`; None on a compiler
    or linker error (the build reports it)."""
    tc = image.toolchain
    out = project / f"size-probe-{image.key}.elf"
    try:
        objs = [str(o) for o in source_objects(compile_commands(project, image.goal), project, store)]
        subprocess.run([tc.cc, *tc.ldflags, "-T", ldscript, "-o", out.name, *objs, *tc.libs],
                       cwd=project, capture_output=True, check=True)
        elf = read_elf(out)
    except (subprocess.CalledProcessError, OSError, ToolchainError):
        return None
    if key is not None:
        _keep_probe(out, key, _probe_store(store))
    prune_due(store)
    return elf


def _probe_store(store: Path) -> Path:
    """The probes' images beside the objects' store (cache_dir()/PROBE_DIR for the default store)."""
    return store.parent / PROBE_DIR


def _keep_probe(linked: Path, key: str, probes: Path) -> None:
    """Store a probe's image as probes/<key>.elf, whole or not at all (beside other processes
    storing the same one), then bound the folder; a read-only or full cache keeps nothing."""
    try:
        probes.mkdir(parents=True, exist_ok=True)
        tmp = probes / f"{key}.{uuid.uuid4().hex[:8]}.tmp"
        shutil.copyfile(linked, tmp)
        os.replace(tmp, probes / f"{key}.elf")
        prune(probes, PROBE_CACHE_BYTES, "*.elf")
    except OSError:
        pass


__all__ = ["ID_STRINGS_BYTES", "PROBE_CACHE_BYTES", "PROBE_DIR", "PROBE_REGION_BYTES", "compiled_flash",
           "image_flashes", "probe_key"]
