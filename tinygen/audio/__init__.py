"""tinygen.audio: keyword spotting. The library behind `tinygen listen`:

    corpus, speech, noise   the synthesized keyword corpus (espeak-ng voices, noise), cached
    recording               the long evaluation recording and its ground truth
    wav                     16 kHz mono 16-bit WAV files
    stream                  stream mode's host reference (frames, the feature ring, the detector)
    evaluate                scoring a model on the corpus through the front end's twin
    device, client, report  clips and streams through a device, and what a run reports

The front end's compiler parts live on their floors: its numpy twin is tinygen.ref.mfcc,
its constant tables tinygen.kernels.mfcc_tables, and what a `--frontend mfcc` build adds to
the generated project tinygen.codegen.audio.
"""

from tinygen.ref.mfcc import features, quantize

__all__ = ["features", "quantize"]
