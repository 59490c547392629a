"""Quantization: TFLite fixed-point arithmetic, specs, and parameter derivation."""
