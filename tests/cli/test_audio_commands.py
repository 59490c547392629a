"""`tinygen corpus` and `tinygen recording`: the keyword-spotting data commands, run as a user
runs them (through tinygen's command line), with the speech synthesizer replaced by tone
bursts so that they need no espeak-ng and take seconds."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tinygen.audio import corpus
from tinygen.audio import recording as rc
from tinygen.audio.wav import read_wav
from tinygen.cli import corpus as corpus_cli
from tinygen.cli import main


def test_recording_command_writes_the_recording_and_its_truth(no_espeak, tmp_path, capsys):
    assert main(["recording", "--minutes", "0.25", "--seed", "1", "--out", str(tmp_path)]) == 0
    wav_line, truth_line = capsys.readouterr().out.strip().splitlines()
    wav, truth = rc.build_recording(tmp_path, rc.RecordingSpec(seed=1, minutes=0.25))
    assert wav_line == str(wav) and truth_line == f"{truth} ({len(rc.read_truth(truth))} keywords)"
    assert len(read_wav(wav)) == 15 * 16000
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([wav.name, truth.name])


def test_recording_command_training_voices(no_espeak, tmp_path, capsys):
    """--voices train: a validation recording, spoken by the training voices, under its own name."""
    assert main(["recording", "--minutes", "0.25", "--seed", "1", "--voices", "train", "--out", str(tmp_path)]) == 0
    wav_line = capsys.readouterr().out.strip().splitlines()[0]
    wav, _ = rc.build_recording(tmp_path, rc.RecordingSpec(seed=1, minutes=0.25, voices="train"))
    assert wav_line == str(wav) and "-train-" in wav.name
    with pytest.raises(SystemExit) as stop:
        main(["recording", "--voices", "dev", "--out", str(tmp_path)])
    assert stop.value.code == 2 and "invalid choice: 'dev'" in capsys.readouterr().err


def test_recording_command_refuses_a_length_of_zero(tmp_path, capsys):
    assert main(["recording", "--minutes", "0", "--out", str(tmp_path / "rec")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[0] == "tinygen recording: error: --minutes 0.0 is not a length", err
    assert not (tmp_path / "rec").exists()


def test_corpus_command_builds_and_exports_a_split(no_espeak, tmp_path, capsys, monkeypatch):
    small = dict(keyword_words={"train": 1, "test": 1}, unknown_words={"train": 2, "test": 2},
                 silence_clips={"train": 1, "test": 2}, copies={"train": 1, "test": 1},
                 fragment_clips={"train": 1, "test": 0})
    monkeypatch.setattr(corpus_cli, "CorpusSpec", lambda seed: corpus.CorpusSpec(seed=seed, **small))
    out = tmp_path / "clips"
    assert main(["corpus", "--cache", str(tmp_path / "cache"), "--seed", "4", "--export", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    splits = corpus.build(tmp_path / "cache", corpus.CorpusSpec(seed=4, **small))
    assert [line for line in lines if line.startswith(("train:", "test:"))] == \
        [corpus.summary(splits["train"]), corpus.summary(splits["test"])]
    test = splits["test"]
    assert lines[-1].startswith(f"wrote {len(test)} WAV files and ")
    with open(out / "labels.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(test)
    for row, clip in zip(rows, test.clips):
        assert np.array_equal(read_wav(out / row["file"]), clip)
