"""The digits CNN with weights shared among 16 trained centroids per output channel
(4-bit indices; examples/shared/_shared.py, RESULTS.md).

    python examples/shared/shared_digits.py --bits 4     # trains int8, then shares and fine-tunes
    tinygen build examples/shared/shared4_digits.py --board f746zg
"""

import _shared

model, example_input, calibration_data = _shared.model_file_functions(4, __file__)
