"""examples/kws/gru_kws.py: the GRU keyword spotter loads from its small .pt file, compiles to
one GRU layer over the 49 MFCC frames, and runs through the audio path on the f746zg stand-in
(the firmware's MFCC front end, --frontend mfcc), built once for both modes:

- clip mode: one test clip of every class through the firmware; its features within the front
  end's tolerance of the host twin's, its outputs byte-equal to the reference interpreter's
  on the device's own features, and most clips right (chance is 1 in 12);
- stream mode: a short recording of test voices chunk by chunk, the device sending every
  window it ran the network on; the network and the detector replayed on those windows give
  the device's sums and events exactly, the windows are within the front end's tolerance of
  the host reference's, and it detects keywords.

The clips and the recording are synthesized with espeak-ng (cached in build/kws-corpus and
build/kws-recordings)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tinygen.audio import device as ad
from tinygen.audio import client as ac
from tinygen.audio import stream as st
from tinygen.board import get_board
from tinygen.codegen import audio as afw
from tinygen.compiler import build, compile_source, load_source
from tinygen.frontend import torch_loader
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions

MODEL = Path(__file__).resolve().parents[2] / "examples" / "kws" / "gru_kws.py"
BOARD = "nucleo-f746zg"
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed: the test clips are synthesized with it")
needs_standin = pytest.mark.skipif(any(shutil.which(t) is None for t in ("arm-none-eabi-gcc", "qemu-system-arm")),
                                   reason="needs the Cortex-M compiler and QEMU stand-in (make toolchain)")


def test_gru_kws_loads_small_and_compiles_to_one_gru():
    assert MODEL.with_suffix(".pt").stat().st_size < 150 * 1024
    loaded = torch_loader.load(MODEL)
    assert loaded.calibration is not None and loaded.calibration.shape == (64, 1, 49, 10)
    assert loaded.example_input.shape == (1, 1, 49, 10)
    graph = compile_source(load_source(MODEL))
    grus = [n for n in graph.nodes if n.op == "gru"]
    assert len(grus) == 1
    # the 49 frames are the GRU's steps, 10 MFCCs each; only its last step is kept
    assert graph.tensor(grus[0].inputs[0]).shape == (1, 49, 10)
    assert graph.tensor(grus[0].outputs[0]).shape == (1, 64)
    afw.attach(graph, afw.Frontend("mfcc", "f32"))      # the front end feeds it as it feeds the DS-CNN


@pytest.fixture(scope="module")
def standin_build(tmp_path_factory):
    """(graph, build result) of the GRU for the f746zg with the MFCC front end."""
    board = get_board(BOARD)
    source = load_source(MODEL)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels="tinygen"))
    afw.attach(graph, afw.choose("mfcc", board))
    return graph, build(source, graph, board, tmp_path_factory.mktemp("gru_kws") / BOARD)


@pytest.mark.slow
@needs_espeak
@needs_standin
def test_gru_kws_clips_on_the_standin(standin_build):
    from tinygen.audio import corpus

    graph, result = standin_build
    assert [k["kernel"] for k in result.manifest["layers"] if "gru" in k["kernel"]] == ["tg_gru_s8_dsp"]
    test = corpus.load_split("test")
    pick = [int(np.flatnonzero(test.labels == c)[3]) for c in range(len(st.KWS_LABELS))]
    with open_device(get_board(BOARD), result.out_dir, emulate=True) as dev:
        assert ac.frontend_name(dev) == "mfcc-f32"
        run = ad.run_clips(ad.DeviceAudio(dev, ac), graph, [test.clips[i] for i in pick], test.labels[pick])
    assert run.output_mismatches == [], run.output_mismatches
    assert run.feature_max_diff <= ad.FEATURE_TOLERANCE
    assert len(set(run.predictions)) > 3, "nearly every clip gave one answer: the comparison has no teeth"
    assert run.accuracy >= 0.5, f"{run.accuracy:.0%} of one clip per class (chance: 8%)"
    assert min(run.network_counts) > 100_000      # the GRU's 49 steps ran on the device


@pytest.mark.slow
@needs_espeak
@needs_standin
def test_gru_kws_stream_on_the_standin(standin_build):
    from tinygen.audio.recording import RecordingSpec, build_recording, read_truth
    from tinygen.audio.wav import read_wav

    graph, result = standin_build
    wav, truth_csv = build_recording(spec=RecordingSpec(seed=0, minutes=0.25))
    samples, truth = read_wav(wav), read_truth(truth_csv)
    config = st.StreamConfig.for_graph(graph)
    with open_device(get_board(BOARD), result.out_dir, emulate=True) as dev:
        run = ad.stream_audio(ad.DeviceAudio(dev, ac), graph, config, samples, truth, chunk=4000, verbose=2)
    assert run.windows_checked and run.inferences > 300
    assert run.exact_mismatch is None, run.exact_mismatch
    assert run.window_agreement()["max_difference"] <= ad.FEATURE_TOLERANCE
    assert run.sums_equal >= 0.95 * run.inferences, f"sums equal on {run.sums_equal} of {run.inferences}"
    assert run.score.hits > 0, f"no keyword of {len(truth)} detected"
    print(f"{run.inferences} inferences, sums equal {run.sums_equal}, windows {run.window_agreement()}, "
          f"hits {run.score.hits} of {len(truth)}, false accepts {run.score.false_accepts}")
