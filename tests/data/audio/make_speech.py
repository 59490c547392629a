"""Regenerate speech.npz, the spoken words the audio front end's tests run through the C
front end and the twin (tests/audio_data.py adds noise and level changes to them).

    python tests/data/audio/make_speech.py        # needs espeak-ng (apt-get install espeak-ng)

Each word is synthesized by eSpeak NG (https://github.com/espeak-ng/espeak-ng, the command
below; its speech output carries no licence terms of its own), resampled from 22,050 Hz to
16 kHz with scipy.signal.resample_poly(320, 441), rounded to int16 and trimmed to the
samples above 1% of its peak (plus 20 ms either side). speech.npz holds one int16 array per
clip, named VOICE_WORD, and `provenance`, the espeak-ng version and the commands.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.io.wavfile
import scipy.signal

HERE = Path(__file__).resolve().parent
# (name, espeak-ng arguments): several voices, pitches and speeds
VOICES = {
    "us": ["-v", "en-us"],
    "rp": ["-v", "en-gb-x-rp", "-p", "70", "-s", "140"],
    "f3": ["-v", "en-us+f3", "-s", "190"],
}
WORDS = {
    "us": ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "house", "seven"],
    "rp": ["yes", "stop", "left", "down"],
    "f3": ["no", "go", "right", "up"],
}
TRIM_LEVEL, MARGIN = 0.01, 320


def synthesize(args: list[str], word: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "w.wav"
        subprocess.run(["espeak-ng", *args, "-w", str(wav), word], check=True)
        rate, data = scipy.io.wavfile.read(wav)
    assert rate == 22050, rate
    x = scipy.signal.resample_poly(data.astype(np.float64), 320, 441)
    loud = np.flatnonzero(np.abs(x) > TRIM_LEVEL * np.abs(x).max())
    x = x[max(0, loud[0] - MARGIN):loud[-1] + MARGIN]
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def main() -> int:
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    clips, commands = {}, []
    for voice, args in VOICES.items():
        for word in WORDS[voice]:
            clips[f"{voice}_{word}"] = synthesize(args, word)
            commands.append(f"espeak-ng {' '.join(args)} -w OUT.wav {word}")
    provenance = version + "\n" + "\n".join(commands)
    np.savez_compressed(HERE / "speech.npz", provenance=np.array(provenance), **clips)
    total = sum(len(c) for c in clips.values())
    print(f"{len(clips)} clips, {total / 16000:.1f} s, {(HERE / 'speech.npz').stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
