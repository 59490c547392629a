"""Audio into the device (--frontend mfcc; PROTOCOL.md, "Audio front end"): the MLPerf Tiny
KWS model built with the front end, driven through tinygen.audio.client on the host's
tg_device (fast) and on the stand-ins (slow): the M7 and M4 with the float front end, the
ESP32-C3's RISC-V with the fixed-point one.

- clip mode: the device's int8 features agree with the twin's as stated (tests/audio_data.py),
  and its outputs equal the reference interpreter's on the device's own features, byte for byte;
- stream mode: the device's windows agree with the host reference's (stream.run_stream), the
  network and the detector are exact (the reference run on the device's own windows gives the
  device's sums and events), and the events equal the twin-based reference's;
- bad input is refused with one e- line and the firmware keeps serving;
- the build refuses models the front end cannot feed, and counts its memory.
"""

from __future__ import annotations

import functools
import shutil
import time

import numpy as np
import pytest

from audio_data import KWS_SCALE, KWS_ZERO_POINT, agreement, few_clips, keyword_stream, speech_clips
from e2e import EXAMPLES, compile_example
from mlperf_models import mlperf_model
from tinygen.codegen import audio as afw
from tinygen.audio import stream as st
from tinygen.board import get_board
from tinygen.build.memory import predict
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import TinygenError, UsageError
from tinygen.audio import client as ac
from tinygen.audio.device import twin_features
from tinygen.hil.client import DeviceError
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import run

STANDINS = {"nucleo-f746zg": "mfcc-f32", "nucleo-f446re": "mfcc-f32", "esp32-c3": "mfcc-q31",
            # the Cortex-M55 (Helium) and M33 boards
            "stm32n6570-dk": "mfcc-f32", "b-u585i-iot02a": "mfcc-f32"}


@functools.lru_cache(maxsize=None)
def kws(board_name: str, frontend: str = "mfcc"):
    """(source, graph) of the KWS model compiled for the board with the front end attached."""
    board = get_board(board_name)
    source = load_source(mlperf_model("kws_dscnn"))
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels="tinygen"))
    afw.attach(graph, afw.choose(frontend, board))
    return source, graph


def built(board_name: str, folder):
    source, graph = kws(board_name)
    result = build(source, graph, get_board(board_name), folder / board_name)
    return graph, result


def reference_outputs(graph, features: np.ndarray) -> np.ndarray:
    shape = graph.tensor(graph.inputs[0]).shape
    return run(graph, features.reshape(shape))[graph.outputs[0]].ravel()


# -- checks shared by the host and the stand-ins ------------------------------------------------

def check_clips(dev, graph, clips) -> ac.Counts:
    """Clip mode on every clip: features as stated, outputs exact; returns the last counts."""
    pairs, outputs = [], set()
    for name, clip in clips:
        features, out, frontend, network = ac.audio_clip(dev, clip)
        pairs.append((features, twin_features(graph, clip)))
        want = reference_outputs(graph, features)
        assert np.array_equal(out, want), f"{name}: the device's outputs differ from the reference on its own features"
        assert frontend > 0 and network > 0
        outputs.add(out.tobytes())
    got = agreement(pairs)
    assert got.ok(), str(got)
    assert len(outputs) > 1, "every clip gave the same outputs: the comparison has no teeth"
    print(f"{len(clips)} clips: {got}")
    return ac.Counts(frontend, network)


def check_stream(dev, graph, samples: np.ndarray, config: st.StreamConfig, chunks: list[int]) -> list[st.Event]:
    """Stream the samples in chunks of the given sample counts with the window dump on, and
    check the device against the host reference. Returns the device's events."""
    ac.stream_start(dev, config, verbose=2)
    events, inferences, frontend = [], [], 0
    start = 0
    for n in chunks:
        got = ac.stream_chunk(dev, samples[start:start + n], config.labels)
        events += got.events
        inferences += got.inferences
        frontend += got.counts.frontend
        start += n
    assert start == len(samples) and frontend > 0
    totals = ac.stream_stop(dev)
    assert (totals.samples, totals.inferences, totals.events) == (len(samples), len(inferences), len(events))

    # the network and the detector, exactly: the reference on the device's own windows
    detector, want_events = st.Detector(config), []
    for inf in inferences:
        sums, event = detector.step(reference_outputs(graph, inf.window), inf.sample)
        assert np.array_equal(inf.sums, sums), f"at sample {inf.sample}: sums {inf.sums} != reference {sums}"
        want_events += [event] if event is not None else []
    assert events == want_events
    # the whole stream through the twin: the same inferences, windows as stated, the same events
    ref = st.run_stream(samples, graph, config, keep_inputs=True)
    assert [inf.sample for inf in inferences] == ref.samples
    windows = agreement((inf.window, x.reshape(inf.window.shape)) for inf, x in zip(inferences, ref.inputs))
    assert windows.ok(), f"stream windows: {windows}"
    assert events == ref.events, f"device {events}\nreference {ref.events}"
    print(f"{len(inferences)} inferences, windows {windows}; events {[(e.label, e.sample) for e in events]}")
    return events


def random_chunks(total: int, seed: int, largest: int = 12000) -> list[int]:
    """Chunk lengths (samples) of any size, frames straddling them, summing to total."""
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < total:
        sizes.append(int(min(rng.integers(1, largest), total - sum(sizes))))
    return sizes


def stream_config(graph) -> st.StreamConfig:
    return st.StreamConfig.for_graph(graph, hop_every=2, smooth=3, threshold=0.6, refractory_ms=800)


def check_bad_input(dev) -> None:
    """Bad audio input gets one e- line; the firmware keeps serving and the stream its state."""
    def rejected(cmd: str, payload: bytes = b"") -> str:
        with pytest.raises(DeviceError) as err:
            dev.command(cmd, payload, ac.deadline(dev, len(payload)))
        return err.value.device_message

    payload = b"name%" * 3                      # would be answered if taken for commands
    assert rejected("tg stream 15", payload) == ("stream: not started, send tg stream start first; a chunk of "
                                                 "15 bytes (discarded 15 bytes)")
    assert rejected("tg stream stop").startswith("stream: not started")
    assert rejected("tg audio 15", payload) == ("audio clip of 15 bytes: odd, but samples are int16 (2 bytes) "
                                                "(discarded 15 bytes)")
    assert rejected("tg audio 32002", bytes(32002)) == ("audio clip of 32002 bytes: more than one clip "
                                                        "(32000 bytes, 1 s of 16 kHz int16) (discarded 32002 bytes)")
    assert rejected("tg audio x") == "bad number: x"
    assert rejected("tg stream start 0 3 500 100") == "stream: HOP must be at least 1 (frames between inferences)"
    assert rejected("tg stream start 2 17 500 100") == "stream: SMOOTH must be 1..16 (inferences averaged)"
    assert rejected("tg stream start 2 3 500 100 3").startswith("stream: VERBOSE must be 0, 1")
    assert rejected("tg stream start 2 3 500 100 0 4096") == "stream: MASK names classes beyond the model's 12 outputs"
    assert rejected("tg stream start 2 3 500").startswith("usage: tg stream start")
    assert rejected("tg stream 4 5").startswith("usage: tg stream N")

    config = st.StreamConfig(hop_every=1, smooth=1, threshold_units=1, refractory=0)
    ac.stream_start(dev, config)
    ac.stream_chunk(dev, np.ones(700, np.int16))
    assert rejected("tg stream 15", payload) == "stream chunk of 15 bytes: odd, but samples are int16 (2 bytes) " \
                                               "(discarded 15 bytes)"
    t = time.monotonic()
    dev.link.write(b"tg stream 100%" + bytes(40))        # 40 of 100 bytes, then silence
    with pytest.raises(DeviceError, match=r"upload truncated: got 40 of 100 bytes"):
        dev.read_reply("tg stream 100")
    if "stand-in" not in dev.info()["port"]:              # stand-ins count the 500 ms in instructions
        assert time.monotonic() - t >= 0.45, "answered before the 500 ms upload timeout"
    totals = ac.stream_stop(dev)                  # the truncated chunk changed nothing
    assert (totals.samples, totals.frames) == (700, 1)
    assert dev.name() == "tinygen"


# -- the host's tg_device --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def host_kws(tmp_path_factory):
    graph, result = built("host", tmp_path_factory.mktemp("kws_audio"))
    return graph, result


@pytest.fixture
def host_device(host_kws):
    _, result = host_kws
    with open_device(get_board("host"), result.out_dir) as dev:
        yield dev


def test_audio_clip_host(host_kws, host_device):
    graph, result = host_kws
    assert result.manifest["frontend"] == "mfcc-f32"
    assert ac.frontend_name(host_device) == "mfcc-f32"
    check_clips(host_device, graph, speech_clips()[::3])


def test_audio_stream_host(host_kws, host_device):
    graph, _ = host_kws
    ks = keyword_stream()
    events = check_stream(host_device, graph, ks.samples, stream_config(graph), random_chunks(len(ks.samples), 1))
    assert events, "the keyword stream raised no event: the comparison has no teeth"
    score = st.score_events(events, ks.truth, len(ks.samples))
    print(f"hits {score.hits} of {len(ks.truth)}, false accepts {score.false_accepts}")


GAINED_MODEL = """
import sys
sys.path.insert(0, {kws!r})
import _kws

model, example_input, calibration_data = _kws.model_file_functions(_kws.dscnn, {weights!r}, _kws.WAKE_GAINS)


def feature_gains():
    return _kws.WAKE_GAINS
"""


@pytest.fixture(scope="module")
def host_gained(tmp_path_factory):
    """The clip DS-CNN (examples/kws/dscnn_kws.py's weights) taking features with the wake word's
    gains (c0 at 1/8), built for the host with the front end."""
    folder = tmp_path_factory.mktemp("kws_gains")
    path = folder / "gained_kws.py"
    kws_examples = EXAMPLES.parent / "kws"
    path.write_text(GAINED_MODEL.format(kws=str(kws_examples), weights=str(kws_examples / "dscnn_kws.py")))
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(kernels="tinygen"))
    afw.attach(graph, afw.choose("mfcc", get_board("host")))
    return graph, build(source, graph, get_board("host"), folder / "host")


def test_audio_feature_gains_host(host_gained):
    """A model file's feature_gains(): the device quantizes each coefficient on its own step (the
    input's scale over the gain) in clip and stream mode, as the twin does, and the model's
    outputs are exact on those features."""
    graph, result = host_gained
    assert graph.meta["feature_gains"] == (0.125,) + (1.0,) * 9
    scales, _ = st.input_grid(graph)
    assert scales[0] == pytest.approx(8 * scales[1]) and np.all(scales[1:] == scales[1])
    tables = (result.out_dir / afw.TABLES_C).read_text()
    assert "tg_audio_input_scale[10]" in tables
    with open_device(get_board("host"), result.out_dir) as dev:
        check_clips(dev, graph, speech_clips()[::4])
        ks = keyword_stream()
        check_stream(dev, graph, ks.samples, stream_config(graph), random_chunks(len(ks.samples), 2))


def test_audio_bad_input_host(host_device):
    check_bad_input(host_device)


def test_audio_frontend_choice_and_refusal():
    f746, c3, host = get_board("f746zg"), get_board("esp32-c3"), get_board("host")
    assert afw.choose("mfcc", f746) == afw.Frontend("mfcc", "f32")
    assert afw.choose("mfcc", get_board("f446re")).arithmetic == "f32"
    assert afw.choose("mfcc", c3) == afw.Frontend("mfcc", "q31")
    assert afw.choose("mfcc-q31", f746).arithmetic == "q31" and afw.choose("mfcc", host).arithmetic == "f32"
    with pytest.raises(UsageError, match="esp32-c3 .* has no floating-point unit"):
        afw.choose("mfcc-f32", c3)
    with pytest.raises(UsageError, match="unknown front end"):
        afw.choose("mel", f746)
    _, mlp = compile_example("mlp")
    with pytest.raises(TinygenError, match=r"produces int8 features \[1, 49, 10, 1\].*but the model's input is"):
        afw.attach(mlp, afw.Frontend("mfcc", "f32"))
    assert "frontend" not in mlp.meta


def test_audio_frontend_cli_refuses_wrong_model(capsys, tmp_path):
    from tinygen.cli import main

    out = tmp_path / "mlp"
    assert main(["build", str(EXAMPLES / "mlp.py"), "--board", "host", "--frontend", "mfcc", "-q",
                 "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "--frontend mfcc produces int8 features [1, 49, 10, 1]" in err and "hint:" in err
    assert not out.exists() or not any(out.iterdir()), "a refused build wrote files"


def test_audio_frontend_memory_predicted():
    """The prediction adds the front end's buffers to RAM and its tables and code to flash."""
    board = get_board("f446re")
    _, graph = kws("host")
    use = predict(graph, board, 1000)
    parts = afw.Frontend("mfcc", "f32").ram_parts()
    for part, size in parts.items():
        assert use.regions["ram"].parts[part] == size
    assert use.frontend == sum(parts.values()) > 2 * 16000
    assert use.regions["flash"].parts["front-end tables"] == afw.table_bytes(
        afw.Frontend("mfcc", "f32").tables(KWS_SCALE, KWS_ZERO_POINT)) > 6000
    plain = predict(compile_example("mlp")[1], board, 1000)
    assert plain.frontend == 0 and "audio upload" not in plain.regions["ram"].parts


def test_audio_frontend_fit_check_counts_its_buffers():
    """A part whose RAM holds the model but not the front end's buffers is refused before
    anything compiles, and the message names the audio upload."""
    import dataclasses

    from tinygen.build.memory import MemoryFitError, check_prediction

    f446 = get_board("f446re")
    _, graph = kws("host")
    plain = predict(compile_source(load_source(mlperf_model("kws_dscnn")), options=CompileOptions()), f446, 1000)
    small_ram = plain.regions["ram"].used + 16 * 1024        # room for the model, not for 1 s of audio
    memory = tuple({**r, "size": small_ram} if r["kind"] == "ram" and r.get("link") else r for r in f446.memory)
    small = dataclasses.replace(f446, memory=memory)
    check_prediction(plain, small, "kws")
    with pytest.raises(MemoryFitError, match=r"does not fit nucleo-f446re: RAM needs .*audio upload 31\.2 KiB"):
        check_prediction(predict(graph, small, 1000), small, "kws")


class FakeDevice:
    """Answers commands from a script (command -> lines), as tinygen.hil.client.Device would."""
    timeout = 10.0

    def __init__(self, answers: dict[str, list[str]]):
        self.answers, self.sent = answers, []

    def command(self, cmd, payload=b"", timeout=None):
        from tinygen.hil.client import Reply

        self.sent.append((cmd, payload, timeout))
        return Reply(cmd, self.answers[cmd])


def test_audio_client_parses_the_protocol():
    config = st.StreamConfig(hop_every=2, smooth=3, threshold_units=500, refractory=16000)
    window = np.arange(490).astype(np.int8)
    dev = FakeDevice({
        "tg stream start 2 3 500 16000 2 1023": ["m-tg-stream-start-[2,3,500,16000,2,1023]"],
        "tg stream 8": ["m-tg-inf-[16000,1,2,3,4,5,6,7,8,9,510,0,0]", f"m-tg-window-[{window.tobytes().hex()}]",
                        "m-tg-event-[9,16000,510]", "m-tg-stream-[4,50,1,1]", "m-tg-count-[30]",
                        "m-tg-split-[10,20]", "m-tg-windows-[4]"],
        "tg stream stop": ["m-tg-stream-stop-[16000,49,1,1]"],
    })
    ac.stream_start(dev, config, verbose=2)
    events, inferences, counts = ac.stream_chunk(dev, np.array([1, -2, 3, 32767], np.int16))
    assert dev.sent[1][1] == bytes([1, 0, 0xFE, 0xFF, 3, 0, 0xFF, 0x7F])          # little-endian int16
    assert dev.sent[1][2] >= dev.timeout                                       # the deadline follows the work
    assert events == [st.Event("yes", 16000, 510)] and counts == ac.Counts(10, 20, 4) and counts.total == 30
    assert counts.frames == 6
    assert inferences[0].sample == 16000 and inferences[0].sums.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 510, 0, 0]
    assert np.array_equal(inferences[0].window, window.reshape(49, 10))
    assert ac.stream_stop(dev) == ac.StreamTotals(16000, 49, 1, 1)
    with pytest.raises(ValueError, match="1-D int16"):
        ac.stream_chunk(dev, np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="longer than one upload"):
        ac.audio_clip(dev, np.zeros(16001, np.int16))


def test_audio_client_rejects_a_bad_answer():
    from tinygen.hil.client import ProtocolError

    bad_sum = FakeDevice({"tg audio 4": [f"m-tg-features-[{bytes(490).hex()}]", "m-tg-out-[00]", "m-tg-count-[31]",
                                         "m-tg-split-[10,20]"]})
    with pytest.raises(ProtocolError, match="not the sum"):
        ac.audio_clip(bad_sum, np.zeros(2, np.int16))
    stream = ["m-tg-stream-[4,50,1,0]", "m-tg-count-[30]", "m-tg-split-[10,20]"]
    windows = FakeDevice({"tg stream 2": stream + ["m-tg-windows-[11]"]})
    with pytest.raises(ProtocolError, match="not a part of"):
        ac.stream_chunk(windows, np.zeros(1, np.int16))
    with pytest.raises(ProtocolError, match="no m-tg-windows"):
        ac.stream_chunk(FakeDevice({"tg stream 2": stream}), np.zeros(1, np.int16))
    echo = FakeDevice({"tg stream start 2 3 0 16000 0 1023": ["m-tg-stream-start-[2,3,0,16000,0,1]"]})
    with pytest.raises(ProtocolError, match="asked for stream settings"):
        ac.stream_start(echo, st.StreamConfig())


# -- the stand-ins ---------------------------------------------------------------------------------

needs_standins = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("arm-none-eabi-gcc", "qemu-system-arm", "riscv64-unknown-elf-gcc",
                                          "qemu-system-riscv32")),
    reason="needs the Cortex-M and RISC-V compilers and QEMU stand-ins (make toolchain)")


@pytest.fixture(scope="module")
def standin_builds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kws_audio_standins")
    return functools.lru_cache(maxsize=None)(lambda name: built(name, folder))


@pytest.mark.slow
@needs_standins
@pytest.mark.parametrize("board_name", list(STANDINS))
def test_audio_clip_standin(standin_builds, board_name):
    graph, result = standin_builds(board_name)
    board = get_board(board_name)
    # the front end's RAM: the ELF's tg_audio_* buffers are the prediction's, byte for byte
    predicted = result.manifest["memory"]["predicted"]["frontend"]
    assert result.manifest["memory"]["firmware-emu.elf"]["frontend"] == predicted
    with open_device(board, result.out_dir, emulate=True) as dev:
        assert ac.frontend_name(dev) == STANDINS[board_name]
        counts = check_clips(dev, graph, few_clips(5))
    print(f"{board_name}: front end {counts.frontend / 49:.0f} instructions per frame, network {counts.network}")


@pytest.mark.slow
@needs_standins
@pytest.mark.parametrize("board_name", ["nucleo-f746zg", "esp32-c3", "stm32n6570-dk"])
def test_audio_stream_standin(standin_builds, board_name):
    graph, result = standin_builds(board_name)
    ks = keyword_stream(("us_yes", "f3_right", "us_left"), gap=0.35)
    with open_device(get_board(board_name), result.out_dir, emulate=True) as dev:
        events = check_stream(dev, graph, ks.samples, stream_config(graph), random_chunks(len(ks.samples), 2))
    assert events, "the keyword stream raised no event: the comparison has no teeth"


@pytest.mark.slow
@needs_standins
def test_audio_bad_input_standin(standin_builds):
    _, result = standin_builds("nucleo-f746zg")
    with open_device(get_board("nucleo-f746zg"), result.out_dir, emulate=True) as dev:
        check_bad_input(dev)
