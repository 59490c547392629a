"""Weight (constant data) reads from flash through the cache that code shares: the ESP32-C3.

QEMU's log has no data addresses, so the reads are priced from each layer's known access
pattern instead: the flash bytes of the constants its kernel reads (KernelSpec.const_roles:
packed weights, biases, requantization tables) and how many times the kernel streams through
them in one run.
The RV32 convolutions (tg_conv2d_s8_rv32 and the fully connected / fused-add kernels built
on its body, firmware/kernels/conv/tg_conv2d_s8_rv32.h) take output pixels in groups of at
most TG_RV32_PIXELS and read every channel block's weights once per group (counted as
pixels / TG_RV32_PIXELS passes: the padded edge pixels, taken one by one, make more); the
portable tg_conv2d_s8, tg_conv2d_add_s8 and tg_fully_connected_s8 read them once per output
pixel (row), as TFLite Micro's reference kernels do; every other kernel
(tg_conv2d_1x1_s8_rv32 among them: channel blocks outermost) is taken to read its constants
once.

Misses, as tinygen.cycles.memory prices code: a layer whose constants fit in the cache
beside its code misses once per line (cold: the weights of a model ten times the cache
cannot stay there from one inference to the next); a larger one also misses, on every
further pass, in proportion to the overflow (as if lines were evicted uniformly; an LRU
cache streamed cyclically misses on every line, so this side is a lower bound). Each miss
costs the board's `flash_wait_states`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinygen.kernels.rv32 import PIXELS
from tinygen.kernels.table import KERNELS_BY_NAME

RV32_PIXELS = PIXELS            # TG_RV32_PIXELS in tg_conv2d_s8_rv32.h: output pixels per weight pass
# kernel -> output pixels (fully connected: rows) per pass over the layer's constants
PIXELS_PER_PASS = {"tg_conv2d_s8_rv32": RV32_PIXELS, "tg_conv2d_add_s8_rv32": RV32_PIXELS,
                   "tg_fully_connected_s8_rv32": RV32_PIXELS,
                   "tg_conv2d_s8": 1, "tg_conv2d_add_s8": 1, "tg_fully_connected_s8": 1}


@dataclass(frozen=True)
class Stream:
    """One layer's constant bytes and the number of times its kernel reads them per run."""
    name: str
    kernel: str
    bytes: int
    passes: int


def streams(graph) -> list[Stream]:
    """Per layer with a kernel, in the order the firmware runs them (tg layers)."""
    out = []
    for node in graph.nodes:
        if not node.kernel:
            continue
        spec = KERNELS_BY_NAME[node.kernel]
        consts = [(role, graph.const(node, role)) for role in spec.const_roles]      # what the kernel reads
        size = sum(spec.stored_bytes(role, data) for role, data in consts if data is not None)
        passes = 1
        if node.kernel in PIXELS_PER_PASS:
            shape = graph.tensors[node.outputs[0]].shape
            pixels = math.prod(shape[:-1])                      # N x H x W (or the rows of a fully connected)
            passes = max(1, -(-pixels // PIXELS_PER_PASS[node.kernel]))
        out.append(Stream(node.name, node.kernel, int(size), passes))
    return out


def weight_stall_cycles(stream: Stream, code_bytes: int, timing: dict) -> float:
    """The flash miss cycles of one run of the layer's constant reads."""
    penalty = int(timing.get("flash_wait_states", 0))
    line = int(timing.get("code_line_bytes", 32))
    if penalty == 0 or stream.bytes == 0:
        return 0.0
    lines = -(-stream.bytes // line)
    room = max(int(timing.get("code_cache_bytes", 0)) - code_bytes, 0)
    misses = float(lines)
    if stream.bytes > room and stream.passes > 1:
        misses += (stream.passes - 1) * lines * (1.0 - room / stream.bytes)
    return misses * penalty


__all__ = ["PIXELS_PER_PASS", "RV32_PIXELS", "Stream", "streams", "weight_stall_cycles"]
