"""tinygen.audio.wav: 16 kHz mono int16 WAV in and out; anything else is a one-line error that
says what the file is and gives the sox command that converts it."""

from __future__ import annotations

import struct
import wave

import numpy as np
import pytest

from tinygen.audio.wav import read_wav, write_wav
from tinygen.errors import UsageError


def _wav(path, rate=16000, channels=1, width=2, frames=1600):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(np.arange(frames * channels * width, dtype=np.uint8).tobytes())
    return path


def _error(path) -> str:
    with pytest.raises(UsageError) as e:
        read_wav(path)
    assert "\n" not in e.value.message
    return str(e.value)


def test_wav_round_trip_int16(tmp_path):
    x = (np.sin(np.arange(4000) / 7) * 30000).astype(np.int16)
    x[:3] = [-32768, 32767, 0]
    got = read_wav(write_wav(tmp_path / "a.wav", x))
    assert got.dtype == np.int16 and np.array_equal(got, x)


def test_wav_not_16k_names_rate_and_sox(tmp_path):
    text = _error(_wav(tmp_path / "a.wav", rate=44100))
    assert "44100 Hz, not 16000 Hz" in text and "sox" in text and "-r 16000 -c 1 -b 16" in text


def test_wav_stereo(tmp_path):
    text = _error(_wav(tmp_path / "a.wav", channels=2))
    assert "2 channels, not mono" in text and "sox" in text


def test_wav_not_int16(tmp_path):
    assert "8-bit samples, not 16-bit" in _error(_wav(tmp_path / "a.wav", width=1))
    assert "24-bit samples" in _error(_wav(tmp_path / "b.wav", width=3))
    # all three wrong at once: all three named
    text = _error(_wav(tmp_path / "c.wav", rate=8000, channels=2, width=1))
    assert "8000 Hz" in text and "2 channels" in text and "8-bit" in text


def test_wav_float_samples(tmp_path):
    """IEEE float WAV (format 3): wave cannot open it; the error says what it is."""
    data = np.zeros(100, "<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)
    raw = b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE" + b"fmt " + \
        struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    (tmp_path / "f.wav").write_bytes(raw)
    text = _error(tmp_path / "f.wav")
    assert "32-bit float" in text and "sox" in text


def test_wav_cut_inside_its_header_says_what_is_missing(tmp_path):
    """30 bytes of a WAV: wave's own error is an empty EOFError (the message had "()")."""
    full = _wav(tmp_path / "a.wav", frames=1600).read_bytes()
    (tmp_path / "head.wav").write_bytes(full[:30])
    text = _error(tmp_path / "head.wav")
    assert "()" not in text
    assert "is not a readable WAV file: it is cut short: its 'fmt' chunk announces 16 bytes, the file holds 10 " \
           "of them (30 bytes in all)" in text
    assert "record it again" in text
    (tmp_path / "nodata.wav").write_bytes(full[:36])           # the fmt chunk, then nothing
    assert "it has no 'data' chunk" in _error(tmp_path / "nodata.wav")


def test_wav_truncated_and_empty(tmp_path):
    full = _wav(tmp_path / "a.wav", frames=1600).read_bytes()
    (tmp_path / "cut.wav").write_bytes(full[:len(full) - 1000])
    assert "truncated" in _error(tmp_path / "cut.wav")
    (tmp_path / "head.wav").write_bytes(full[:30])              # cut inside the header
    assert "not a readable WAV" in _error(tmp_path / "head.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    assert "is empty" in _error(tmp_path / "empty.wav")
    assert "holds no samples" in _error(_wav(tmp_path / "none.wav", frames=0))
    (tmp_path / "text.wav").write_text("hello")
    assert "not a WAV" in _error(tmp_path / "text.wav")
    assert "does not exist" in _error(tmp_path / "missing.wav")


def test_write_wav_refuses_other_dtypes(tmp_path):
    with pytest.raises(ValueError):
        write_wav(tmp_path / "a.wav", np.zeros(10, np.float32))
