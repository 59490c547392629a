"""Dynamic inference: run-time channel gating and early exits.

The compiler side of tinygen.nn.gating's modules. A gate is a `channel_gate` node (its
saliency predictor is ordinary mean / fully_connected nodes); `fuse_gates` merges the gated
conv and its per-channel multiply into one `conv2d_gated` node whose kernel computes only the
kept channels; early exits are one `exit_select` node whose early heads `order_exits`
schedules first and the generated code checks right after each head, returning when one
answers. The layers below hold what the compiler needs: the numpy twins in
tinygen/ref/gating.py, the per-input record (exit, kept channels) in ref/gating_trace.py,
kernels and parameters in kernels/gating.py, the passes in passes/fuse_gates.py and
passes/order_exits.py. This package is the capability on top: threshold / density sweeps
(sweep.py), choosing them (choose.py), what inspect and the reports say.

.tflite models have no gating: TFLite has no such ops; only PyTorch models built with
tinygen.nn.gating are dynamic.
"""

from tinygen.ref.gating_trace import Trace, gate_channels, gates, is_dynamic, trace

__all__ = ["Trace", "gate_channels", "gates", "is_dynamic", "trace"]
