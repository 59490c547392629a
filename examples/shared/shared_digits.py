"""Train the shared-weight digits models and rewrite RESULTS.md (see _shared.py).

    python examples/shared/shared_digits.py [--bits 4 3 2]
"""

import argparse

import _shared

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="train the shared-weight digits models (tinygen.nn.share_weights)")
    ap.add_argument("--bits", type=int, nargs="+", default=[4, 3, 2])
    _shared.run(ap.parse_args().bits)
