"""tinygen keyword-spotting demo: a minute of synthesized speech streamed through a KWS firmware.

1. Build the synthesized corpus (tinygen.audio.corpus, espeak-ng; cached in build/kws-corpus)
   and score the wake-word model (examples/kws/wakeword_kws.py, shipped trained with its
   detector's settings tuned on validation recordings of held-out voices; --train trains
   and tunes it again) on its test clips.
2. Build the model for the Nucleo-F746ZG with the MFCC front end in the firmware
   (`tinygen build ... --frontend mfcc`).
3. Make a one-minute recording (keywords between other words over noise, test voices
   only) with its ground truth, and play it through the speakers where there are some.
4. Stream it through the firmware on the Cortex-M7 stand-in (`tinygen listen --emulate
   --stream` with the tuned detector), printing each detection as it comes, then the scores
   (hits, misses, false accepts, latency), the duty cycle (instructions per second of audio
   against the 216 MHz core), the plot, and the curve of hits against false accepts per hour
   as the threshold moves, from the device's own scores (`--roc`). `--port /dev/ttyACM0`
   does the same on a real board; `--reference`
   streams through the host twin instead (numpy: the same front end, network and
   detector, no instruction counts).

    python examples/kws_demo.py [--out build/demo-kws] [--port /dev/ttyACM0 | --reference] [--no-play]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODEL = HERE / "kws" / "wakeword_kws.py"
TARGET = (0.9, 60.0)        # a wake word's bar: 90% of the keywords, at most one false accept a minute


def sound_device() -> tuple[list[str] | None, str]:
    """A command that plays a WAV file, or None and why not."""
    aplay, play = shutil.which("aplay"), shutil.which("play")
    if aplay:
        cards = subprocess.run([aplay, "-l"], capture_output=True, text=True, check=False).stdout
        if "card " not in cards:
            return None, "no sound card (aplay -l lists none)"
        return [aplay, "-q"], "aplay"
    if play:
        if not Path("/dev/snd").exists() and not shutil.which("pulseaudio") and not shutil.which("pipewire"):
            return None, "no sound device (/dev/snd is missing)"
        return [play, "-q"], "play (sox)"
    return None, "neither aplay nor play (sox) is installed"


def tuned_detector() -> list[str]:
    """The wake-word model's detector settings as `tinygen listen` options (stored with its weights)."""
    sys.path.insert(0, str(MODEL.parent))
    try:
        import _detector
    finally:
        sys.path.remove(str(MODEL.parent))
    return _detector.listen_options(MODEL)


def step(n: int, text: str) -> None:
    print(f"[{n}/4] {text}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/demo-kws", help="working directory (default build/demo-kws)")
    ap.add_argument("--board", default="f746zg", help="board whose firmware runs the stream (default f746zg)")
    ap.add_argument("--port", help="a real board's serial port: flash it and stream over the port")
    ap.add_argument("--reference", action="store_true", help="stream through the host twin (no firmware)")
    ap.add_argument("--train", action="store_true", help="train the model again instead of loading the shipped one")
    ap.add_argument("--no-play", action="store_true", help="do not play the recording")
    ap.add_argument("--seed", type=int, default=1, help="the recording's seed (default 1)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from tinygen.audio import corpus, evaluate, recording
    from tinygen.cli import main as tinygen_main
    from tinygen.compiler import compile_source, load_source
    from tinygen.errors import TinygenError

    try:
        step(1, "the synthesized corpus (espeak-ng; cached in build/kws-corpus) and the wake-word model")
        t0 = time.perf_counter()
        test = corpus.build(splits=("train", "test"), progress=lambda m: print("      " + m, flush=True))["test"]
        if args.train:
            subprocess.run([sys.executable, str(MODEL)], check=True)
        graph = compile_source(load_source(MODEL))
        pred = evaluate.predict(graph, evaluate.clip_inputs(graph, test.clips))
        print(f"      {MODEL.relative_to(HERE.parent)} (int8) recognises {(pred == test.labels).mean():.2%} of the "
              f"{len(test)} test clips (voices never heard in training); {time.perf_counter() - t0:.0f} s")
        rec_wav, rec_truth = recording.build_recording(out, recording.RecordingSpec(seed=args.seed, minutes=1.0))
        keywords = len(recording.read_truth(rec_truth))
        detector = tuned_detector()
    except TinygenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

    reference = args.reference
    where = ["--port", args.port, "--flash"] if args.port else ["--emulate"]
    common = [str(MODEL), "--board", args.board, "-o", str(out / "firmware")]
    if reference:
        step(2, "no firmware build, the host twin streams instead (as --reference asks)")
    else:
        step(2, f"tinygen build {MODEL.name} --board {args.board} --frontend mfcc")
        rc = tinygen_main(["build", *common, "--frontend", "mfcc"])
        if rc != 0:
            return rc

    step(3, f"a one-minute recording with {keywords} keywords: {rec_wav} (truth {rec_truth.name})")
    player, how = sound_device()
    playing = None
    if args.no_play:
        print("      not playing it (--no-play)")
    elif player is None:
        print(f"      not playing it: {how}")
    else:
        print(f"      playing it through the speakers with {how}")

    target = "the host twin" if reference else ("the board on " + args.port if args.port
                                                 else f"the {args.board} stand-in (QEMU Cortex-M7)")
    step(4, f"streaming it through {target}, paced like a microphone (never faster than real time)"
            f"{' with the sound' if player and not args.no_play else ''}; detector {' '.join(detector)}")
    report, plot, roc = out / "stream.json", out / "stream.png", out / "roc.png"
    hil = ["listen", *common, "--stream", str(rec_wav), "--truth", str(rec_truth), "--plot", str(plot),
           "--roc", str(roc), "--json", str(report), "--realtime", "-q", *detector,
           *(["--reference"] if reference else where)]
    if player and not args.no_play:
        playing = subprocess.Popen([*player, str(rec_wav)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        rc = tinygen_main(hil)
    finally:
        if playing is not None:
            playing.terminate()
            playing.wait()
    if report.exists():
        s = json.loads(report.read_text())
        sc = s["score"]
        met = sc["hits"] >= TARGET[0] * sc["keywords"] and sc["false_accepts_per_hour"] <= TARGET[1]
        print(f"\n{sc['hits']} of {sc['keywords']} keywords detected ({sc['hits'] / max(1, sc['keywords']):.0%}), "
              f"{sc['false_accepts']} false accept{'' if sc['false_accepts'] == 1 else 's'} in "
              f"{s['audio_seconds']:.0f} s "
              f"({sc['false_accepts_per_hour']:.0f} per hour): {'meets' if met else 'misses'} the wake-word bar of "
              f"{TARGET[0]:.0%} hits at {TARGET[1]:g} false accepts per hour at most")
        print(f"plot: {plot}; hits against false accepts per hour as the threshold moves: {roc}; report: {report}")
        if s["cost"] and s["cost"]["duty_cycle"] is not None:
            print(f"duty cycle {s['cost']['duty_cycle']:.1%} of the {s['cost']['clock_hz'] / 1e6:g} MHz core "
                  f"({s['cost']['per_audio_second']:,.0f} {s['cost']['unit']} per second of audio)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
