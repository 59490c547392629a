"""DETECTION_POSTPROCESS (TFLite's custom "TFLite_Detection_PostProcess", an SSD detector's
float32 end) after an int8 body and DEQUANTIZE (tests/ssd_model.py): tinygen's numpy reference
equals TFLite Micro's interpreter bit for bit, every layer and every detection it writes, on
fast and regular non-max suppression, with and without a background column, more slots than
detections, two classes per detection (TFLite Micro's slot arithmetic) and score ties (the
quantized scores repeat); the generated host C equals the reference on every output byte (the
slots TFLite Micro leaves unwritten are 0 in tinygen). Refusals: what TFLite Micro would fail
at run time is refused at import, in one line."""

from __future__ import annotations

import numpy as np
import pytest

from e2e import ALL_AGREE, build_host, diff_layers, first_difference
from ssd_model import ssd_model
from tinygen.compiler import compile_source, load_source
from tinygen.errors import ModelError
from tinygen.ref import interpreter as ref_interp

import tflite_refs  # noqa: E402  (skips the module when TFLM or LiteRT is absent)

INPUTS = 30
MODELS = {
    "fast": dict(regular=False),
    "regular": dict(regular=True, seed=11),
    # more slots than the NMS selects: TFLite Micro leaves the rest unwritten
    "fast_many_slots_no_background": dict(regular=False, max_detections=40, background=False, seed=5, iou=0.3),
    "regular_many_slots": dict(regular=True, max_detections=30, seed=3, iou=0.35),
    # two classes per detection: each pick's slot is 2 * (the running count) + its column
    "fast_two_classes": dict(regular=False, max_detections=4, per_detection=2, seed=9),
}


def _inputs(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, (1, 4, 4, 8)).astype(np.int8) for _ in range(INPUTS)]


def _compiled(name: str, tmp_path):
    path = tmp_path / f"ssd_{name}.tflite"
    path.write_bytes(ssd_model(**MODELS[name]))
    source = load_source(path)
    return source, compile_source(source)


def _detections(outs) -> list[np.ndarray]:
    """The values TFLite Micro writes: the count, and the boxes, classes and scores of its slots
    (fast NMS: count slots, at slot per_anchor * k + column; regular: count slots)."""
    count = int(outs[3].reshape(-1)[0])
    boxes, classes, scores = (np.asarray(o).reshape(-1, m) for o, m in zip(outs[:3], (4, 1, 1)))
    return [np.asarray(outs[3]).reshape(-1)] + [a[:count] for a in (boxes, classes, scores)]


@pytest.mark.parametrize("name", MODELS)
def test_detection_reference_equals_tflm(name, tmp_path):
    data = ssd_model(**MODELS[name])
    _, graph = _compiled(name, tmp_path)
    assert [n.kernel for n in graph.nodes if n.op == "detection_postprocess"] == ["tg_detection_postprocess_f32"]
    interp = tflite_refs.tflm_interpreter(data, preserve_all=True)
    index = graph.meta["tflite_tensors"]
    counts, ties, seen = set(), 0, set()
    for k, x in enumerate(_inputs(len(name))):
        interp.set_input(x, 0)
        interp.invoke()
        want = [np.array(interp.get_output(i)) for i in range(4)]
        values = ref_interp.run(graph, x, keep_all=True)
        got = [values[o] for o in graph.outputs]
        per_anchor = MODELS[name].get("per_detection", 1)
        if per_anchor > 1:      # the written slots are per_anchor * k + column: compare those
            count = int(want[3][0])
            slots = [per_anchor * j + (j % per_anchor) for j in range(count)]
            pairs = [(g.reshape(-1, m)[slots], w.reshape(-1, m)[slots]) for g, w, m in zip(got, want, (4, 1, 1))]
            pairs.append((got[3], want[3]))
        else:
            pairs = list(zip(_detections(got), _detections(want)))
        for g, w in pairs:
            assert g.dtype == w.dtype and np.array_equal(g.view(np.uint32), w.view(np.uint32)), \
                f"{name}, input {k}: {first_difference(g.view(np.uint32), w.view(np.uint32))}"
        counts.add(int(want[3][0]))
        seen.add(b"".join(w.tobytes() for w in want))
        scores = want[2].reshape(-1)[:int(want[3][0])]
        ties += len(scores) - len(set(scores.tolist()))
        if k < 2:           # every layer before the detection too (the int8 body, DEQUANTIZE, LOGISTIC)
            for node in graph.nodes:
                if node.outputs[0] in index and node.op != "reshape":
                    layer = interp.GetTensor(index[node.outputs[0]], 0)["tensor_data"]
                    if node.op != "detection_postprocess" and node.outputs[0] not in graph.outputs:
                        assert np.array_equal(values[node.outputs[0]].ravel(), layer.ravel()), node.name
    assert len(seen) > INPUTS // 2                  # the detections vary with the input
    if "many" in name:                              # slots were left unwritten
        assert min(counts) < MODELS[name]["max_detections"]
    assert ties > 0 or "many" in name       # equal scores were ordered (by index) somewhere


@pytest.mark.parametrize("name", ["fast_many_slots_no_background", "regular"])
def test_detection_host_c_equals_reference(name, tmp_path):
    source, graph = _compiled(name, tmp_path)
    host = build_host(source, graph, tmp_path / "host")
    xs = _inputs(len(name))
    for k, x in enumerate(xs[:12]):
        want = ref_interp.run(graph, x)
        for o, got in zip(graph.outputs, host.invoke(x)):
            assert np.array_equal(np.asarray(want[o]).view(np.uint8).ravel(), np.asarray(got).view(np.uint8).ravel()), \
                f"{name}, input {k}, {o}: {first_difference(np.asarray(want[o]).ravel(), np.asarray(got).ravel())}"
    assert diff_layers(graph, host, xs[0]) == ALL_AGREE


@pytest.mark.parametrize("kwargs, expected", [
    (dict(regular=False, iou=0.0), "nms_iou_threshold 0.0 outside (0, 1]"),
    (dict(regular=False, max_detections=6, slots=4), "with D >= 6 (TFLite Micro writes that many detections)"),
])
def test_detection_refusals(kwargs, expected, tmp_path):
    path = tmp_path / "ssd.tflite"
    path.write_bytes(ssd_model(**kwargs))
    with pytest.raises(ModelError) as e:
        compile_source(load_source(path))
    assert expected in str(e.value) and "\n" not in str(e.value).split("hint")[0].strip()
