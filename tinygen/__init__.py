"""tinygen: a compiler for tiny machine learning.

Quantized PyTorch models and int8 .tflite models in, readable C for
microcontrollers out.
"""

__version__ = "0.1.0"
