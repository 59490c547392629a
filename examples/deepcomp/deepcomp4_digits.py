"""The digits CNN pruned 70%, then its weights shared among 15 trained centroids and a
fixed zero per output channel (4-bit indices; examples/deepcomp/_deepcomp.py, RESULTS.md).

    python examples/deepcomp/deepcomp_digits.py      # trains every stage
    tinygen build examples/deepcomp/deepcomp4_digits.py --board f746zg --weights huffman
"""

import _deepcomp

model, example_input, calibration_data = _deepcomp.model_file_functions(4, __file__)
