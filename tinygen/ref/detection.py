"""numpy twin of tg_detection_postprocess_f32 (TFLite Micro's DETECTION_POSTPROCESS, the custom
operator "TFLite_Detection_PostProcess" that ends an SSD detector): the box encodings decoded
against the anchors, then fast (one NMS over each anchor's best classes) or regular (one NMS per
class) non-max suppression, written as one packed float32 tensor

    [boxes: slots x (ymin, xmin, ymax, xmax) | classes: slots | scores: slots | number of detections]

(the importer slices the four outputs out of it; tinygen.frontend.tflite.ops_detection).

The arithmetic is TFLite Micro's, operation by operation: the centres and half sizes in double
(the division, product and sum in that order, the C library's double exp) rounded to float once,
the corners and the intersection over union in float32; and its orderings: the boxes above the
score threshold sorted by decreasing score with ties in index order (its merge sort is stable),
each anchor's classes and the kept detections by decreasing score, ties to the lower index (its
partial sorts compare (score, index)). Scores are assumed not NaN (TFLite Micro's sorts are not
defined on them). Where TFLite Micro leaves an output slot unwritten, the kernel writes 0; where
it fails the inference (a decoded box with ymin >= ymax or xmin >= xmax), the kernel writes 0
detections (every slot 0) and returns 1."""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

F32 = np.float32

_LIBM = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
_LIBM.exp.restype = ctypes.c_double
_LIBM.exp.argtypes = (ctypes.c_double,)


def exp_double(v: float) -> float:
    """The C library's double exp (the host's: the one the tflite-micro package and a host build
    call; glibc's and newlib's are both ARM's optimized-routines exp)."""
    return _LIBM.exp(float(v))


def decode_boxes(p: dict, boxes, anchors) -> np.ndarray:
    """The corners [N, 4] (ymin, xmin, ymax, xmax) of the centre-size box encodings [N, stride]
    against the anchors [N, 4] (y, x, h, w), as DecodeCenterSizeBoxes."""
    enc = np.asarray(boxes, F32).reshape(p["num_boxes"], p["box_stride"])
    anc = np.asarray(anchors, F32).reshape(p["num_boxes"], 4)
    sy, sx, sh, sw = (float(F32(p[k])) for k in ("y_scale", "x_scale", "h_scale", "w_scale"))
    out = np.empty((p["num_boxes"], 4), F32)
    for i in range(p["num_boxes"]):
        y, x, h, w = (float(v) for v in enc[i, :4])
        ay, ax, ah, aw = (float(v) for v in anc[i])
        ycenter = F32(y / sy * ah + ay)
        xcenter = F32(x / sx * aw + ax)
        half_h = F32(0.5 * exp_double(h / sh) * ah)
        half_w = F32(0.5 * exp_double(w / sw) * aw)
        out[i] = (ycenter - half_h, xcenter - half_w, ycenter + half_h, xcenter + half_w)
    return out


def _iou(boxes: np.ndarray, i: int, j: int) -> F32:
    """ComputeIntersectionOverUnion in float32 (std::max / std::min as they pick on ties)."""
    bi, bj = boxes[i], boxes[j]
    area_i = F32((bi[2] - bi[0]) * (bi[3] - bi[1]))
    area_j = F32((bj[2] - bj[0]) * (bj[3] - bj[1]))
    if area_i <= 0 or area_j <= 0:
        return F32(0.0)
    ymin = bj[0] if bi[0] < bj[0] else bi[0]
    xmin = bj[1] if bi[1] < bj[1] else bi[1]
    ymax = bj[2] if bj[2] < bi[2] else bi[2]
    xmax = bj[3] if bj[3] < bi[3] else bi[3]
    dy, dx = F32(ymax - ymin), F32(xmax - xmin)
    dy, dx = (F32(0.0) if dy < 0 else dy), (F32(0.0) if dx < 0 else dx)
    inter = F32(dy * dx)
    return F32(inter / F32(F32(area_i + area_j) - inter))


def decreasing_order(values: np.ndarray) -> np.ndarray:
    """Indices by decreasing value, ties in index order (TFLite Micro's stable merge sort and its
    partial sorts comparing (value, index) agree on it)."""
    return np.argsort(-np.asarray(values, F32), kind="stable")


def nms_single_class(p: dict, boxes: np.ndarray, scores: np.ndarray, max_detections: int) -> list[int]:
    """NonMaxSuppressionSingleClassHelper: the anchors selected, best first."""
    threshold, iou_threshold = F32(p["score_threshold"]), F32(p["iou_threshold"])
    keep = [i for i in range(len(scores)) if scores[i] >= threshold]
    order = decreasing_order(scores[keep]) if keep else np.zeros(0, np.int64)
    active = [True] * len(keep)
    remaining, selected = len(keep), []
    output_size = min(len(keep), max_detections)
    for i in range(len(keep)):
        if remaining == 0 or len(selected) >= output_size:
            break
        if not active[i]:
            continue
        selected.append(keep[order[i]])
        active[i] = False
        remaining -= 1
        for j in range(i + 1, len(keep)):
            if active[j] and _iou(boxes, keep[order[i]], keep[order[j]]) > iou_threshold:
                active[j] = False
                remaining -= 1
    return selected


def detection_postprocess_f32(p: dict, boxes, scores, anchors) -> np.ndarray:
    """Mirrors tg_detection_postprocess_f32: float32 [6 * slots + 1], packed as the module says."""
    n, slots = p["num_boxes"], p["slots"]
    out = np.zeros(6 * slots + 1, F32)
    decoded = decode_boxes(p, boxes, anchors)
    if np.any(decoded[:, 0] >= decoded[:, 2]) or np.any(decoded[:, 1] >= decoded[:, 3]):
        return out                      # TFLite Micro's ValidateBoxes fails the inference
    table = np.asarray(scores, F32).reshape(n, p["classes_with_background"])
    offset, classes = p["classes_with_background"] - p["num_classes"], p["num_classes"]
    found: list[tuple[int, int, F32]] = []      # (slot, anchor, class, score) rows in slot order
    if p["regular"]:
        picked: list[tuple[int, F32]] = []      # (anchor * classes_with_background + column, score)
        for col in range(classes):
            column = table[:, col + offset]
            for s in nms_single_class(p, decoded, column, p["detections_per_class"]):
                picked.append((s * p["classes_with_background"] + col + offset, column[s]))
            order = decreasing_order(np.array([v for _, v in picked], F32))[:min(len(picked), p["max_detections"])]
            picked = [picked[k] for k in order]
        for slot, (index, score) in enumerate(picked):
            anchor = index // p["classes_with_background"]
            found.append((slot, anchor, index - anchor * p["classes_with_background"] - offset, score))
        count = len(picked)
    else:
        per_anchor = min(p["max_classes_per_detection"], classes)
        best = [decreasing_order(table[row, offset:offset + classes])[:per_anchor] for row in range(n)]
        max_scores = np.array([table[row, offset + best[row][0]] for row in range(n)], F32)
        count = 0
        for s in nms_single_class(p, decoded, max_scores, p["max_detections"]):
            for col in range(per_anchor):
                # TFLite Micro's slot: per_anchor * (the running count) + col
                found.append((per_anchor * count + col, s, int(best[s][col]), table[s, offset + best[s][col]]))
                count += 1
    for slot, anchor, cls, score in found:
        out[4 * slot:4 * slot + 4] = decoded[anchor]
        out[4 * slots + slot] = F32(cls)
        out[5 * slots + slot] = score
    out[6 * slots] = F32(count)
    return out


def written_slots(spec: dict, slots: int, count: int) -> np.ndarray:
    """Which of an output's `slots` TFLite Micro writes when it detects `count` (spec: the
    graph.meta["tflm_unwritten"] entry the importer leaves): regular NMS the first
    max_detections, fast NMS per_anchor * k + k % per_anchor for each k < count; the others keep
    whatever its arena held (tinygen writes 0 there)."""
    written = np.zeros(slots, bool)
    if spec["regular"]:
        written[:spec["max_detections"]] = True
    else:
        k = np.arange(count)
        at = spec["per_anchor"] * k + k % spec["per_anchor"]
        written[at[at < slots]] = True
    return written
