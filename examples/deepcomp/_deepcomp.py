"""Deep Compression's whole pipeline (Han et al.; issue 73) on the digits CNN of
examples/lowbit/_digits.py, starting from the int8 model of examples/shared (int8_digits.pt):

    1. prune: tinygen.nn.prune_weights(net, 0.7) zeros the 70% of each layer's weights
       smallest in magnitude; the rest are fine-tuned with the mask fixed  -> pruned_digits.pt
    2. share: tinygen.nn.share_weights(net, bits): per output channel, the pruned weights take a
       centroid fixed at 0, the kept ones 2**bits - 1 trained centroids; fine-tuned
                                                                           -> deepcomp<bits>_digits.pt
    3. code: `tinygen build ... --weights huffman` stores each layer's codebook indices
       Huffman-coded (tinygen/quant/huffman.py), decoded block by block while the layer runs.

Step 2 for the coder: share_weights(net, 4, entropy=LAMBDA) assigns the kept weights to
centroids by distortion plus LAMBDA times the index's code length (tinygen/nn/ecsq.py), so few
centroids (the zero above all: some kept weights join it) take most weights and the coded
indices are short. Trained for each LAMBDA of ENTROPY_SWEEP; ENTROPY's model ships, the
LAMBDA whose weights code smallest with the test accuracy within a point of int8
                                                                           -> deepcomp4ec_digits.pt

`python examples/deepcomp/deepcomp_digits.py [--bits 4 3 2]` trains (one thread, fixed seeds)
and rewrites RESULTS.md: test accuracy after each step (eval mode, the integer semantics the
build computes) and the MAC layers' weight bytes as the f746zg build stores them
(tinygen.report.weights.stored_weight_bytes), int8 and with --weights huffman.
benchmarks/deep_compression.py builds every stage and runs it on the f746zg stand-in.
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "shared"))

import _shared  # noqa: E402

from tinygen.board import get_board  # noqa: E402
from tinygen.compiler import compile_source, load_source  # noqa: E402
from tinygen.nn import prune_weights, share_weights  # noqa: E402
from tinygen.nn.prune import sparsity_of  # noqa: E402
from tinygen.nn.shared import SharedWeight  # noqa: E402
from tinygen.passes import CompileOptions  # noqa: E402
from tinygen.quant.huffman import rank_rows, symbols_of  # noqa: E402
from tinygen.quant.weight_spec import parse_weights  # noqa: E402
from tinygen.report.weights import stored_weight_bytes  # noqa: E402

_digits = _shared._digits
SPARSITY = 0.7
PRUNE_EPOCHS, SHARE_EPOCHS, LR, SHARE_LR = 10, 10, 1e-3, 1e-3
INT8_MODEL = HERE.parent / "shared" / "int8_digits.py"
PRUNED_MODEL = HERE / "pruned_digits.py"
RESULTS = HERE / "RESULTS.md"
BOARD = "f746zg"
ENTROPY_BITS = 4                        # entropy-constrained sharing: its bits and the lambdas tried
ENTROPY_SWEEP = (0.05, 0.1, 0.15, 0.2, 0.25)
ACCURACY_LOSS = 0.01                    # the most test accuracy the shipped lambda may lose against int8
ENTROPY = 0.2                           # the lambda shipped: the sweep's pick (run checks it)


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


def ec_model_file(bits: int = ENTROPY_BITS) -> Path:
    """The entropy-constrained shared model (it loads as deepcomp_net(bits): the assignment is a buffer)."""
    return HERE / f"deepcomp{bits}ec_digits.py"


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


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def coded_entropy(graph) -> dict:
    """The --weights huffman layers' symbols (ranked per row as the coder ranks them): order-0
    entropy ("H"), entropy given the previous symbol of the row ("H_prev") and of zero or not
    ("H_zero"), in bits per weight; "entropy_bytes": the coded layers at exactly their order-0
    entropy plus their tables, and the other MAC layers as stored."""
    bound = h0_bits = h1_bits = zero_bits = count = 0.0
    for node in graph.nodes:
        if not (node.kernel and node.params and node.param("weight")):
            continue
        if node.attrs.get("weight_coding") != "huffman":
            bound += stored_weight_bytes(graph, node)
            continue
        w = graph.tensor(node.param("weight"))
        table = w.codebook.values if w.codebook is not None else None
        sym = symbols_of(w.data.reshape(w.shape[0], -1), table)
        if table is not None and table.shape[0] > 1:
            sym, _ = rank_rows(sym, table)
        sym = sym.astype(np.int64)
        h0 = _entropy(np.bincount(sym.ravel()))
        pairs = sym[:, :-1].ravel() * 256 + sym[:, 1:].ravel()
        h1 = _entropy(np.bincount(pairs)) - _entropy(np.bincount(sym[:, :-1].ravel()))
        zeros = int(np.sum(w.data == 0))
        zero_bits += _entropy(np.asarray([zeros, w.data.size - zeros])) * sym.size
        used = int(sym.max()) + 1 if table is not None else 0       # the table entries stored
        bound += h0 * sym.size / 8 + (table.shape[0] * used if table is not None else 0)
        h0_bits += h0 * sym.size
        h1_bits += h1 * sym.size
        count += sym.size
    return {"entropy_bytes": int(np.ceil(bound)), "H": h0_bits / count if count else None,
            "H_prev": h1_bits / count if count else None, "H_zero": zero_bits / count if count else None}


def zero_share(graph) -> float:
    """The fraction of a compiled graph's MAC-layer int8 weights that are zero."""
    ws = [graph.tensor(n.param("weight")).data for n in graph.nodes if n.kernel and n.params and n.param("weight")]
    return sum(int(np.sum(w == 0)) for w in ws) / sum(w.size for w in ws)


def centroids_used(net: torch.nn.Module) -> tuple[float, int]:
    """(mean, max) over the shared layers' output channels of the centroids their weights use."""
    used = [len(torch.unique(row)) for m in net.modules() if isinstance(m, SharedWeight)
            for row in m.assign.reshape(m.assign.shape[0], -1)]
    return float(np.mean(used)), max(used)


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
    sweep = train_entropy(netp, rows[0][2]) if ENTROPY_BITS in bits_list else []
    picked = [r["lambda"] for r in sweep if r["picked"]]
    if sweep and picked != [ENTROPY]:
        print(f"the sweep picks lambda {picked[0] if picked else 'none'}, not ENTROPY = {ENTROPY}: "
              "set ENTROPY to it and run again", file=sys.stderr)
    rows += [(f"pruned + shared {ENTROPY_BITS} bits, entropy {r['lambda']}", ec_model_file().name, r["acc"],
              r["before"], ec_model_file()) for r in sweep if r["lambda"] == ENTROPY]
    write_results(rows, sweep, time.perf_counter() - t0)


def train_entropy(netp: torch.nn.Module, int8_acc: float) -> list[dict]:
    """share_weights(entropy=lambda) and fine-tuning for each lambda of ENTROPY_SWEEP, each
    measured from a model file in a temporary folder; ENTROPY's is saved as ec_model_file().
    "picked": the lambda whose weights code smallest with the accuracy at most ACCURACY_LOSS
    below int8's."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="deepcomp-ec-") as tmp:
        for lam in ENTROPY_SWEEP:
            net = copy.deepcopy(netp)
            share_weights(net, ENTROPY_BITS, entropy=lam)
            before, zeros = _digits.accuracy(net), sparsity_of(net)
            _digits.train(net, SHARE_EPOCHS, SHARE_LR)
            file = Path(tmp) / f"ec{len(rows)}_digits.py"
            file.write_text(f"import _deepcomp\nmodel, example_input, calibration_data = "
                            f"_deepcomp.model_file_functions({ENTROPY_BITS}, __file__)\n")
            _digits.save(net, file)
            plain, coded = weight_bytes(file, "huffman")
            graph = compile_for(file, "huffman")[1]
            rows.append({"lambda": lam, "acc": _digits.accuracy(net), "before": f"{before:.2%}", "zeros": zeros,
                         "used": centroids_used(net), "H": coded_entropy(graph)["H"], "coded": coded,
                         "ratio": coded / plain, "picked": False})
            if lam == ENTROPY:
                _digits.save(net, ec_model_file())
            print(f"entropy {lam}: {zeros:.1%} zero, clustered {before:.2%}, fine-tuned {rows[-1]['acc']:.2%}, "
                  f"huffman {coded:,} B ({coded / plain:.3f}x)", flush=True)
    fit = [i for i, r in enumerate(rows) if r["acc"] >= int8_acc - ACCURACY_LOSS - 1e-9]
    if fit:
        rows[min(fit, key=lambda i: (rows[i]["coded"], i))]["picked"] = True
    return rows


def write_results(rows: list, sweep: list[dict], seconds: float) -> None:
    lines = []
    for name, file, acc, before, path in rows:
        plain, stored = weight_bytes(path)
        _, coded = weight_bytes(path, "huffman")
        lines.append(f"| {name} | {file} | {acc:.2%} | {before or 'n/a'} | {stored:,} | {stored / plain:.3f} "
                     f"| {coded:,} | {coded / plain:.3f} |")
    ec = [f"| {r['lambda']} | {ec_model_file().name if r['lambda'] == ENTROPY else '(not kept)'} | {r['zeros']:.1%} "
          f"| {r['used'][0]:.1f} / {r['used'][1]} | {r['H']:.2f} | {r['acc']:.2%} | {r['before']} | {r['coded']:,} "
          f"| {r['ratio']:.3f} |" for r in sweep]
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
"entropy LAMBDA": `share_weights(net, {ENTROPY_BITS}, entropy=LAMBDA)`, the entropy-constrained
assignment (tinygen/nn/ecsq.py), LAMBDA picked from the sweep below.

| model | file | test acc | before | weight bytes | vs int8 | huffman bytes | vs int8 |
|---|---|---|---|---|---|---|---|
""" + "\n".join(lines) + "\n" + (f"""
Entropy-constrained sharing at {ENTROPY_BITS} bits on the pruned network, each LAMBDA fine-tuned
{SHARE_EPOCHS} epochs: the share of zero weights (pruned, plus the kept weights the assignment
put on the zero), the centroids a channel's weights use (mean / most of the {1 << ENTROPY_BITS}),
the coded indices' order-0 entropy in bits per weight (ranked per channel as the coder ranks
them), test accuracy before and after fine-tuning, and the weights with `--weights huffman`.
LAMBDA {ENTROPY} ships: its weights code smallest with the test accuracy within
{ACCURACY_LOSS * 100:.0f} point of int8's.

| lambda | file | zeros | centroids used | H | test acc | before | huffman bytes | vs int8 |
|---|---|---|---|---|---|---|---|---|
""" + "\n".join(ec) + "\n" if sweep else ""))
