"""The digits CNN with 70% of each layer's weights pruned by magnitude and the rest fine-tuned
(examples/deepcomp/_deepcomp.py, RESULTS.md).

    python examples/deepcomp/deepcomp_digits.py      # trains every stage
    tinygen build examples/deepcomp/pruned_digits.py --board f746zg --weights huffman
"""

import _deepcomp

model, example_input, calibration_data = _deepcomp.model_file_functions(None, __file__)
