"""Frontends: turn a user's model into the tinygen IR.

`torch_loader` loads a PyTorch model (a Python file with `model()` and
`example_input()`, or a saved `torch.export` program) and exports it;
`torch` translates the exported program into an IR graph. These modules are
the only places in tinygen that import torch.
"""
