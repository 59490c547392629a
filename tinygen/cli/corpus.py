"""`tinygen corpus`: the synthesized keyword-spotting corpus (tinygen.audio.corpus), built or
checked in its cache, and a split written as WAV files for `tinygen listen --audio`."""

from __future__ import annotations

from tinygen.audio.corpus import DEFAULT_CACHE, SPLITS, CorpusSpec, build, export_wavs, summary

EPILOG = """examples:
  tinygen corpus                                  # build (or check) the cache in build/kws-corpus
  tinygen corpus --export build/kws-clips         # ... and write the test split as WAV files with labels.csv
  tinygen listen examples/kws/dscnn_kws.py --board f746zg --emulate --audio build/kws-clips \
      --labels build/kws-clips/labels.csv
"""


def cmd_corpus(args) -> int:
    splits = build(args.cache, CorpusSpec(seed=args.seed), progress=lambda m: print(m, flush=True))
    for split in splits.values():
        split.features()
        print(summary(split))
    if args.export:
        print(f"wrote {len(splits[args.split])} WAV files and {export_wavs(splits[args.split], args.export)}")
    return 0


def add_command(sub, fmt) -> None:
    p = sub.add_parser("corpus", help="build the synthesized keyword-spotting corpus (espeak-ng voices over "
                                      "noise, cached) and export a split as WAV files",
                       description="The ten MLPerf Tiny keywords, silence and unknown words spoken by espeak-ng "
                                   "in many voices over synthesised noise, deterministic from --seed and cached.",
                       epilog=EPILOG, formatter_class=fmt)
    data = p.add_argument_group("corpus")
    data.add_argument("--cache", default=str(DEFAULT_CACHE), metavar="DIR",
                      help=f"the corpus's cache folder (default {DEFAULT_CACHE})")
    data.add_argument("--seed", type=int, default=0, help="the seed every split is drawn from (default 0)")
    report = p.add_argument_group("report")
    report.add_argument("--export", metavar="DIR", help="also write the --split's clips as WAV files "
                        "(DIR/yes/00001.wav) with DIR/labels.csv, for tinygen listen --audio")
    report.add_argument("--split", choices=SPLITS, default="test", help="the split --export writes (default test)")
    p.set_defaults(func=cmd_corpus)
