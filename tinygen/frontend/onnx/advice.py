"""What to tell a user whose ONNX model has operators tinygen does not compile: one refusal
listing every one of them (op type and node), each with the rewrite to use where there is
one, and the operators that are supported."""

from __future__ import annotations

from tinygen.errors import UnsupportedOpError

# the operators the front end maps, as the guide lists them (docs/onnx.md)
SUPPORTED_FLOAT = (
    "Conv (groups 1, depthwise or grouped; 1-D and 2-D)", "ConvTranspose (group 1; 1-D and 2-D)", "Gemm",
    "MatMul with a constant (+ Add)",
    "BatchNormalization", "Relu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "PRelu",
    "MaxPool", "AveragePool",
    "GlobalAveragePool", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice",
    "Add", "Sub", "Mul", "Div (by a constant)", "Softmax", "Resize (nearest by whole factors; linear, half-pixel)",
    "Pad (constant)", "ReduceMean (over H, W)", "Identity", "Dropout", "Constant and shape arithmetic (folded)",
    "Gelu (opset 20)",
)
SUPPORTED_QUANT = (
    "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "QGemm", "QLinearAdd", "QLinearMul",
    "QLinearAveragePool", "QLinearGlobalAveragePool", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearConcat",
    "QLinearSoftmax", "ConvInteger / MatMulInteger (static input quantization)",
    "any elementwise float op between DequantizeLinear and QuantizeLinear: Sigmoid, Tanh, LeakyRelu, HardSigmoid, "
    "HardSwish, Gelu, Relu, Clip, Add / Sub / Mul / Div by a number (a 256-entry table)",
)

# op type -> the rewrite to suggest
_ADVICE = {
    "Erf": "export nn.GELU with opset_version=20 (one Gelu node, which tinygen maps), or compile the PyTorch model",
    "Elu": "use Relu or HardSwish and fine-tune",
    "LayerNormalization": "the ONNX front end does not map LayerNormalization (its sequences' layout) yet: compile the "
                          "PyTorch model (nn.LayerNorm over the last dim compiles from PyTorch), or use "
                          "BatchNormalization (folded into the Conv before it) and retrain",
    "InstanceNormalization": "use BatchNormalization (folded into the Conv before it) and retrain",
    "GroupNormalization": "use BatchNormalization (folded into the Conv before it) and retrain",
    "LSTM": "the ONNX front end does not map recurrent layers yet: compile the PyTorch model (nn.LSTM) or the "
            ".tflite (UNIDIRECTIONAL_SEQUENCE_LSTM)",
    "GRU": "the ONNX front end does not map recurrent layers yet: compile the PyTorch model (nn.GRU)",
    "Exp": "a float-only op: move it out of the model (after the int8 output, on the host)",
    "Log": "a float-only op: move it out of the model (after the int8 output, on the host)",
    "Sqrt": "a float-only op: move it out of the model (after the int8 output, on the host)",
    "Pow": "a float-only op: move it out of the model, or write x * x as a Mul",
    "ArgMax": "a data-dependent op: take the argmax of the int8 output in your application",
    "TopK": "a data-dependent op: take the top k of the int8 output in your application",
    "NonZero": "a data-dependent op: compute it from the output in your application",
    "Where": "a data-dependent op: compute it from the output in your application",
    "Gather": "indexing by a computed index has no int8 kernel; use Slice / Split with constant bounds",
    "GlobalMaxPool": "use MaxPool with the input's H x W as its kernel",
    "DynamicQuantizeLinear": "dynamic quantization computes each activation's scale at run time; quantize statically "
                             "(onnxruntime.quantization.quantize_static with calibration data)",
    "Einsum": "write the product as MatMul with a constant or Conv",
}


def advice(op: str) -> str | None:
    return _ADVICE.get(op)


def supported_line(quant: bool) -> str:
    ops = SUPPORTED_FLOAT + (SUPPORTED_QUANT if quant else ())
    return "supported ONNX operators: " + ", ".join(ops)


def refusal(refusals: list[tuple[str, str, UnsupportedOpError]], filename: str) -> UnsupportedOpError:
    """One error for every refused node (op type, where, its error), in graph order."""
    hint = refusals[0][2].hint or supported_line(False)
    if len(refusals) == 1:
        op, _, only = refusals[0]
        use = advice(op)
        return UnsupportedOpError(only.message + (f"\n      use: {use}" if use else ""), hint)
    body = []
    for op, _, err in refusals:
        use = advice(op)
        body.append(f"  - {err.message}" + (f"\n      use: {use}" if use else ""))
    ops = sorted({op for op, _, _ in refusals})
    head = f"{filename} has {len(refusals)} nodes tinygen does not compile ({', '.join(ops)}):"
    return UnsupportedOpError(head + "\n" + "\n".join(body), hint=hint)
