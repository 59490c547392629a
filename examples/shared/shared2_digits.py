"""The digits CNN with weights shared among 4 trained centroids per output channel
(2-bit indices; examples/shared/_shared.py, RESULTS.md).

    python examples/shared/shared_digits.py --bits 2     # trains int8, then shares and fine-tunes
    tinygen build examples/shared/shared2_digits.py --board f746zg
"""

import _shared

model, example_input, calibration_data = _shared.model_file_functions(2, __file__)
