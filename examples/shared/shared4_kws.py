"""The DS-CNN keyword spotter with weights shared among 16 trained centroids per output
channel (4-bit indices; examples/shared/shared_kws.py trains it, RESULTS-kws.md).

    tinygen build examples/shared/shared4_kws.py --board f746zg
"""

import shared_kws

model, example_input, calibration_data = shared_kws.model_file_functions(4, __file__)
