"""TensorFlow's dilated convolution as it exports it: SPACE_TO_BATCH_ND (block d, paddings),
a VALID stride-1 CONV_2D or DEPTHWISE_CONV_2D, BATCH_TO_SPACE_ND (block d, crops), imported as
one convolution of dilation d (Reader.dilated_convs; ops_mac._conv builds it).

The three compute output row y as sum_k w_k x[y + crop_top - pad_top + d k] (likewise columns),
every read outside the input landing on the SPACE_TO_BATCH_ND's padding: a convolution of
dilation d whose top padding is pad_top - crop_top, exact where the padding is the input's
zero point, as LiteRT pads and as the convolution pads. TFLite Micro's SPACE_TO_BATCH_ND pads
with a value it never sets (ops_shape.op_space_to_batch_nd), so on padded positions it differs
from both. Folded where the tensors between the three have one reader each and one
quantization."""

from __future__ import annotations

import tflite
from tflite.Padding import Padding

from tinygen.frontend.tflite.builder import Builder


class DilatedConvs(Builder):
    """dilated_fold(i, ins, out): whether SPACE_TO_BATCH_ND operator i starts a dilated convolution,
    recorded in dilated_convs."""

    def _sole_reader(self, tensor: int) -> int | None:
        readers = [j for j in range(self.sg.OperatorsLength()) if self.sg.Operators(j).InputsLength()
                   and tensor in self.sg.Operators(j).InputsAsNumpy()]
        outputs = [int(self.sg.Outputs(k)) for k in range(self.sg.OutputsLength())]
        return readers[0] if len(readers) == 1 and tensor not in outputs else None

    def dilated_fold(self, i, ins, out, block, pads, x_shape) -> bool:
        j = self._sole_reader(out)
        conv = self.sg.Operators(j) if j is not None else None
        if conv is None or self.opname(conv) not in ("CONV_2D", "DEPTHWISE_CONV_2D") or int(conv.Inputs(0)) != out:
            return False
        opts = self.options(conv, tflite.DepthwiseConv2DOptions if self.opname(conv) == "DEPTHWISE_CONV_2D"
                            else tflite.Conv2DOptions)
        if (opts.Padding() != Padding.VALID or (opts.StrideH(), opts.StrideW()) != (1, 1)
                or (opts.DilationHFactor(), opts.DilationWFactor()) != (1, 1)):
            return False
        conv_out = int(conv.Outputs(0))
        k = self._sole_reader(conv_out)
        back = self.sg.Operators(k) if k is not None else None
        if back is None or self.opname(back) != "BATCH_TO_SPACE_ND" or not all(
                self.is_const(int(back.Inputs(n))) and int(back.Inputs(n)) not in self.folded for n in (1, 2)):
            return False
        if [int(v) for v in self.buffer(int(back.Inputs(1))).reshape(-1)] != list(block) or len(block) != 2:
            return False
        crops = self.buffer(int(back.Inputs(2))).reshape(-1)
        final = self.shape(int(back.Outputs(0)))
        kh, kw = self.shape(int(conv.Inputs(1)))[1:3]
        (pt, _), (pl, _) = pads
        top, left = pt - int(crops[0]), pl - int(crops[2])
        bottom = final[1] - 1 + block[0] * (kh - 1) + 1 - x_shape[1] - top
        right = final[2] - 1 + block[1] * (kw - 1) + 1 - x_shape[2] - left
        same = [self.qparams(ins[0]), self.qparams(out)], [self.qparams(conv_out), self.qparams(int(back.Outputs(0)))]
        if min(top, left, bottom, right) < 0 or final[0] != x_shape[0] or any(
                a is not None and not a.same_as(b) for a, b in same):
            return False
        self.dilated_convs[j] = (tuple(block), (top, bottom, left, right), int(back.Outputs(0)))
        self.names[out] = self.activation(ins[0])
        self.skipped.add(k)
        return True
