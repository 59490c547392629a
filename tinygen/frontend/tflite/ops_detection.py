"""TFLite's DETECTION_POSTPROCESS (the CUSTOM operator "TFLite_Detection_PostProcess" that ends
an SSD detector, TFLite Micro's detection_postprocess.cc) on float32: its options a flexbuffer
map read as TFLite Micro's Init reads them (detections_per_class 100 and use_regular_nms false
where absent). One IR node computes the four outputs packed in one float32 tensor
(tinygen.ref.detection); a strided slice and a reshape give each of the file's outputs."""

from __future__ import annotations

import math

from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.ops_signal import SignalOps
from tinygen.frontend.tflite.reader import TYPE_NAMES
from tinygen.ir import Kind, Node, Tensor

DETECTION_CUSTOM = "TFLite_Detection_PostProcess"
# options TFLite Micro reads without a default
REQUIRED = ("max_detections", "max_classes_per_detection", "nms_score_threshold", "nms_iou_threshold", "num_classes",
            "y_scale", "x_scale", "h_scale", "w_scale")


class DetectionOps(SignalOps):
    """detection_postprocess (Importer.operator calls it for DETECTION_CUSTOM)."""

    def detection_postprocess(self, i, op, ins, outs, source) -> list[Node]:
        if len(ins) != 3 or len(outs) != 4:
            raise ModelError(f"{self.where}has {len(ins)} inputs and {len(outs)} outputs; expected 3 and 4")
        for k in list(ins) + list(outs):
            if self.tensor(k).Type() != TensorType.FLOAT32:
                raise UnsupportedOpError(f"{self.where}tensor {self.tname(k)!r} is "
                                         f"{TYPE_NAMES.get(self.tensor(k).Type())}; TFLite Micro's DETECTION_POSTPROCESS "
                                         "takes and gives float32 only", "DEQUANTIZE its inputs first (as the "
                                         "TFLite converter does)")
        boxes, scores = self.activation(ins[0]), self.activation(ins[1])
        if not self.is_const(ins[2]):
            raise UnsupportedOpError(f"{self.where}the anchors {self.tname(ins[2])!r} are not a constant")
        opts = self.custom_options(op)
        missing = [k for k in REQUIRED if k not in opts]
        if missing:
            raise ModelError(f"{self.where}its custom options lack {', '.join(missing)}")
        attrs = {"num_classes": int(opts["num_classes"]), "max_detections": int(opts["max_detections"]),
                 "max_classes_per_detection": int(opts["max_classes_per_detection"]),
                 "detections_per_class": int(opts.get("detections_per_class", 100)),
                 "regular": int(bool(opts.get("use_regular_nms", False))),
                 "score_threshold": float(opts["nms_score_threshold"]),
                 "iou_threshold": float(opts["nms_iou_threshold"])}
        attrs.update({f"{axis}_scale": float(opts[f"{axis}_scale"]) for axis in "yxhw"})
        b_shape, s_shape = self.graph.tensors[boxes].shape, self.graph.tensors[scores].shape
        a_shape = self.shape(ins[2])
        n = b_shape[1] if len(b_shape) == 3 else 0
        if len(b_shape) != 3 or b_shape[0] != 1 or b_shape[2] < 4 or len(s_shape) != 3 or s_shape[:2] != (1, n) \
                or a_shape != (n, 4):
            raise ModelError(f"{self.where}box encodings {list(b_shape)}, scores {list(s_shape)} and anchors "
                             f"{list(a_shape)}; expected [1, N, >= 4], [1, N, classes] and [N, 4]")
        self._check_detection(attrs, s_shape[2])
        slots = self.shape(outs[1])[-1] if self.shape(outs[1]) else 0
        per_anchor = min(attrs["max_classes_per_detection"], attrs["num_classes"])
        needed = attrs["max_detections"] if attrs["regular"] else per_anchor * per_anchor * attrs["max_detections"]
        shapes = [self.shape(k) for k in outs]
        if shapes[:3] != [(1, slots, 4), (1, slots), (1, slots)] or math.prod(shapes[3]) != 1 or slots < needed:
            raise ModelError(f"{self.where}outputs of shapes {[list(s) for s in shapes]}; expected [1, D, 4], [1, D], "
                             f"[1, D] and [1] with D >= {needed} (TFLite Micro writes that many detections)")
        anchors = self.const(ins[2], f"detection_{i}", "anchors", "float32")
        packed = self.graph.unique_name(f"detection_{i}")
        self.graph.add_tensor(Tensor(packed, (6 * slots + 1,), "float32", Kind.ACTIVATION))
        node = Node(packed, "detection_postprocess", [boxes, scores], [packed], attrs, [{"anchors": anchors}], source)
        self.graph.nodes.append(node)
        nodes, written = [], self.graph.meta.setdefault("tflm_unwritten", {})
        for out, begin, size, what in zip(outs, (0, 4 * slots, 5 * slots, 6 * slots), (4 * slots, slots, slots, 1),
                                          ("boxes", "classes", "scores", "count")):
            part = self.graph.unique_name(f"{packed}_{what}_packed")
            self.graph.add_tensor(Tensor(part, (size,), "float32", Kind.ACTIVATION))
            self.graph.nodes.append(Node(part, "strided_slice", [packed], [part], {"begin": [begin], "strides": [1]},
                                         [{}], source))
            shaped = self.new_activation(out, f"{packed}_{what}")       # the file's tensor: the same bytes
            nodes.append(Node(shaped, "reshape", [part], [shaped], {}, [{}], source))
            self.graph.nodes.append(nodes[-1])
            if what != "count":         # the slots TFLite Micro writes follow from its count (written_slots)
                written[shaped] = {"count": f"{packed}_count", "width": 4 if what == "boxes" else 1,
                                   "per_anchor": per_anchor, "regular": attrs["regular"],
                                   "max_detections": attrs["max_detections"]}
        return nodes

    def _check_detection(self, attrs: dict, columns: int) -> None:
        """What TFLite Micro checks when it runs the operator (its inference fails), checked here."""
        problems = []
        if columns - attrs["num_classes"] not in (0, 1):
            problems.append(f"{columns} scores per anchor for {attrs['num_classes']} classes (one background "
                            "column at most)")
        if not 0.0 < attrs["iou_threshold"] <= 1.0:
            problems.append(f"nms_iou_threshold {attrs['iou_threshold']} outside (0, 1]")
        if attrs["max_detections"] < 0 or attrs["num_classes"] < 1:
            problems.append(f"max_detections {attrs['max_detections']}, num_classes {attrs['num_classes']}")
        if attrs["regular"] and attrs["detections_per_class"] <= 0:
            problems.append(f"detections_per_class {attrs['detections_per_class']} with regular NMS")
        if not attrs["regular"] and attrs["max_classes_per_detection"] <= 0:
            problems.append(f"max_classes_per_detection {attrs['max_classes_per_detection']} with fast NMS")
        if problems:
            raise ModelError(f"{self.where}{'; '.join(problems)}: TFLite Micro fails such an inference")
