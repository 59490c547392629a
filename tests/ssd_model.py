"""A small SSD-like .tflite model for the DETECTION_POSTPROCESS tests (no TensorFlow needed): an
int8 body (two 1x1 convolutions over a 4x4 feature map, one for the box encodings of two
anchors per cell, one for their class scores), DEQUANTIZE into float32, a float32 LOGISTIC on
the scores, and DETECTION_POSTPROCESS with anchors as a constant: its four float32 outputs are
the model's."""

from __future__ import annotations

import numpy as np

from tflite_builder import ModelBuilder

CELLS, PER_CELL, CLASSES, DEPTH = 4, 2, 3, 8
ANCHORS = CELLS * CELLS * PER_CELL


def anchors() -> np.ndarray:
    """[N, 4] (y, x, h, w): two boxes per cell of the 4x4 grid, overlapping their neighbours'."""
    rows = []
    for r in range(CELLS):
        for c in range(CELLS):
            for h, w in ((0.4, 0.4), (0.3, 0.6)):
                rows.append(((r + 0.5) / CELLS, (c + 0.5) / CELLS, h, w))
    return np.array(rows, np.float32)


def _conv(b: ModelBuilder, rng, x: int, channels: int, name: str, out_scale: float) -> int:
    w = b.tensor(f"{name}_w", [channels, 1, 1, DEPTH], scale=rng.uniform(0.001, 0.003, channels).tolist(),
                 zero_point=[0] * channels, axis=0, data=rng.integers(-127, 128, [channels, 1, 1, DEPTH]))
    y = b.tensor(name, [1, CELLS, CELLS, channels], scale=out_scale, zero_point=int(rng.integers(-10, 10)))
    b.op("CONV_2D", [x, w, -1], [y], "Conv2DOptions", StrideH=1, StrideW=1)
    return y


def ssd_model(regular: bool, max_detections: int = 6, seed: int = 7, background: bool = True,
              per_detection: int = 1, iou: float = 0.5, slots: int | None = None) -> bytes:
    rng = np.random.default_rng(seed)
    b = ModelBuilder(f"tinygen test: ssd {'regular' if regular else 'fast'} nms")
    columns = CLASSES + int(background)
    x = b.tensor("image_features", [1, CELLS, CELLS, DEPTH], scale=0.05, zero_point=-5)
    enc = _conv(b, rng, x, 4 * PER_CELL, "box_head", 0.02)
    cls = _conv(b, rng, x, columns * PER_CELL, "class_head", 0.03)
    enc_r = b.tensor("box_encodings", [1, ANCHORS, 4], scale=b.tensors[enc].scale[0],
                     zero_point=b.tensors[enc].zero_point[0])
    cls_r = b.tensor("class_logits", [1, ANCHORS, columns], scale=b.tensors[cls].scale[0],
                     zero_point=b.tensors[cls].zero_point[0])
    b.op("RESHAPE", [enc, b.tensor("box_shape", [3], "int32", data=np.array([1, ANCHORS, 4], np.int32))], [enc_r])
    b.op("RESHAPE", [cls, b.tensor("class_shape", [3], "int32", data=np.array([1, ANCHORS, columns], np.int32))],
         [cls_r])
    enc_f, logits = b.tensor("boxes_float", [1, ANCHORS, 4], "float32"), b.tensor("logits", [1, ANCHORS, columns],
                                                                                    "float32")
    scores = b.tensor("scores", [1, ANCHORS, columns], "float32")
    b.op("DEQUANTIZE", [enc_r], [enc_f])
    b.op("DEQUANTIZE", [cls_r], [logits])
    b.op("LOGISTIC", [logits], [scores])
    d = slots if slots is not None else max_detections * per_detection * per_detection
    outs = [b.tensor("detection_boxes", [1, d, 4], "float32"), b.tensor("detection_classes", [1, d], "float32"),
            b.tensor("detection_scores", [1, d], "float32"), b.tensor("num_detections", [1], "float32")]
    options = {"max_detections": max_detections, "max_classes_per_detection": per_detection,
               "detections_per_class": 4, "use_regular_nms": regular, "nms_score_threshold": 0.3,
               "nms_iou_threshold": iou, "num_classes": CLASSES, "y_scale": 10.0, "x_scale": 10.0,
               "h_scale": 5.0, "w_scale": 5.0}
    b.op("CUSTOM:TFLite_Detection_PostProcess",
         [enc_f, scores, b.tensor("anchors", [ANCHORS, 4], "float32", data=anchors())], outs, custom_options=options)
    return b.finish([x], outs)
