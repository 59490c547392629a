"""Import an int8 .tflite flatbuffer into an already-quantized IR graph.

The file's own quantization is kept as it is: per-tensor int8 activations,
per-channel int8 weights, int32 biases; int16 activations (TFLite's 16x8
quantization: symmetric, zero point 0) for the operators in INT16_OPS. A float32
model (float activations and weights, the operators in FLOAT_OPS) is imported as a
float graph (graph.meta["float_tflite"]): it runs in float32 as TFLite Micro's float
reference kernels do, or tinygen quantizes it from --calib (tinygen.compiler). What TFLite Micro computes in its
Prepare step is computed here the same way, so the generated code equals
TFLM's reference kernels byte for byte:

- requantization multipliers and shifts: tinygen.quant.params.requant_multipliers
  (input_scale * filter_scale / output_scale in double, as
  PopulateConvolutionQuantizationParams);
- fused activation bounds: CalculateActivationRangeQuantized (float32 division,
  std::round);
- SAME/VALID padding and output sizes: ComputePaddingHeightWidth / ComputeOutSize.

Operators keep TFLM's own restrictions and quirks where they decide the bytes:
RELU6 clamps on its input's grid without requantizing, PAD copies bytes
unchanged, CONCATENATION needs one quantization for all inputs and the output.

A float32 model input that goes straight into QUANTIZE, and float32 outputs
that come straight out of DEQUANTIZE, are the model's boundary: the compiled
graph keeps int8 ports (the QUANTIZE output, the DEQUANTIZE input) and lists
them in graph.meta["float_inputs"] / ["float_outputs"]; whoever feeds or reads
the model converts with those tensors' scale and zero point
(tinygen.ref.interpreter.quantize_float_input / dequantize).

A quantized model with float32 sections (DEQUANTIZE into float32 operators, QUANTIZE back,
or a float end such as DETECTION_POSTPROCESS) keeps its float32 tensors as float32: each
operator runs the kernels of its own types, as TFLite Micro runs it (Reader.mixed).

A model compressed by TFLite Micro's compressor (its TFLM_DECODE operator, LUT type) imports
with each compressed constant as the constant it encodes, its indices and value tables kept as a
Codebook (tflm_decode.py).

This package is the only place that imports the `tflite` package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tflite

from tinygen.errors import ModelError, TinygenError
from tinygen.frontend.check_size import check_graph, check_tensor
from tinygen.frontend.tflite.importer import SUPPORTED_OPS, Importer
from tinygen.frontend.tflite.prepare import activation_range
from tinygen.frontend.tflite.reader import FLOAT_OPS, INT16_OPS, TYPES
from tinygen.ir import Graph
from tinygen.quant.check_params import check_requant

FILE_IDENTIFIER = b"TFL3"


@dataclass
class TFLiteModel:
    name: str
    graph: Graph
    input_shape: tuple[int, ...]


def load(path: str | Path, fold_input_transpose: bool = False) -> TFLiteModel:
    """Read a .tflite file; every problem with it is a ModelError or UnsupportedOpError.
    fold_input_transpose: a model input that goes straight into a TRANSPOSE from NCHW to NHWC
    is taken as NHWC (the transpose's output), the transpose left out (Importer.folded_input)."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"model file {str(path)!r} does not exist")
    data = path.read_bytes()
    name = _c_name(path.stem)
    if len(data) < 8 or data[4:8] != FILE_IDENTIFIER:
        found = data[4:8] if len(data) >= 8 else b""
        raise ModelError(f"{path.name} is not a TFLite model: file identifier {found!r}, expected "
                         f"{FILE_IDENTIFIER!r}", "give an int8 .tflite flatbuffer (from the TFLite converter)")
    try:
        _check_declared(data, path.name)
        graph = Importer(data, name, path.name, fold_input_transpose).run()
    except TinygenError:
        raise
    except Exception as e:  # the flatbuffer reader fails in many ways on corrupt input
        raise ModelError(f"{path.name} is corrupt or truncated: cannot read its flatbuffer "
                         f"({type(e).__name__}: {e})", "re-export the model with the TFLite converter") from None
    check_graph(graph, f"{path.name}: ")
    check_requant(graph, f"{path.name}: ")
    return TFLiteModel(name, graph, graph.tensors[graph.inputs[0]].shape)


def _check_declared(data: bytes, filename: str) -> None:
    """Every tensor the file declares within the largest board (check_size), by its own name,
    before the importer reads any: one with a buffer holding data is a constant (flash)."""
    model = tflite.Model.GetRootAsModel(data, 0)
    for s in range(model.SubgraphsLength()):
        sg = model.Subgraphs(s)
        for i in range(sg.TensorsLength()):
            t = sg.Tensors(i)
            const = 0 < t.Buffer() < model.BuffersLength() and model.Buffers(t.Buffer()).DataLength() > 0
            bits = 8 * np.dtype(TYPES.get(t.Type(), (None, np.int8))[1]).itemsize if const else 8
            shape = [int(d) for d in t.ShapeAsNumpy()] if t.ShapeLength() else []
            check_tensor(t.Name().decode("utf-8", "replace"), shape, "flash" if const else "ram", bits, f"{filename}: ")


def _c_name(stem: str) -> str:
    ident = "".join(c if c.isalnum() or c == "_" else "_" for c in stem).strip("_") or "model"
    return "m_" + ident if ident[0].isdigit() else ident


__all__ = ["FILE_IDENTIFIER", "FLOAT_OPS", "INT16_OPS", "SUPPORTED_OPS", "TFLiteModel", "activation_range", "load"]
