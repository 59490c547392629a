"""The PyTorch importer's handlers for dynamic inference (tinygen.nn.gating's custom ops):
`tinygen::channel_gate` -> a channel_gate node, `tinygen::exit_select` -> an exit_select node.
"""

from __future__ import annotations

from tinygen.errors import ModelError
from tinygen.frontend.torch_values import _Act, ir_shape
from tinygen.nn.gating import check_threshold


def channel_gate(im, a: dict, node) -> _Act:
    s = im._act(a["saliency"], "saliency")
    if len(s.tshape) != 2 or s.tshape[0] != 1:
        raise im._unsupported(f"a gate's saliency must be [1, C], got {list(s.tshape)}")
    k, threshold = int(a["k"]), check_threshold(float(a["threshold"]))
    if not 0 <= k <= s.tshape[1]:
        raise ModelError(f"gate keeps k={k} of {s.tshape[1]} channels", hint="density must be in (0, 1]")
    attrs = {"mode": "topk" if k > 0 else "threshold", "k": k, "threshold": threshold}
    return _Act(im._emit("channel_gate", "gate", [s.name], ir_shape(s.tshape), attrs), s.tshape)


def exit_select(im, a: dict, node) -> _Act:
    probs = [im._act(p, "exit heads") for p in a["probs"]]
    thresholds = tuple(check_threshold(float(t), "exit threshold") for t in a["thresholds"])
    if len(thresholds) != len(probs) - 1 or len({p.tshape for p in probs}) != 1:
        raise im._unsupported("exit_select takes heads of one shape and a threshold for each but the last")
    name = im._emit("exit_select", "exit", [p.name for p in probs], ir_shape(probs[-1].tshape),
                    {"thresholds": thresholds})
    return _Act(name, probs[-1].tshape)
