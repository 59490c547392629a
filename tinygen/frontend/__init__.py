"""Frontends: turn a user's model into the tinygen IR.

`torch_loader` loads a PyTorch model (a Python file with `model()` and
`example_input()`, or a saved `torch.export` program) and exports it;
`torch` translates the exported program into an IR graph (a PT2E-quantized one,
convert_pt2e's, through `torch_pt2e`, which writes it as the ONNX QDQ graph it is for the
`onnx/` importer). These modules are
the only places in tinygen that import torch. `tflite/` imports a .tflite flatbuffer and
`onnx/` an ONNX model (the only places that import `tflite`, `onnx` and `onnxruntime`);
`layout` maps NCHW values onto the IR's NHWC for the PyTorch and ONNX importers.
"""

from __future__ import annotations

import numpy as np


def nchw_to_ir(x: np.ndarray) -> np.ndarray:
    """A batch in torch's layout -> the IR's: [N, C, H, W] -> [N, H, W, C], [N, C, L] ->
    [N, 1, L, C] (Conv1d's layout, run as 1 x L images); other ranks unchanged."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 3:
        x = x[:, :, None, :]
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if x.ndim == 4 else x


def torch_to_ir(x: np.ndarray, layout: str = "image") -> np.ndarray:
    """A batch of one model input or output in torch's layout -> the IR's: "image" as
    nchw_to_ir, "torch" (a sequence [N, T, D] kept in torch's order, graph.meta
    ["torch_layouts"]; tinygen/frontend/torch_values.py) unchanged."""
    return nchw_to_ir(x) if layout == "image" else np.asarray(x, dtype=np.float32)


def ir_layout(graph, name: str) -> str:
    """The layout graph input or output `name` takes a torch batch in ("image" or "torch")."""
    return graph.meta.get("torch_layouts", {}).get(name, "image")
