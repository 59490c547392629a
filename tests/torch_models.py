"""Compile nn.Modules in tests: export at batch 1, import, compile with calibration data
(in torch's layout), as `tinygen compile` does with a model file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from tinygen.compiler import SourceModel, compile_source, graph_hash
from tinygen.frontend.torch import from_exported


def source_of(net: torch.nn.Module, calib: np.ndarray, name: str = "model") -> SourceModel:
    """The SourceModel of `net` (eval mode) with calibration inputs `calib` [N, C, ...]."""
    net = net.eval()
    x = torch.from_numpy(np.ascontiguousarray(calib[:1], dtype=np.float32))
    graph = from_exported(torch.export.export(net, (x,)), name)
    return SourceModel(name, Path(f"{name}.py"), graph, graph_hash(graph), tuple(x.shape), "NCHW",
                       np.asarray(calib, np.float32))


def compile_module(net: torch.nn.Module, calib: np.ndarray, name: str = "model", options=None):
    """(source, compiled graph) of `net`, calibrated on `calib`."""
    source = source_of(net, calib, name)
    return source, compile_source(source, options=options)
