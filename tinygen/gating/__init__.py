"""Dynamic inference (issue 23): run-time channel gating and early exits.

The compiler side of tinygen.nn.gating's modules. A gate is a `channel_gate` node (its
saliency predictor is ordinary mean / fully_connected nodes); `fuse_gates` merges the gated
conv and its per-channel multiply into one `conv2d_gated` node whose kernel computes only the
kept channels; early exits are one `exit_select` node whose early heads `order_exits`
schedules first and the generated code checks right after each head, returning when one
answers. Numpy twins in ref.py, kernels and parameters in kernels.py, the per-input record
(exit, kept channels) in trace.py, threshold / density sweeps in sweep.py.

.tflite models have no gating: TFLite has no such ops; only PyTorch models built with
tinygen.nn.gating are dynamic.
"""

from tinygen.gating.trace import Trace, gate_channels, gates, is_dynamic, trace

__all__ = ["Trace", "gate_channels", "gates", "is_dynamic", "trace"]
