"""The kernel chosen per layer, with --kernels auto's measured instructions or estimated cycles: the
`kernels` entry of the build manifest and `tinygen build`'s table.

    graph.meta["kernels"] = kernel_report(graph, "auto", counts, note, variants)
    print(choice_table(graph.meta["kernels"]))
"""

from __future__ import annotations

from tinygen.ir import Graph, Node, binary_operands
from tinygen.kernels.cmsis_nn import BACKEND as CMSIS_NN
from tinygen.kernels.cmsis_nn import REQUIRES as CMSIS_NN_REQUIRES
from tinygen.kernels.cmsis_nn import depthwise_3x3_exact, overhang, tflite_avg_pool
from tinygen.kernels.cmsis_nn_mve import conv_exact
from tinygen.kernels.cmsis_nn_s16 import S16_OPS, inexact_reason as s16_inexact_reason
from tinygen.kernels.esp_nn import BACKEND as ESP_NN
from tinygen.kernels.esp_nn import SIZE_MAX as ESP_NN_SIZE_MAX
from tinygen.kernels.esp_nn import SIZED_PARAMS as ESP_NN_SIZES
from tinygen.kernels.esp_nn import esp_nn_features, one_pad_per_axis
from tinygen.kernels.params import kernel_params
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes.choose_kernels import kernel_candidates, weight_type
from tinygen.report import table

PRICED_WITH = {"flash": "constants in flash", "ram": "constants in RAM"}


def kernel_report(graph: Graph, mode: str | None, counts: dict | None = None, note: str | None = None,
                  variants: int = 0, metric: str | None = None, priced: dict[str, str] | None = None) -> dict:
    """Per layer the kernel chosen, its measured count and its rivals' (JSON); `metric`: what
    the counts are ("instructions" or "cycles", estimated; recorded where given). The layers'
    field keeps the name "instructions" whatever the metric: read "metric" first. `priced`:
    layer -> where its constants were when its cycles were priced ("flash" or "ram",
    tinygen.fit.placed_choice), recorded per layer as "priced_with"."""
    counts = counts or {}
    layers = []
    for node in graph.nodes:
        if node.kernel is None:
            continue
        measured = counts.get(node.name, {})
        layers.append({"name": node.name, "op": node.op, "kernel": node.kernel,
                       "instructions": measured.get(node.kernel),
                       "candidates": {k: v for k, v in measured.items()} if len(measured) > 1 else {},
                       **({"priced_with": priced.get(node.name)} if priced is not None else {})})
    return {"mode": mode, "note": note, "measured_variants": variants, "layers": layers,
            **({"metric": metric} if metric else {})}


def choice_table(report: dict) -> str:
    """The kernel chosen per layer with its measured count and the other candidates', headed by
    the metric measured (executed instructions, or estimated cycles where the board has a timing model);
    estimated cycles with where each layer's constants were when they were priced."""
    rows = []
    placed = any(layer.get("priced_with") for layer in report["layers"])
    for layer in report["layers"]:
        count = layer["instructions"]
        others = ", ".join(f"{k} {v:,}" if v is not None else f"{k} -"
                           for k, v in layer["candidates"].items() if k != layer["kernel"])
        rows.append([layer["name"], layer["kernel"], f"{count:,}" if count is not None else "-", others or "-"]
                    + ([PRICED_WITH.get(layer.get("priced_with"), "-")] if placed else []))
    unit = "est. cycles" if report.get("metric") == "cycles" else "instructions"
    return table(["layer", "kernel", unit, f"other candidates ({unit})"] + (["priced with"] if placed else []), rows,
                 "llrl" + ("l" if placed else ""))


def _backend_layers(graph: Graph, backend: str) -> tuple[list, list]:
    """(every layer with a kernel, those a backend other than `backend` runs)."""
    layers = [n for n in graph.nodes if n.kernel]
    return layers, [n for n in layers if KERNELS_BY_NAME[n.kernel].backend != backend]


def cmsis_nn_note(graph: Graph) -> str | None:
    """For the build output and inspect: which layers CMSIS-NN runs and why tinygen's kernels
    run the others; None when no CMSIS-NN tree is configured."""
    features = frozenset(graph.meta.get("cmsis_nn", {}).get("features", CMSIS_NN_REQUIRES))
    return _library_note(graph, "cmsis_nn", CMSIS_NN, "CMSIS-NN", features,
                         "CMSIS-NN's serve int8 conv, depthwise, fully connected, pooling, add and softmax on "
                         "Cortex-M cores with the DSP extension")


def esp_nn_note(graph: Graph) -> str | None:
    """For the build output and inspect: which layers ESP-NN runs and why tinygen's kernels
    run the others (see tinygen.kernels.esp_nn for the semantics ESP-NN's functions have);
    None when no ESP-NN tree is configured."""
    return _library_note(graph, "esp_nn", ESP_NN, "ESP-NN", esp_nn_features(frozenset()),
                         "ESP-NN's serve int8 conv, depthwise, fully connected, pooling, add, mul and softmax")


def _library_note(graph: Graph, key: str, backend: str, label: str, features: frozenset, serves: str) -> str | None:
    """The library's note: the layers it runs, then each other layer with the one reason it is
    tinygen's: the memory-aware choice (--kernels auto), auto's measurement, the --kernels
    choice, a variant the library's kernels do not compute exactly (which), or no kernel for the op."""
    tree = graph.meta.get(key)
    if tree is None:
        return None
    layers, rest = _backend_layers(graph, backend)
    head = f"{label} {tree['version']} ({tree['path']}) runs {len(layers) - len(rest)} of {len(layers)} layers"
    if not rest:
        return head
    if len(rest) == len(layers):
        return f"{head}: tinygen's kernels run them all ({serves})"
    could = [n for n in rest if any(c.backend == backend for c in kernel_candidates(graph, n, features, backend))]
    parts, peak, beaten = _tinygen_chosen(graph, could, backend, label)
    parts.insert(0, head)
    chosen = [n for n in could if n not in peak and n not in beaten]
    if chosen:
        parts.append("tinygen's kernels chosen for " + ", ".join(f"{n.name} ({n.op})" for n in chosen)
                     + " (the --kernels choice)")
    ops = {spec.op for spec in KERNELS_BY_NAME.values() if spec.backend == backend}
    inexact = [n for n in rest if n not in could and n.op in ops]
    if inexact:
        parts.append(f"{label}'s kernels do not compute " + ", ".join(
            f"{n.name} ({n.op}: {_inexact(graph, n, backend)})" for n in inexact) + " exactly")
    lacking = [n for n in rest if n not in could and n.op not in ops]
    if lacking:
        parts.append(f"{label} has no kernel for " + ", ".join(f"{n.name} ({n.op})" for n in lacking))
    return "; ".join(parts)


def _tinygen_chosen(graph: Graph, layers: list, backend: str, label: str) -> tuple[list[str], list, list]:
    """Of `layers` (which `backend` could run but tinygen's kernels run), those the memory-aware
    choice gave a kernel that lowers the arena (under --kernels auto: a mode naming the library
    keeps its kernels, passes/choose_kernels.LIBRARIES) and those auto measured faster, with the
    sentences that say so."""
    swapped = {c["node"]: c for c in graph.meta.get("lower_peak", [])
               if KERNELS_BY_NAME[c["instead_of"]].backend == backend}
    report = graph.meta.get("kernels") or {}
    measured = {layer["name"] for layer in report.get("layers", []) if report.get("mode") == "auto"
                and any(KERNELS_BY_NAME[k].backend == backend for k in layer.get("candidates") or {})}
    parts = []
    peak = [n for n in layers if n.name in swapped]
    if peak:
        arena = f"{swapped[peak[0].name]['arena_before']} B -> {graph.meta['lower_peak'][-1]['arena_after']} B"
        parts.append("tinygen's kernels run " + ", ".join(f"{n.name} ({n.op})" for n in peak)
                     + f" to lower the arena ({arena} with them; --no-lower-peak or --kernels "
                     f"{backend} keeps {label}'s there)")
    beaten = [n for n in layers if n not in peak and n.name in measured]
    if beaten:
        parts.append("tinygen's kernels measured faster on " + ", ".join(f"{n.name} ({n.op})" for n in beaten))
    return parts, peak, beaten


def _inexact(graph: Graph, node: Node, backend: str) -> str:
    """What about `node` the library's kernels for its op do not compute as tinygen does
    (the conditions of their KernelSpec.accepts and dtypes, tinygen.kernels.cmsis_nn / esp_nn)."""
    act = graph.tensor(node.outputs[0]).dtype
    _, bits = weight_type(graph, node)
    if act == "int16" and backend == CMSIS_NN and node.op in S16_OPS:
        return s16_inexact_reason(graph, node)
    if act != "int8":
        return f"{act} activations"
    if bits not in (None, 8):
        return f"{bits}-bit weights"
    operands = [graph.tensor(t).shape for t in binary_operands(node)] if node.op in ("add", "mul") else []
    if len(set(map(tuple, operands))) > 1:
        return "broadcast operands"
    if node.op == "avg_pool2d" and not tflite_avg_pool(graph, node):
        return "PyTorch's count_include_pad: the padding counted in the average"
    p = kernel_params(graph, node)
    if (p.get("dilation_h", 1), p.get("dilation_w", 1)) != (1, 1):
        return f"dilation {p['dilation_h']}x{p['dilation_w']}"
    if backend == CMSIS_NN and node.op in ("conv2d", "depthwise_conv2d") and not conv_exact(p):
        return "a one-row conv whose padding CMSIS-NN's 1xN Helium path reads wrongly"
    if backend == CMSIS_NN and node.op == "depthwise_conv2d" and not depthwise_3x3_exact(p):
        return f"3x3 with {overhang(p, 'w')} columns of right padding: CMSIS-NN's 3x3 path reads one"
    if backend == ESP_NN:
        if node.op == "add" and any(p[k] > 0 for k in ("input1_shift", "input2_shift", "output_shift")):
            return "a shift > 0 (ESP-NN divides by 2^-shift)"
        if node.op in ("conv2d", "depthwise_conv2d") and not one_pad_per_axis(p):
            return (f"padding {overhang(p, 'h')} below / {overhang(p, 'w')} right against {p['pad_top']} above / "
                    f"{p['pad_left']} left: ESP-NN takes one padding per axis")
        big = {k: v for k, v in p.items() if k in ESP_NN_SIZES and isinstance(v, int) and v > ESP_NN_SIZE_MAX}
        if big:
            return ", ".join(f"{k} {v:,}" for k, v in big.items()) + f" over ESP-NN's {ESP_NN_SIZE_MAX:,}"
    return "a form its kernels do not take"


__all__ = ["choice_table", "cmsis_nn_note", "esp_nn_note", "kernel_report"]
