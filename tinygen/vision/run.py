"""Camera frames through a device: each frame uploaded in its camera format (`tg frame`,
`tg chunk`), preprocessed on the device, the device's int8 input read back (`tg input`)
and compared with the numpy twin's, one inference (`tg invoke`) compared with the
reference on that input (a firmware whose input streams in, a model in row bands, runs the
model as the rows arrive and answers its outputs with the last chunk: they are compared with
the reference on the twin's input); answers against labels and the cost split preprocessing /
network, in the device's counter units.

    frames = frames_for(args, graph)                   # tinygen camera --images / --frames
    run = run_frames(dev, graph, frames)               # a SampleRun with the frames' extras
    summary.update(frame_summary(run, frames, unit))   # beside tinygen.report.hil.summarize's
    print(render_frames(summary))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinygen.errors import TinygenError, UsageError
from tinygen.hil.client import Device
from tinygen.hil.session import Mismatch, SampleRun, compare, first_difference
from tinygen.passes.camera_input import image_input
from tinygen.ref import camera as twin
from tinygen.ref.frame_formats import frame_format, parse_size
from tinygen.ref.interpreter import dequantize
from tinygen.report import table
from tinygen.vision.frames import FrameSet, load_frames, load_images
from tinygen.vision.link import CameraLink

SHOW_CLASSES = 4          # per-frame table: every class's score up to this many classes


@dataclass
class FrameRun(SampleRun):
    """run_samples' record plus, per frame, the preprocessing count, the device's and the
    twin's int8 inputs and the scores."""
    pre_counts: list[int] = field(default_factory=list)
    pre_readings: list[int] = field(default_factory=list)   # counter intervals summed in each: one a chunk
    inputs: list[np.ndarray] = field(default_factory=list)          # the twin's (what the reference ran)
    device_inputs: list[np.ndarray | None] = field(default_factory=list)   # None: streamed, never whole
    input_exact: list[bool | None] = field(default_factory=list)          # None: streamed, not readable
    scores: list[np.ndarray] = field(default_factory=list)          # dequantized first output
    crops: list[twin.Crop] = field(default_factory=list)
    streamed: bool = False        # the input streamed in (row bands): no whole input on the device


def parse_crop(text: str | None) -> twin.Crop | None:
    if text is None:
        return None
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--crop {text!r} is not X,Y,W,H", "give the region in frame pixels, e.g. --crop 40,0,240,240")
    if w < 1 or h < 1 or x < 0 or y < 0:
        raise UsageError(f"--crop {text}: the region is empty or starts outside the frame", "W and H >= 1, X and Y >= 0")
    return twin.Crop(x, y, w, h)


def frames_for(args, graph) -> FrameSet:
    """The frames `tinygen hil` was given, checked against the model before anything is built."""
    image_input(graph)                      # a clear error for a model that takes no image
    fmt = frame_format(args.format)
    size = parse_size(args.size)
    classes = [c.strip() for c in args.classes.split(",")] if args.classes else None
    if args.images and args.frames:
        raise UsageError("give --images or --frames, not both", "run them one after the other")
    spec = graph.meta["camera"].spec
    if size[0] > spec.max_width or size[1] > spec.max_height:
        raise UsageError(f"--size {size[0]}x{size[1]} is larger than the largest frame {spec.max_width}x"
                         f"{spec.max_height}", f"add --frame-max {size[0]}x{size[1]} (the device's buffers grow)")
    if fmt.name == "yuyv" and size[0] % 2:
        raise UsageError(f"--size {size[0]}x{size[1]}: YUYV frames need an even width", "use an even width")
    crop = parse_crop(args.crop)
    if crop is not None and (crop.x + crop.w > size[0] or crop.y + crop.h > size[1]):
        raise UsageError(f"--crop {args.crop} is not inside the {size[0]}x{size[1]} frame",
                         "give a region inside the frame, or leave out --crop (centred)")
    frames = load_images(args.images, fmt, size, classes) if args.images else load_frames(args.frames, fmt, size,
                                                                                             classes)
    outputs = int(np.prod(graph.tensor(graph.outputs[0]).shape))
    if classes is not None and len(classes) != outputs:
        raise UsageError(f"--classes names {len(classes)} classes, the model's output has {outputs}",
                         "name every output, in order")
    return frames.limit(args.limit)


def run_frames(dev: Device, graph, frames: FrameSet, crop: twin.Crop | None = None,
               progress: bool = False, timeout: float | None = None) -> FrameRun:
    cam = CameraLink(dev)
    info = cam.info()
    h, w, c = image_input(graph)
    plan = graph.meta["camera"]
    if info["input"] != (w, h, c) or frames.fmt.name not in info["formats"]:
        raise TinygenError(f"the device's camera front end takes {info['input']} inputs and "
                           f"{', '.join(info['formats'])} frames, not {w}x{h}x{c} from {frames.fmt.name}",
                           "flash the build this run made (tinygen hil --flash)")
    target = twin.Target(w, h, c, plan.lut, plan.spec.max_width, plan.spec.max_height)
    region = crop or twin.center_crop(target, frames.width, frames.height)
    cam.crop(crop)
    result = FrameRun(labels=frames.labels)
    iterator = range(len(frames))
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc="frames", unit="frame", leave=False)
    streamed = info["stream"] is not None      # the model runs as the rows arrive: no whole input to read
    result.streamed = streamed
    for i in iterator:
        frame = frames.frames[i]
        sent = cam.send_frame(frame, frames.fmt, frames.width, frames.height, timeout, streamed)
        if sent.crop != region:
            raise TinygenError(f"the device cropped {sent.crop}, the twin {region}", "this is a tinygen bug")
        want = twin.preprocess(frame, frames.fmt, frames.width, frames.height, target, region)
        if streamed:        # the device never holds its input whole: its outputs are the check
            got, exact = None, None
            raw, count = sent.outputs, sent.model_count
        else:
            got = np.frombuffer(cam.input(timeout), np.int8).reshape(h, w, c)
            exact = np.array_equal(got, want)
            if not exact:
                result.mismatches.append(Mismatch(i, "input (preprocessing)", first_difference(want, got)))
            raw, count = dev.invoke(timeout)
        bad, outs = compare(graph, want, raw, i)
        result.mismatches += bad
        result.counts.append(count)
        result.pre_counts.append(sent.count)
        result.pre_readings.append(sent.chunks)
        result.predictions.append(int(np.argmax(outs[0].reshape(-1))))
        result.inputs.append(want)
        result.device_inputs.append(got)
        result.input_exact.append(exact)
        result.scores.append(dequantize(graph, graph.outputs[0], outs[0]).reshape(-1))
        result.crops.append(sent.crop)
    return result


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def frame_summary(run: FrameRun, frames: FrameSet) -> dict:
    pre, net = _mean(run.pre_counts), _mean(run.counts)
    classes = frames.classes
    rows = []
    for i in range(run.samples):
        pred = run.predictions[i]
        label = None if frames.labels is None else int(frames.labels[i])
        rows.append({"frame": frames.names[i], "label": label, "answer": pred,
                     "label_name": classes[label] if classes and label is not None else None,
                     "answer_name": classes[pred] if classes else None,
                     "scores": [round(float(s), 4) for s in run.scores[i]],
                     "preprocess": run.pre_counts[i], "network": run.counts[i],
                     # the preprocessing count sums one counter interval per chunk, each within a tick
                     "preprocess_readings": run.pre_readings[i],
                     "input_bit_exact": run.input_exact[i]})
    crop = run.crops[0] if run.crops else None
    return {"frames": {
        "format": frames.fmt.name, "size": [frames.width, frames.height], "count": run.samples,
        "crop": None if crop is None else [crop.x, crop.y, crop.w, crop.h], "classes": classes,
        "input_bit_exact": sum(1 for e in run.input_exact if e),
        "input_streamed": any(e is None for e in run.input_exact),
        "preprocess_mean": pre, "network_mean": net,
        "preprocess_share": pre / (pre + net) if pre is not None and net else None,
        "per_frame": rows}}


def _class(row: dict, key: str) -> str:
    index = row[key]
    if index is None:
        return "-"
    name = row[f"{key}_name"]
    return f"{index} {name}" if name else str(index)


def _exact(value: bool | None) -> str:
    return "streamed" if value is None else "yes" if value else "NO"


def render_frames(summary: dict) -> str:
    """The frames' part of the terminal report: a line per frame, then the cost split."""
    f = summary["frames"]
    unit = summary["latency"]["unit"]
    many = len(f["per_frame"][0]["scores"]) > SHOW_CLASSES if f["per_frame"] else True
    rows = []
    for r in f["per_frame"]:
        answer = r["answer"]
        scores = f"{r['scores'][answer]:.3f}" if many else " ".join(f"{s:.3f}" for s in r["scores"])
        ok = "" if r["label"] is None else ("right" if r["label"] == answer else "WRONG")
        rows.append([r["frame"], _class(r, "label"), _class(r, "answer"), scores, ok, f"{r['preprocess']:,}",
                     f"{r['network']:,}", _exact(r["input_bit_exact"])])
    head = ["frame", "label", "answer", "score" if many else "scores", "", f"preprocess ({unit})",
            f"network ({unit})", "input == twin"]
    crop = f["crop"]
    lines = [table(head, rows, "llllllrrl"),
             f"frames: {f['count']} x {f['size'][0]}x{f['size'][1]} {f['format']}, region "
             + (f"{crop[2]}x{crop[3]} at ({crop[0]}, {crop[1]})" if crop else "-")
             + ("; the input streams in (row bands): the device never holds it whole, its outputs are compared "
                "with the reference on the twin's input" if f.get("input_streamed") else
                f"; the device's int8 input equal to the twin's on {f['input_bit_exact']}/{f['count']}")]
    if f["preprocess_mean"] is not None:
        lines.append(f"cost per frame: preprocessing {f['preprocess_mean']:,.0f} {unit} + network "
                     f"{f['network_mean']:,.0f} {unit} (preprocessing {f['preprocess_share'] * 100:.1f}% of the "
                     "total; the upload itself is not counted)")
    return "\n".join(lines)


__all__ = ["FrameRun", "frame_summary", "frames_for", "parse_crop", "render_frames", "run_frames"]
