"""The firmware files a generated model compiles: each kernel's sources, the headers its spec
names and the headers those include from their own folders (transitively)."""

from __future__ import annotations

import posixpath
import re

from tinygen.ir import Graph
from tinygen.kernels.table import KERNELS_BY_NAME, KernelSpec
from tinygen.resources import firmware_path
from tinygen.switches import switch_graphs

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def _local_includes(rel: str) -> set[str]:
    """The headers a firmware file includes from its own folder, transitively (relative to
    firmware/, kernels by their logical name kernels/<file>): a kernel's private headers need no
    listing in its KernelSpec."""
    found: set[str] = set()
    todo = [rel]
    while todo:
        current = todo.pop()
        path = firmware_path(current)
        if not path.is_file():
            continue
        for name in _INCLUDE.findall(path.read_text()):
            dep = f"{posixpath.dirname(current)}/{name}"
            if dep not in found and firmware_path(dep).is_file():
                found.add(dep)
                todo.append(dep)
    return found


def kernel_files(spec: KernelSpec) -> set[str]:
    """The firmware files (relative to firmware/) one kernel compiles: its sources, those it
    calls, the headers its spec names and those they include."""
    sources = {spec.source, *spec.calls}
    return sources | set(spec.headers) | {h for src in sources for h in _local_includes(src)}


def kernel_sources(graph: Graph) -> list[str]:
    """Firmware files (relative to firmware/, kernels by their flat name kernels/<file>) the
    generated model needs: the kernels' sources, the headers their specs name and those they
    include (every switch's)."""
    specs = [KERNELS_BY_NAME[n.kernel] for _, g in switch_graphs(graph) for n in g.nodes if n.kernel]
    sources = {spec.source for spec in specs} | {src for spec in specs for src in spec.calls}
    base = ["kernels/tg_kernels.h", "kernels/tg_requant.h"]
    headers = ({h for spec in specs for h in spec.headers}
               | {h for src in [*base, *sources] for h in _local_includes(src)})
    return base + sorted(headers - set(base)) + sorted(sources)


__all__ = ["kernel_files", "kernel_sources"]
