"""Deep Compression's whole pipeline (Han et al.; issue 73) on the digits CNN of
examples/lowbit/_digits.py, starting from the int8 model of examples/shared (int8_digits.pt):

    1. prune: tinygen.nn.prune_weights(net, 0.7) zeros the 70% of each layer's weights
       smallest in magnitude; the rest are fine-tuned with the mask fixed  -> pruned_digits.pt
    2. share: tinygen.nn.share_weights(net, bits): per output channel, the pruned weights take a
       centroid fixed at 0, the kept ones 2**bits - 1 trained centroids; fine-tuned
                                                                           -> deepcomp<bits>_digits.pt
    3. code: `tinygen build ... --weights huffman` stores each layer's codebook indices
       Huffman-coded (tinygen/quant/huffman.py), decoded block by block while the layer runs.

`python examples/deepcomp/deepcomp_digits.py [--bits 4 3 2]` trains (one thread, fixed seeds)
and rewrites RESULTS.md: test accuracy after each step (eval mode, the integer semantics the
build computes) and the MAC layers' weight bytes as the f746zg build stores them
(tinygen.report.weights.stored_weight_bytes), int8 and with --weights huffman.
benchmarks/deep_compression.py builds every stage and runs it on the f746zg stand-in.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "shared"))

import _shared  # noqa: E402

from tinygen.board import get_board  # noqa: E402
from tinygen.compiler import compile_source, load_source  # noqa: E402
from tinygen.nn import prune_weights, share_weights  # noqa: E402
from tinygen.nn.prune import sparsity_of  # noqa: E402
from tinygen.passes import CompileOptions  # noqa: E402
from tinygen.quant.weight_spec import parse_weights  # noqa: E402
from tinygen.report.weights import stored_weight_bytes  # noqa: E402

_digits = _shared._digits
SPARSITY = 0.7
PRUNE_EPOCHS, SHARE_EPOCHS, LR, SHARE_LR = 10, 10, 1e-3, 1e-3
INT8_MODEL = HERE.parent / "shared" / "int8_digits.py"
PRUNED_MODEL = HERE / "pruned_digits.py"
RESULTS = HERE / "RESULTS.md"
BOARD = "f746zg"


def pruned_net() -> torch.nn.Module:
    """The pruned network's structure (load its weights after)."""
    net = _shared.int8_net()
    net.train()
    with torch.no_grad():               # the int8 input ranges must exist before eval
        net(torch.from_numpy(_digits.calibration_data()[:8]))
    prune_weights(net, SPARSITY)
    return net


def deepcomp_net(bits: int) -> torch.nn.Module:
    """The pruned and shared network's structure."""
    net = pruned_net()
    share_weights(net, bits)
    return net


def model_file_functions(bits: int | None, model_file: str):
    """(model, example_input, calibration_data) of a model file: pruned and shared at `bits`,
    or pruned only (None)."""
    def model():
        return _digits.load(deepcomp_net(bits) if bits else pruned_net(), model_file)
    return model, _digits.example_input, _digits.calibration_data


def model_file(bits: int | None) -> Path:
    return HERE / f"deepcomp{bits}_digits.py" if bits else PRUNED_MODEL


def compile_for(model_file: Path, weights: str | None = None, board: str = BOARD):
    """(source, graph) of a model file compiled for `board` with `--weights` `weights` (None: as
    the model file gives them: int8, or a shared model's codebooks on the LUT kernels)."""
    source = load_source(model_file)
    options = CompileOptions(features=get_board(board).isa_features, weights=parse_weights(weights))
    return source, compile_source(source, None, options)


def graph_weight_bytes(graph) -> tuple[int, int]:
    """(int8 bytes, bytes as built) of a compiled graph's MAC-layer weights."""
    nodes = [n for n in graph.nodes if n.kernel and n.params and n.param("weight")]
    return (sum(graph.tensor(n.param("weight")).size for n in nodes),
            sum(stored_weight_bytes(graph, n) for n in nodes))


def weight_bytes(model_file: Path, weights: str | None = None, board: str = BOARD) -> tuple[int, int]:
    """(int8 bytes, bytes as built) of the model file's MAC-layer weights (compile_for)."""
    return graph_weight_bytes(compile_for(model_file, weights, board)[1])


def train_pruned() -> tuple[torch.nn.Module, float]:
    """(the pruned, fine-tuned network, its accuracy right after pruning)."""
    net = _digits.load(_shared.int8_net(), INT8_MODEL)
    net.train()
    prune_weights(net, SPARSITY)
    pruned = _digits.accuracy(net)
    _digits.train(net, PRUNE_EPOCHS, LR)
    _digits.save(net, PRUNED_MODEL)
    return net, pruned


def run(bits_list: list[int]) -> None:
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    net8 = _digits.load(_shared.int8_net(), INT8_MODEL)
    rows = [("int8", "examples/shared/int8_digits.py", _digits.accuracy(net8), "", INT8_MODEL)]
    netp, before = train_pruned()
    rows.append((f"pruned {SPARSITY:.0%}", PRUNED_MODEL.name, _digits.accuracy(netp), f"{before:.2%}", PRUNED_MODEL))
    print(f"pruned {sparsity_of(netp):.1%}: {before:.2%} before fine-tuning, {rows[-1][2]:.2%} after", flush=True)
    for bits in bits_list:
        net = copy.deepcopy(netp)
        share_weights(net, bits)
        clustered = _digits.accuracy(net)
        _digits.train(net, SHARE_EPOCHS, SHARE_LR)
        file = model_file(bits)
        _digits.save(net, file)
        rows.append((f"pruned + shared {bits} bits", file.name, _digits.accuracy(net), f"{clustered:.2%}", file))
        print(f"shared {bits} bits: clustered {clustered:.2%}, fine-tuned {rows[-1][2]:.2%}", flush=True)
    write_results(rows, time.perf_counter() - t0)


def write_results(rows: list, seconds: float) -> None:
    lines = []
    for name, file, acc, before, path in rows:
        plain, stored = weight_bytes(path)
        _, coded = weight_bytes(path, "huffman")
        lines.append(f"| {name} | {file} | {acc:.2%} | {before or 'n/a'} | {stored:,} | {stored / plain:.3f} "
                     f"| {coded:,} | {coded / plain:.3f} |")
    RESULTS.write_text(f"""# Deep Compression on the digits CNN: prune, share, code

The CNN of examples/lowbit/_digits.py (449 test images), starting from the int8 model of
examples/shared (int8 weights and inputs in every layer). Pruned: `tinygen.nn.prune_weights(net,
{SPARSITY})` and {PRUNE_EPOCHS} epochs of masked fine-tuning. Shared: `share_weights(net, bits)` on the
pruned network (the pruned weights on a centroid fixed at zero, the kept ones on 2**bits - 1
trained centroids per output channel) and {SHARE_EPOCHS} epochs of fine-tuning. "before" is the
accuracy right after pruning or clustering, before fine-tuning. Weight bytes: the four MAC
layers' weights as the {BOARD} build stores them (tinygen.report.weights.stored_weight_bytes),
as built, then with `--weights huffman`; ratios against the int8 weights. Rewritten by
`python examples/deepcomp/deepcomp_digits.py` (one thread, fixed seeds; {seconds:.0f} s here).

| model | file | test acc | before | weight bytes | vs int8 | huffman bytes | vs int8 |
|---|---|---|---|---|---|---|---|
""" + "\n".join(lines) + "\n")
