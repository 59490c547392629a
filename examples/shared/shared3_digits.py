"""The digits CNN with weights shared among 8 trained centroids per output channel
(3-bit indices; examples/shared/_shared.py, RESULTS.md).

    python examples/shared/shared_digits.py --bits 3     # trains int8, then shares and fine-tunes
    tinygen build examples/shared/shared3_digits.py --board f746zg
"""

import _shared

model, example_input, calibration_data = _shared.model_file_functions(3, __file__)
