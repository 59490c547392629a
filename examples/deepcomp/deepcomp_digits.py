"""Train the pruned and the pruned + shared digits models and rewrite RESULTS.md (see
_deepcomp.py).

    python examples/deepcomp/deepcomp_digits.py [--bits 4 3 2]
"""

import argparse

import _deepcomp

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Deep Compression on the digits CNN: prune 70%, share, code")
    ap.add_argument("--bits", type=int, nargs="+", default=[4, 3, 2])
    _deepcomp.run(ap.parse_args().bits)
