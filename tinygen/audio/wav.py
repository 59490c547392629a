"""WAV files in the one format the keyword-spotting path takes: 16 kHz, mono, 16-bit PCM.

    samples = read_wav("clip.wav")          # int16 [n]; a UsageError naming the fix otherwise
    write_wav("out.wav", samples)

A file in any other format is refused in one line that says what it is and gives the sox
command that converts it (`sox IN -r 16000 -c 1 -b 16 -e signed-integer OUT`). No silent
resampling or down-mixing: what the device hears is exactly what the file holds.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from tinygen.errors import UsageError

SAMPLE_RATE = 16_000
WAVE_FORMAT_PCM = 1
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
CUT_SHORT = "it is cut short"
DAMAGED = "its header is damaged"


def convert_hint(path: str | Path) -> str:
    p = Path(path)
    return f"convert it: sox {p} -r 16000 -c 1 -b 16 -e signed-integer {p.with_name(p.stem + '-16k.wav')}"


def _format_tag(raw: bytes) -> int | None:
    """The fmt chunk's format tag (wave refuses float and others with a vaguer message)."""
    pos = 12
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], int.from_bytes(raw[pos + 4:pos + 8], "little")
        if cid == b"fmt " and size >= 2:
            return int.from_bytes(raw[pos + 8:pos + 10], "little")
        pos += 8 + size + (size & 1)
    return None


def _damage(raw: bytes) -> str:
    """What is wrong with a RIFF/WAVE file the wave module cannot read (its own words can be
    empty, "()")."""
    pos, seen = 12, []
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], int.from_bytes(raw[pos + 4:pos + 8], "little")
        name = cid.decode("ascii", errors="replace").strip() or repr(cid)
        if pos + 8 + size > len(raw):
            return (f"{CUT_SHORT}: its {name!r} chunk announces {size} bytes, the file holds "
                    f"{len(raw) - pos - 8} of them ({len(raw)} bytes in all)")
        seen.append(cid)
        pos += 8 + size + (size & 1)
    if pos < len(raw):
        return f"{CUT_SHORT}: {len(raw) - pos} bytes of a chunk header at its end ({len(raw)} bytes in all)"
    if b"fmt " not in seen:
        return "it has no 'fmt' chunk (the sample format)"
    if b"data" not in seen:
        return "it has no 'data' chunk (the samples)"
    return DAMAGED


def read_wav(path: str | Path) -> np.ndarray:
    """The samples of a 16 kHz mono int16 WAV file, as int16 [n]."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"audio file {str(p)!r} does not exist", "give a 16 kHz mono 16-bit WAV file")
    raw = p.read_bytes()
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        what = "empty" if not raw else "not a WAV (RIFF/WAVE) file"
        raise UsageError(f"{p} is {what}", convert_hint(p))
    tag = _format_tag(raw)
    if tag not in (None, WAVE_FORMAT_PCM, WAVE_FORMAT_EXTENSIBLE):
        kind = {3: "32-bit float", 6: "A-law", 7: "mu-law"}.get(tag, f"format {tag}")
        raise UsageError(f"{p} holds {kind} samples, not 16-bit integers", convert_hint(p))
    try:
        with wave.open(str(p), "rb") as w:
            rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
            data = w.readframes(frames)
    except (wave.Error, EOFError) as e:
        why = _damage(raw)
        if why.startswith(CUT_SHORT):
            raise UsageError(f"{p} is not a readable WAV file: {why}",
                             "the file is incomplete (an interrupted copy or recording?): copy or record it "
                             "again") from None
        raise UsageError(f"{p} is not a readable WAV file: {str(e) if why == DAMAGED and str(e) else why}",
                         convert_hint(p)) from None
    problems = []
    if rate != SAMPLE_RATE:
        problems.append(f"{rate} Hz, not 16000 Hz")
    if channels != 1:
        problems.append(f"{channels} channels, not mono")
    if width != 2:
        problems.append(f"{8 * width}-bit samples, not 16-bit")
    if problems:
        raise UsageError(f"{p} is {', '.join(problems)}", convert_hint(p))
    if len(data) != frames * 2:
        raise UsageError(f"{p} is truncated: its header announces {frames} samples, it holds {len(data) // 2}",
                         f"re-export the file, or {convert_hint(p)[len('convert it: '):]} to rewrite the header")
    if frames == 0:
        raise UsageError(f"{p} holds no samples", "give a recording with audio in it")
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def write_wav(path: str | Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """Write int16 mono samples as a PCM WAV file."""
    samples = np.asarray(samples)
    if samples.ndim != 1 or samples.dtype != np.int16:
        raise ValueError(f"write_wav takes 1-D int16 samples, got {samples.dtype} {list(samples.shape)}")
    p = Path(path)
    with wave.open(str(p), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return p


__all__ = ["SAMPLE_RATE", "convert_hint", "read_wav", "write_wav"]
