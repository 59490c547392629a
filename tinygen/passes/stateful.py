"""--stateful (CompileOptions.stateful): every recurrent layer (LSTM, GRU) keeps its state from one
invocation to the next, so a model over one time step per invocation runs a sequence frame by
frame on the device; tg_model_reset_state() (`tg reset` on the device) starts a new sequence.
Without it each invocation starts from the layer's h0 / c0, as PyTorch's forward does. A .tflite
LSTM or SVDF is stateful anyway (TFLite keeps its state in variable tensors)."""

from __future__ import annotations

from tinygen.errors import UsageError
from tinygen.ir import Graph


def stateful(graph: Graph) -> Graph:
    for node in (n for n in graph.nodes if n.op in ("lstm", "gru")):
        if len(node.inputs) > 1:
            raise UsageError(f"--stateful with layer {node.name} ({node.source}), whose initial state is a model "
                             "input: a stateful layer carries its own state over",
                             "make h0 / c0 constants (or zeros), or leave out --stateful and pass the state")
        node.attrs["stateful"] = True
    return graph
