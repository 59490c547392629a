"""`tinygen recording`: the long keyword-spotting evaluation recording (tinygen.audio.recording),
a WAV file and its ground truth, for `tinygen listen --stream`."""

from __future__ import annotations

from tinygen.audio.recording import DEFAULT_DIR, VOICE_SETS, RecordingSpec, build_recording, read_truth
from tinygen.errors import UsageError

EPILOG = """examples:
  tinygen recording                   # 10 minutes: build/kws-stream/stream-10min-seed0-*.wav and .csv (the truth)
  tinygen recording --minutes 1 --out build/kws-minute
  tinygen recording --voices train --seed 100   # a validation recording: training voices, to tune a detector on
  tinygen recording --voices heldout --seed 100 # ... or voices neither the corpus's training nor its test split has
  tinygen listen examples/kws/dscnn_kws.py --board f746zg --emulate --stream REC.wav --truth REC.csv
"""


def cmd_recording(args) -> int:
    if not args.minutes > 0:
        raise UsageError(f"--minutes {args.minutes} is not a length", "give minutes above zero, e.g. --minutes 1")
    wav, truth = build_recording(args.out, RecordingSpec(seed=args.seed, minutes=args.minutes, voices=args.voices))
    print(f"{wav}\n{truth} ({len(read_truth(truth))} keywords)")
    return 0


def add_command(sub, fmt) -> None:
    p = sub.add_parser("recording", help="make the keyword-spotting evaluation recording (WAV) and its ground "
                                         "truth (CSV)",
                       description="Keywords at known times between other words, over a changing noise bed, "
                                   "spoken by voices never heard in training (or, --voices train, by the training "
                                   "voices; extra and heldout: espeak-ng's other voices); deterministic from --seed, "
                                   "cached.",
                       epilog=EPILOG, formatter_class=fmt)
    g = p.add_argument_group("recording")
    g.add_argument("--minutes", type=float, default=10.0, help="its length (default 10)")
    g.add_argument("--seed", type=int, default=0, help="the seed it is drawn from (default 0)")
    g.add_argument("--voices", choices=VOICE_SETS, default="test",
                   help="whose voices speak: the corpus's test voices, never heard in training (default); its "
                        "training voices; extra: other voices to train on; heldout: voices in neither split nor "
                        "extra, for a validation recording that tunes a detector (tinygen.audio.speech.VOICE_SETS)")
    g.add_argument("--out", default=str(DEFAULT_DIR), metavar="DIR", help=f"its folder (default {DEFAULT_DIR})")
    p.set_defaults(func=cmd_recording)
