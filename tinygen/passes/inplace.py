"""Which kernels may write their output over an input they are the last to read.

A kernel's output may start D bytes below such an input and overlap it when
writing output byte p can only destroy input bytes no later output byte reads.
The rule therefore depends on the C loop order, so it is stated per kernel (a
kernel not listed here never overlaps, e.g. the DSP variants). Every kernel
listed below was read in firmware/kernels/ and

  * writes its output once, in increasing address order, as the last step of
    computing that byte (no partial results stored in the output), and
  * reads only the input bytes of the output byte it is computing;
  * takes no `restrict` pointers, so aliased input and output are legal C.

With the output D bytes below the input, writing output byte p overwrites
input byte p - D. That is safe when every output byte after p reads only input bytes
at or above p - D + 1, i.e. D >= p' - minin(p') for every output byte p', where
minin(p') is the lowest input byte p' reads.

  ELEMENTWISE: output byte i reads input byte i only (same size, same shape for
      the strided kernels), so D = 0: the output may take the input's place.
  WINDOWED: NHWC convolutions writing out[(oy * out_w + ox) * out_c + oc] in that
      loop order; minin is the first in-bounds window row and column, channel 0
      (conv2d) or oc / depth_multiplier (depthwise).
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph, Node

# same-index elementwise kernels (flat loop over i, or the strided 4-D loop, which
# is flat when the input has the output's shape)
ELEMENTWISE = frozenset({"tg_add_s8", "tg_clamp_s8", "tg_logistic_s8", "tg_hard_swish_s8",
                         "tg_requantize_s8"})
ELEMENTWISE_STRIDED = frozenset({"tg_add_broadcast_s8", "tg_mul_s8"})
# sliding-window kernels with the out_y, out_x, out_c loop order
WINDOWED = {"tg_conv2d_s8": "conv2d", "tg_depthwise_conv2d_s8": "depthwise"}


def _first_in_bounds(origin: np.ndarray, dilation: int) -> np.ndarray:
    """First window position at or after 0 for windows starting at origin."""
    skip = np.where(origin < 0, (-origin + dilation - 1) // dilation, 0)
    return origin + skip * dilation


def _window_distance(node: Node) -> int:
    k = node.attrs["kparams"]
    oy = np.arange(k["out_h"])[:, None, None]
    ox = np.arange(k["out_w"])[None, :, None]
    oc = np.arange(k["out_c"])[None, None, :]
    y = _first_in_bounds(oy * k["stride_h"] - k["pad_top"], k["dilation_h"])
    x = _first_in_bounds(ox * k["stride_w"] - k["pad_left"], k["dilation_w"])
    ci = oc // k["depth_multiplier"] if WINDOWED[node.kernel] == "depthwise" else 0 * oc
    minin = (y * k["in_w"] + x) * k["in_c"] + ci
    p = (oy * k["out_w"] + ox) * k["out_c"] + oc
    # windows wholly in the padding read nothing and constrain nothing
    reads = (y < k["in_h"]) & (x < k["in_w"]) & (oc >= 0)
    return int(max(0, np.max(np.where(reads, p - minin, 0))))


def overlap_distance(graph: Graph, node: Node, tensor: str) -> int | None:
    """Bytes the output of `node` must start below input `tensor` to overlap it
    safely, or None when this kernel may not overlap that input. The caller
    checks that `node` is the last reader of the input's storage."""
    if len(node.outputs) != 1 or node.kernel is None:
        return None
    out, inp = graph.tensors[node.outputs[0]], graph.tensors[tensor]
    if out.dtype != "int8" or inp.dtype != "int8":
        return None
    if node.kernel in ELEMENTWISE:
        return 0 if inp.nbytes == out.nbytes else None
    if node.kernel in ELEMENTWISE_STRIDED:
        return 0 if tuple(inp.shape) == tuple(out.shape) else None
    if node.kernel in WINDOWED and tensor == node.inputs[0]:
        return _window_distance(node)
    return None
