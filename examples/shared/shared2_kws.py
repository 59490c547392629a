"""The DS-CNN keyword spotter with weights shared among 4 trained centroids per output
channel (2-bit indices; examples/shared/shared_kws.py trains it, RESULTS-kws.md).

    tinygen build examples/shared/shared2_kws.py --board f746zg
"""

import shared_kws

model, example_input, calibration_data = shared_kws.model_file_functions(2, __file__)
