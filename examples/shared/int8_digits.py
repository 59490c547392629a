"""The int8 starting point of the shared-weight digits models (examples/shared/_shared.py):
int8 weights and inputs in every layer, trained from the float baseline.

    tinygen build examples/shared/int8_digits.py --board f746zg
"""

import _shared

model, example_input, calibration_data = _shared.model_file_functions(None, __file__)
