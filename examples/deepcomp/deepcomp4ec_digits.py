"""The digits CNN pruned 70%, then its weights shared at 4 bits with the entropy-constrained
assignment (share_weights(net, 4, entropy=LAMBDA), the LAMBDA RESULTS.md names: few centroids
take most weights, some kept weights join the zero) and fine-tuned, so that the indices
Huffman-code short (examples/deepcomp/_deepcomp.py, RESULTS.md).

    python examples/deepcomp/deepcomp_digits.py      # trains every stage
    tinygen build examples/deepcomp/deepcomp4ec_digits.py --board f746zg --weights huffman
"""

import _deepcomp

model, example_input, calibration_data = _deepcomp.model_file_functions(4, __file__)
