"""Audio for keyword spotting: the MFCC front end's numpy twin (tinygen.audio.frontend)."""

from tinygen.audio.frontend import features, quantize

__all__ = ["features", "quantize"]
