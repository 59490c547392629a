"""Parameters and scratch of tg_detection_postprocess_f32 (TFLite Micro's DETECTION_POSTPROCESS,
firmware/kernels/detection/; numpy twin tinygen.ref.detection), registered in
params_float.FLOAT_BUILDERS, and its KernelSpec (appended to the catalogue by tinygen.kernels.table)."""

from __future__ import annotations

from tinygen.ir import Graph, Node
from tinygen.kernels.params_float import float_builder
from tinygen.kernels.spec import KernelSpec

HEADER = "kernels/tg_kernels_detection.h"
# the node's attributes the kernel's parameter struct copies, in its order
INT_FIELDS = ("num_classes", "max_detections", "max_classes_per_detection", "detections_per_class", "regular")
FLOAT_FIELDS = ("score_threshold", "iou_threshold", "y_scale", "x_scale", "h_scale", "w_scale")


@float_builder("detection_postprocess")
def _detection_postprocess(graph: Graph, node: Node) -> dict:
    boxes, scores = (graph.tensor(t).shape for t in node.inputs)
    out = graph.tensor(node.outputs[0]).size
    p = {"num_boxes": boxes[1], "box_stride": boxes[2], "classes_with_background": scores[2]}
    p.update({k: int(node.attrs[k]) for k in INT_FIELDS})
    p["slots"] = (out - 1) // 6
    p.update({k: float(node.attrs[k]) for k in FLOAT_FIELDS})
    return p


def detection_scratch_bytes(p: dict) -> int:
    """The kernel's scratch: (9 N + 2 K + (regular: 4 K; fast: N per_anchor + classes)) words,
    K = max_detections + N (tg_kernels_detection.h)."""
    n, big = p["num_boxes"], p["max_detections"] + p["num_boxes"]
    per_anchor = min(p["max_classes_per_detection"], p["num_classes"])
    extra = 4 * big if p["regular"] else n * per_anchor + p["num_classes"]
    return 4 * (9 * n + 2 * big + extra)


def detection_kernels() -> tuple[KernelSpec, ...]:
    return (KernelSpec("tg_detection_postprocess_f32", "detection_postprocess", act_dtype="float32",
                       struct="tg_detection_postprocess_f32_params_t", const_roles=("anchors",),
                       source="kernels/tg_detection_postprocess_f32.c", headers=(HEADER,),
                       scratch=detection_scratch_bytes),)
