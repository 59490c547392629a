"""The host side of audio hardware-in-the-loop (tinygen.audio.device, audio_report, audio_cli):
clip mode and stream mode through a fake tinygen.audio.client (the host twin behind the
client's four calls, with counters, and with planted faults), the reports, the plot, and
`tinygen hil --reference` end to end on the MLPerf Tiny KWS model."""

from __future__ import annotations

import importlib.util
import json
import re
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tinygen.ref import mfcc as fe
from tinygen.audio import stream as st
from tinygen.audio.recording import write_truth
from tinygen.audio.wav import write_wav
from tinygen.audio import device as ha
from tinygen.audio import report as ar

MLPERF_KWS = Path(__file__).resolve().parents[2] / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite"
FRONTEND_PER_FRAME, NETWORK_PER_INFERENCE, WINDOW_PER_INFERENCE = 120_000, 4_000_000, 9_000


@pytest.fixture(scope="module")
def graph():
    from tinygen.compiler import compile_source, load_source

    return compile_source(load_source(MLPERF_KWS))


@dataclass
class Inference:                     # what tinygen.audio.client's stream_chunk gives per inference
    sample: int
    sums: np.ndarray
    window: np.ndarray | None = None


@dataclass
class Counts:
    frontend: int
    network: int
    windows: int = 0


@dataclass
class Totals:
    samples: int
    frames: int
    inferences: int
    events: int


def fake_client(graph, fault: str | None = None):
    """The client API over a device model made of the host twin: the front end's windows
    (StreamRunner), the network and the detector on them, counting FRONTEND_PER_FRAME per
    frame, WINDOW_PER_INFERENCE (inside the front end's) and NETWORK_PER_INFERENCE per inference. `fault` plants one difference: feature
    (a feature byte off by 1, within the front end's tolerance), feature2 (off by 2), output
    (a wrong output byte), window (one window byte off by 1, the network run on it: allowed),
    sums (a wrong sum), count (an inference not reported)."""
    state = {}
    twin = ha.ReferenceAudio(graph)

    def audio_clip(dev, samples):
        assert dev == "DEV" and samples.dtype == np.int16 and len(samples) == 16000
        x, _, _, _ = twin.clip(samples)
        x = x.copy()
        if fault in ("feature", "feature2"):
            x[3, 4] += 1 if fault == "feature" and x[3, 4] < 127 else (-1 if fault == "feature" else
                                                                       (2 if x[3, 4] < 126 else -2))
        y = ha.network(graph, x)
        if fault == "output":
            y[0] = -y[0] - 1
        return x, y, fe.NUM_FRAMES * FRONTEND_PER_FRAME, NETWORK_PER_INFERENCE

    def stream_start(dev, config, verbose):
        state.update(runner=st.StreamRunner(graph, config, keep_inputs=True), detector=st.Detector(config),
                     verbose=verbose, samples=0, inferences=0, events=0, labels=None)

    def stream_chunk(dev, samples, labels):
        state["labels"] = labels
        r = state["runner"].feed(samples)
        before = max(0, 1 + (state["samples"] - fe.FRAME_LENGTH) // fe.FRAME_STEP) if state["samples"] >= 480 else 0
        state["samples"] += len(samples)
        after = 1 + (state["samples"] - fe.FRAME_LENGTH) // fe.FRAME_STEP if state["samples"] >= 480 else 0
        rows, events = [], []
        for sample, window in zip(r.samples, r.inputs):
            window = window.copy()
            if fault == "window" and state["inferences"] == 3:
                window[10, 0] += 1 if window[10, 0] < 127 else -1
            sums, event = state["detector"].step(ha.network(graph, window), sample)
            if fault == "sums" and state["inferences"] == 5:
                sums = sums + 1
            state["inferences"] += 1
            if not (fault == "count" and state["inferences"] == 7):
                rows.append(Inference(sample, sums, window if state["verbose"] == 2 else None))
            if event is not None:
                events.append(event)
        state["events"] += len(events)
        windows = len(r.samples) * WINDOW_PER_INFERENCE
        return events, rows, Counts((after - before) * FRONTEND_PER_FRAME + windows,
                                    len(r.samples) * NETWORK_PER_INFERENCE, windows)

    def stream_stop(dev):
        frames = 1 + (state["samples"] - fe.FRAME_LENGTH) // fe.FRAME_STEP
        return Totals(state["samples"], frames, state["inferences"], state["events"])

    return types.SimpleNamespace(audio_clip=audio_clip, stream_start=stream_start, stream_chunk=stream_chunk,
                                 stream_stop=stream_stop, state=state)


def clips(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(16000) / 16000
    return [(np.sin(2 * np.pi * rng.uniform(200, 2000) * t) * (t > 0.3) * (t < 0.6) * rng.uniform(2000, 20000)
             + rng.normal(0, 200, 16000)).astype(np.int16)[:int(rng.integers(12000, 16001))] for _ in range(n)]


def test_hil_audio_clips_exact_with_fake_device(graph):
    xs = clips(6)
    want = [int(np.argmax(ha.network(graph, ha.twin_features(graph, fe.pad_clip(c))))) for c in xs]
    labels = np.array(want[:4] + [(want[4] + 1) % 12, (want[5] + 2) % 12])
    run = ha.run_clips(ha.DeviceAudio("DEV", fake_client(graph)), graph, xs, labels)
    assert run.samples == 6 and run.predictions == want == run.twin_predictions
    assert run.accuracy == pytest.approx(4 / 6) and not run.output_mismatches and run.feature_max_diff == 0
    s = ar.summarize_clips(run, st.KWS_LABELS, "kws", "fake", "instructions")
    assert s["ok"] and s["features_identical"] == s["outputs_exact"] == s["predictions_as_twin"] == 6
    assert s["frontend_mean"] == 49 * FRONTEND_PER_FRAME and s["network_mean"] == NETWORK_PER_INFERENCE
    assert s["frontend_share"] == pytest.approx(49 * FRONTEND_PER_FRAME / (49 * FRONTEND_PER_FRAME + 4_000_000))
    text = ar.render_clips(s)
    assert "66.67%" in text and "6/6 bit-exact" in text and "5,880,000 instructions" in text
    assert "MISMATCH" not in text and "0.000% of the bytes differ, by at most 0" in text


@pytest.mark.parametrize("fault", ["feature", "feature2", "output"])
def test_hil_audio_clips_faults(graph, fault):
    run = ha.run_clips(ha.DeviceAudio("DEV", fake_client(graph, fault)), graph, clips(3), None)
    s = ar.summarize_clips(run, st.KWS_LABELS, "kws", "fake", "instructions")
    text = ar.render_clips(s)
    if fault == "output":                  # outputs must equal the reference on the device's own features
        assert [i for i, _ in run.output_mismatches] == [0, 1, 2] and "first: [0]" in run.output_mismatches[0][1]
        assert not s["ok"] and "MISMATCH: outputs differ" in text
        return
    assert not run.output_mismatches and s["features_identical"] == 0
    assert s["feature_bytes_differing"] == pytest.approx(1 / 490)
    assert run.feature_max_diff == (1 if fault == "feature" else 2)
    assert s["ok"] == (fault == "feature")          # the C front end may be 1 off, never more
    assert ("MORE than the front end's tolerance" in text) == (fault == "feature2")


def stream_case(seconds: float = 4.0):
    rng = np.random.default_rng(3)
    n = int(seconds * 16000)
    t = np.arange(n) / 16000
    x = rng.normal(0, 150, n) + np.sin(2 * np.pi * 700 * t) * 12000 * ((t % 2.0) > 1.2) * ((t % 2.0) < 1.5)
    return x.astype(np.int16), [st.Truth("yes", 1.2, 1.5), st.Truth("no", 3.2, 3.5)]


@pytest.mark.parametrize("verbose", [1, 2])
def test_hil_audio_stream_fake_device_exact(graph, verbose):
    samples, truth = stream_case()
    cfg = st.StreamConfig.for_graph(graph, threshold=0.3, smooth=2)
    seen, client = [], fake_client(graph)
    run = ha.stream_audio(ha.DeviceAudio("DEV", client), graph, cfg, samples, truth, chunk=1000, verbose=verbose,
                          on_event=seen.append)
    ref = st.run_stream(samples, graph, cfg)
    assert client.state["labels"] == cfg.labels
    assert run.exact_mismatch is None and run.event_difference is None and run.compared
    assert run.events == ref.events == seen and run.inferences == len(ref.samples) == run.sums_equal
    assert run.chunks == 64 and run.windows_checked == (verbose == 2)
    frames = 1 + (len(samples) - 480) // 320
    windows = len(ref.samples) * WINDOW_PER_INFERENCE
    assert run.frontend == frames * FRONTEND_PER_FRAME + windows and run.windows == windows
    assert run.network == len(ref.samples) * NETWORK_PER_INFERENCE
    s = ar.summarize_stream(run, cfg, "kws", "fake", "instructions", 216_000_000, "x.wav")
    per_second = (run.frontend + run.network) / 4.0
    assert s["cost"]["per_audio_second"] == pytest.approx(per_second)
    assert s["cost"]["duty_cycle"] == pytest.approx(per_second / 216e6)
    # the windows' share is once per inference, not per frame
    assert s["cost"]["frontend_per_frame"] == FRONTEND_PER_FRAME
    assert s["cost"]["window_per_inference"] == WINDOW_PER_INFERENCE
    assert s["score"] == ar._score_dict(st.score_events(ref.events, truth, len(samples)))
    text = ar.render_stream(s)
    assert re.search(r"front end per inference \(the window\) +9,000 instructions", text)
    assert "duty cycle" in text and re.search(r"events equal to the host reference +yes", text)
    if verbose == 2:
        assert s["windows"] == {"windows": run.inferences, "identical": run.inferences, "bytes_differing": 0.0,
                                "max_difference": 0}
        assert f"exact ({run.inferences} replayed)" in text
    else:
        assert s["windows"] is None and "not checked" in text


@pytest.mark.parametrize("fault", ["window", "sums", "count"])
def test_hil_audio_stream_faults(graph, fault):
    samples, truth = stream_case()
    cfg = st.StreamConfig.for_graph(graph, threshold=0.3, smooth=2)
    assert st.run_stream(samples, graph, cfg).events, "the case must have events"
    run = ha.stream_audio(ha.DeviceAudio("DEV", fake_client(graph, fault)), graph, cfg, samples, truth, chunk=1600,
                          verbose=2)
    s = ar.summarize_stream(run, cfg, "kws", "fake", None, None, "x.wav")
    if fault == "window":                  # a window 1 off (the front end's tolerance): allowed, reported
        assert run.exact_mismatch is None and s["exact"]
        assert s["windows"]["identical"] == run.inferences - 1 and s["windows"]["max_difference"] == 1
        assert f"{run.inferences - 1}/{run.inferences}; " in ar.render_stream(s)
        return
    assert not s["exact"]
    want = "sums" if fault == "sums" else "inferences, the reference"
    assert want in run.exact_mismatch and "FAILED" in ar.render_stream(s)


def test_hil_audio_compare_events():
    a, b = st.Event("yes", 100, 5), st.Event("no", 900, 7)
    assert ha.compare_events([a, b], [a, b]) is None
    assert "2 events, reference 1" in ha.compare_events([a, b], [a]) and "(device)" in ha.compare_events([a, b], [a])
    assert "(reference)" in ha.compare_events([a], [a, b])


def test_hil_audio_stream_plot(graph, tmp_path):
    pytest.importorskip("matplotlib")
    samples, truth = stream_case(6.0)
    cfg = st.StreamConfig.for_graph(graph, threshold=0.3, smooth=2)
    run = ha.stream_audio(ha.ReferenceAudio(graph), graph, cfg, samples, truth)
    out = tmp_path / "s.png"
    msg = ar.plot_stream(samples, run, truth, cfg, 1 / 256, "kws", out)
    assert "written" in msg and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000


def _cli(argv) -> int:
    from tinygen.cli import main

    return main(argv)


def assert_curve_holds_the_run(s: dict) -> None:
    """The curve (--json's "curve", from the run's own sums) at the run's threshold gives the run's
    own score: the events at a threshold are those of the next threshold up the curve."""
    at = next(p for p in s["curve"] if p["threshold_units"] >= s["config"]["threshold_units"])
    assert (at["hits"], at["false_accepts"]) == (s["score"]["hits"], s["score"]["false_accepts"])
    assert [p["threshold_units"] for p in s["curve"]] == sorted({p["threshold_units"] for p in s["curve"]})
    assert s["curve"][-1]["hits"] == s["curve"][-1]["false_accepts"] == 0          # above every sum: silence
    assert s["config"]["threshold"] == pytest.approx(s["config"]["threshold_units"] / 256 / s["config"]["smooth"])


def test_hil_audio_cli_reference_stream_and_clips(graph, tmp_path, capsys):
    samples, truth = stream_case(4.0)
    write_wav(tmp_path / "rec.wav", samples)
    write_truth(tmp_path / "rec.csv", truth)
    rc = _cli(["listen", str(MLPERF_KWS), "--board", "f746zg", "--reference", "--stream", str(tmp_path / "rec.wav"),
               "--truth", str(tmp_path / "rec.csv"), "--threshold", "0.3", "--smooth", "2", "--json",
               str(tmp_path / "s.json"), "-q", "--roc", str(tmp_path / "roc.png")])
    out = capsys.readouterr().out
    assert rc == 0 and "hits" in out and "false accepts" in out
    s = json.loads((tmp_path / "s.json").read_text())
    assert_curve_holds_the_run(s)
    if importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ref = st.run_stream(samples, graph, st.StreamConfig.for_graph(graph, threshold=0.3, smooth=2))
    assert [(e["label"], e["sample"], e["score"]) for e in s["events"]] == [(e.label, e.sample, e.score)
                                                                            for e in ref.events]
    assert s["cost"] is None and not s["compared_with_reference"]
    assert "n/a (this is the host reference)" in out
    # clip mode: a GSC-like layout (labels from the folder names), and a CSV of labels
    xs = clips(4, seed=5)
    for i, c in enumerate(xs):
        folder = tmp_path / "clips" / ("yes" if i % 2 else "no")
        folder.mkdir(parents=True, exist_ok=True)
        write_wav(folder / f"{i}.wav", c)
    rc = _cli(["listen", str(MLPERF_KWS), "--board", "f746zg", "--reference", "--audio", str(tmp_path / "clips"),
               "--json", str(tmp_path / "c.json"), "-q"])
    c = json.loads((tmp_path / "c.json").read_text())
    assert rc == 0 and c["clips"] == 4 and c["features_identical"] == c["outputs_exact"] == 4 and c["ok"]
    assert c["accuracy"] is not None
    files = sorted((tmp_path / "clips").rglob("*.wav"))
    want = [int(np.argmax(ha.network(graph, ha.twin_features(graph, fe.pad_clip(xs[int(f.stem)]))))) for f in files]
    (tmp_path / "labels.csv").write_text("file,label\n" + "".join(f"{f.relative_to(tmp_path)},{st.KWS_LABELS[w]}\n"
                                                                for f, w in zip(files, want)))
    rc = _cli(["listen", str(MLPERF_KWS), "--board", "f746zg", "--reference", "--audio", *map(str, files),
               "--labels", str(tmp_path / "labels.csv"), "--json", str(tmp_path / "c2.json"), "-q"])
    assert rc == 0 and json.loads((tmp_path / "c2.json").read_text())["accuracy"] == 1.0


def test_hil_audio_cli_errors(tmp_path, capsys):
    write_wav(tmp_path / "long.wav", np.zeros(20000, np.int16))
    write_wav(tmp_path / "rec.wav", np.zeros(20000, np.int16))
    base = ["listen", str(MLPERF_KWS), "--board", "f746zg"]
    cases = [
        (["--reference", "--stream", str(tmp_path / "rec.wav")], "needs the recording's ground truth"),
        (["--reference", "--audio", str(tmp_path / "long.wav")], "clip mode takes clips of at most 1 s"),
        (["--reference"], "add --audio WAVS or --stream"),
        (["--reference", "--audio", str(tmp_path / "long.wav"), "--stream", str(tmp_path / "rec.wav")], "two modes"),
        (["--reference", "--audio", str(tmp_path / "nothere")], "does not exist"),
        (["--reference", "--audio", str(tmp_path / "long.wav"), "--roc", "r.png"], "--roc plots a stream's hits"),
        (["--emulate"], "give the audio: --audio WAVS"),
        (["--reference", "--stream", str(tmp_path / "rec.wav"), "--truth", "t.csv", "--chunk-ms", "2000"],
         "--chunk-ms 2000 is out of range"),
    ]
    for extra, message in cases:
        assert _cli(base + extra) == 2
        assert message in capsys.readouterr().err


def test_hil_audio_device_chunk_answers():
    event = st.Event("yes", 16000, 600)
    rows = [Inference(15840, np.arange(12)), Inference(16480, np.arange(12) * 2, np.zeros((49, 10), np.int8))]
    client = types.SimpleNamespace(stream_chunk=lambda dev, x, labels: ([event], rows, Counts(5, 7)))
    answer = ha.DeviceAudio("DEV", client).chunk(np.zeros(10, np.int16))
    assert answer.events == [event] and (answer.frontend, answer.network) == (5, 7)
    assert [r.sample for r in answer.rows] == [15840, 16480] and answer.rows[0].window is None
    assert answer.rows[1].sums.dtype == np.int64 and answer.rows[1].window.shape == (49, 10)


def test_hil_audio_cli_host_firmware_clips_and_stream(graph, tmp_path, capsys):
    """The device path end to end on the host build (tg_device with the C front end): clip mode's
    outputs exact on the device's features, stream mode's windows replayed exactly."""
    xs = clips(3, seed=7)
    for i, c in enumerate(xs):
        write_wav(tmp_path / f"{i}.wav", c)
    out = str(tmp_path / "fw")
    rc = _cli(["listen", str(MLPERF_KWS), "--board", "host", "--audio", *[str(tmp_path / f"{i}.wav") for i in range(3)],
               "--json", str(tmp_path / "c.json"), "-o", out, "-q"])
    c = json.loads((tmp_path / "c.json").read_text())
    assert rc == 0 and c["ok"] and c["outputs_exact"] == 3 and c["feature_max_difference"] <= ha.FEATURE_TOLERANCE
    assert c["frontend_mean"] > 0 and c["network_mean"] > 0
    samples, truth = stream_case(3.0)
    write_wav(tmp_path / "rec.wav", samples)
    write_truth(tmp_path / "rec.csv", truth)
    rc = _cli(["listen", str(MLPERF_KWS), "--board", "host", "--stream", str(tmp_path / "rec.wav"), "--truth",
               str(tmp_path / "rec.csv"), "--check-windows", "--json", str(tmp_path / "s.json"), "-o", out, "-q",
               "--threshold", "0.3"])
    s = json.loads((tmp_path / "s.json").read_text())
    assert rc == 0 and s["exact"] and s["windows_checked"] and s["compared_with_reference"]
    assert_curve_holds_the_run(s)
    assert s["inferences"] == (1 + (len(samples) - 480) // 320 - 49) // 2 + 1 and s["cost"]["frontend"] > 0
    capsys.readouterr()
