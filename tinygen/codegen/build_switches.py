"""Per-build switches of out-of-line kernels: a C macro a kernel header tests, 1 (the general
code) unless the build passes -D<NAME>=0.

An out-of-line kernel is one copy for every layer that calls it, so a code path that only some
layers need (the sign's ADD: tinygen.codegen.sign_add; the low-bit finer bias:
tinygen.codegen.bias_shift) can go only where no layer of the firmware (every switch's) whose
kernel compiles the header testing the macro needs it. A switch names its macro, that header
(relative to firmware/) and `off(node)`: whether the layer runs the same without the path.
One copy either way: no flash for a second one.
"""

from __future__ import annotations

from typing import Iterable, Protocol

from tinygen.codegen.kernel_files import kernel_files
from tinygen.ir import Graph, Node
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.switches import switch_graphs


class BuildSwitch(Protocol):
    name: str                 # the C macro, 1 unless the build defines it 0
    header: str               # the firmware header (relative to firmware/) that tests it

    def off(self, node: Node) -> bool:
        """Whether `node` (a layer compiling the header) runs the same with the macro 0."""


def switches_off(graph: Graph, switches: Iterable[BuildSwitch]) -> list[str]:
    """The names of `switches` this build sets to 0: some layer compiles the switch's header,
    and every such layer is off (switch.off)."""
    layers = [n for _, g in switch_graphs(graph) for n in g.nodes if n.kernel]
    files = {k: kernel_files(KERNELS_BY_NAME[k]) for k in {n.kernel for n in layers}}
    out = []
    for s in switches:
        reaching = [n for n in layers if s.header in files[n.kernel]]
        if reaching and all(s.off(n) for n in reaching):
            out.append(s.name)
    return out


def off_flags(names: Iterable[str]) -> tuple[str, ...]:
    """The compile flags setting `names` to 0 (the generated build adds them to CFLAGS)."""
    return tuple(f"-D{name}=0" for name in names)


__all__ = ["BuildSwitch", "off_flags", "switches_off"]
