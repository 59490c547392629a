"""The user's CMSIS-NN source tree: find it, check it, and list what to compile from it.

CMSIS-NN (https://github.com/ARM-software/CMSIS-NN) is not on any package registry
tinygen can reach: `--kernels cmsis-nn` needs a source tree, given with
`--cmsis-nn PATH` or else the CMSIS_NN_PATH environment variable. Its version is read
from the tree itself: `git describe` where the tree is a git checkout, else the
$Revision of Include/arm_nnfunctions.h, which every release bumps (the pack file
ARM.CMSIS-NN.pdsc says 0.0.0 in the repository, releases included).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinygen.errors import UsageError

URL = "https://github.com/ARM-software/CMSIS-NN"
ENV = "CMSIS_NN_PATH"
# release tag the generated platformio.ini fetches, and the trees the tests ran against
PIO_TAG = "v7.0.0"
TESTED = ("main at v7.0.0-43-g99f736a6 (arm_nnfunctions.h V.19.1.0)",)     # CI's tree (docs/backends.md)
# arm_nnfunctions.h revision of each release: the oldest supported first. v7.0.0 is the
# first with every function the adapters call (arm_fully_connected_per_channel_s8) and
# the _dsp get_buffer_size variants whose formulas tinygen.kernels.cmsis_nn folds in.
RELEASES = {(18, 0, 0): "v7.0.0"}
MIN_REVISION = (18, 0, 0)
HEADER = "Include/arm_nnfunctions.h"

# CMSIS-NN sources per op (globs under Source/): the s8 functions the adapters call and
# what they call in turn. Every op also needs SUPPORT.
SUPPORT = ("NNSupportFunctions/arm_nn_*s8*.c", "NNSupportFunctions/arm_q7_to_q15_with_offset.c",
           "NNSupportFunctions/arm_s8_to_s16_unordered_with_offset.c", "NNSupportFunctions/arm_nntables.c")
OP_SOURCES = {
    "conv2d": ("ConvolutionFunctions/arm_convolve*_s8*.c", "ConvolutionFunctions/arm_nn_mat_mult*s8*.c"),
    "depthwise_conv2d": ("ConvolutionFunctions/arm_depthwise_conv*_s8*.c",
                         "ConvolutionFunctions/arm_nn_depthwise_conv_s8_core.c",
                         # a depthwise conv with one input channel may run as a convolution (on
                         # Helium cores of its filter transposed)
                         "ConvolutionFunctions/arm_convolve*_s8*.c", "ConvolutionFunctions/arm_nn_mat_mult*s8*.c",
                         "TransposeFunctions/arm_transpose_s8.c"),
    "fully_connected": ("FullyConnectedFunctions/arm_fully_connected*_s8.c",
                        "FullyConnectedFunctions/arm_vector_sum_s8.c"),
    "avg_pool2d": ("PoolingFunctions/arm_avgpool*_s8.c",),
    "max_pool2d": ("PoolingFunctions/arm_max_pool_s8.c",),
    "add": ("BasicMathFunctions/arm_elementwise_add_s8.c",),
    "softmax": ("SoftmaxFunctions/arm_softmax_s8.c", "SoftmaxFunctions/arm_nn_softmax_common_s8.c"),
    # transposed convolution (its row function, NNSupportFunctions/arm_nn_transpose_conv_row_s8_s32.c, is in SUPPORT)
    "transpose_conv2d": ("ConvolutionFunctions/arm_transpose_conv_s8.c",),
    "batch_matmul": ("FullyConnectedFunctions/arm_batch_matmul_s8.c",),
    # recurrent layers (arm_nn_lstm_step_s8 and the gate products are among SUPPORT's)
    "lstm": ("LSTMFunctions/arm_lstm_unidirectional_s8.c", "ActivationFunctions/arm_nn_activation_s16.c",
             "BasicMathFunctions/arm_elementwise_mul_s16.c", "BasicMathFunctions/arm_elementwise_mul_acc_s16.c",
             "BasicMathFunctions/arm_elementwise_mul_s16_s8.c"),
    "svdf": ("SVDFunctions/arm_svdf_state_s16_s8.c", "SVDFunctions/arm_svdf_s8.c"),
    # int16 activations (tinygen.kernels.cmsis_nn_s16), keyed "<op>_s16" (source_key)
    "conv2d_s16": ("ConvolutionFunctions/arm_convolve*_s16.c", "ConvolutionFunctions/arm_nn_mat_mult_kernel_s16.c"),
    "depthwise_conv2d_s16": ("ConvolutionFunctions/arm_depthwise_conv*_s16.c",),
    "fully_connected_s16": ("FullyConnectedFunctions/arm_fully_connected*_s16.c",
                            "NNSupportFunctions/arm_nn_vec_mat_mult_t_s16.c"),
    "add_s16": ("BasicMathFunctions/arm_elementwise_add_s16.c",),
    "mul_s16": ("BasicMathFunctions/arm_elementwise_mul_s16.c",),
    "lstm_s16": ("LSTMFunctions/arm_lstm_unidirectional_s16.c", "NNSupportFunctions/arm_nn_lstm_step_s16.c",
                 "NNSupportFunctions/arm_nn_lstm_calculate_gate_s16.c",
                 "NNSupportFunctions/arm_nn_vec_mat_mul_result_acc_s16.c", "ActivationFunctions/arm_nn_activation_s16.c",
                 "BasicMathFunctions/arm_elementwise_mul_s16.c", "BasicMathFunctions/arm_elementwise_mul_acc_s16.c",
                 "BasicMathFunctions/arm_elementwise_mul_s16_batch_offset.c"),
}


def source_key(op: str, act_dtype: str) -> str:
    """The OP_SOURCES key of a CMSIS-NN kernel of `op` on `act_dtype` activations."""
    return f"{op}_s16" if act_dtype == "int16" else op
# arm_transpose_conv_s8.c's own $Revision, from which it keeps its rolling buffer's rows in
# place where the padding above the output is not a multiple of the stride (CMSIS-NN #233,
# after v7.0.0: tinygen.kernels.cmsis_nn.transpose_conv_exact)
TRANSPOSE_CONV_SOURCE = "Source/ConvolutionFunctions/arm_transpose_conv_s8.c"
TRANSPOSE_CONV_ROWS_FIXED = (2, 0, 1)


def _where_to_get() -> str:
    return (f"get it with `git clone --branch {PIO_TAG} {URL}` and pass --cmsis-nn PATH "
            f"or set {ENV}=PATH (tested: {', '.join(TESTED)})")


@dataclass(frozen=True)
class CmsisNN:
    """A checked CMSIS-NN tree."""
    path: Path
    revision: tuple[int, int, int]      # arm_nnfunctions.h $Revision
    version: str                        # release tag or git describe, for people
    # arm_transpose_conv_s8.c's $Revision (None: no such file or none found)
    transpose_conv_revision: tuple[int, int, int] | None = None

    def sources(self, ops) -> list[str]:
        """The CMSIS-NN sources (relative to Source/) the given ops need, sorted."""
        patterns = list(SUPPORT) + [p for op in sorted(set(ops)) for p in OP_SOURCES.get(op, ())]
        found = {f.relative_to(self.path / "Source").as_posix()
                 for p in patterns for f in (self.path / "Source").glob(p)}
        return sorted(found)

    @property
    def include_dir(self) -> Path:
        return self.path / "Include"

    def meta(self) -> dict:
        meta = {"path": str(self.path), "version": self.version, "revision": ".".join(map(str, self.revision))}
        if self.transpose_conv_revision is not None:
            meta["transpose_conv_revision"] = ".".join(map(str, self.transpose_conv_revision))
        return meta


def header_revision(path: Path, file: str = HEADER) -> tuple[int, int, int] | None:
    """The $Revision of a file of the tree (arm_nnfunctions.h unless named), None if none."""
    try:
        text = (path / file).read_text(errors="replace")
    except OSError:
        return None
    m = re.search(r"\$Revision:\s*V\.?(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(g) for g in m.groups()) if m else None


def _git_describe(path: Path) -> str | None:
    if not (path / ".git").exists():
        return None
    try:
        done = subprocess.run(["git", "-C", str(path), "describe", "--tags"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def find_cmsis_nn(path: str | os.PathLike | None) -> CmsisNN:
    """The CMSIS-NN tree at `path` (--cmsis-nn), else at $CMSIS_NN_PATH, checked; a
    UsageError saying both ways and where to get it when there is none, it is not a
    CMSIS-NN tree, or it is older than the adapters need."""
    given = path if path else os.environ.get(ENV) or None
    if not given:
        raise UsageError("--kernels cmsis-nn needs a CMSIS-NN source tree and none was given",
                         _where_to_get())
    root = Path(given).expanduser().resolve()
    origin = "--cmsis-nn" if path else f"${ENV}"
    if not root.exists():
        raise UsageError(f"the CMSIS-NN tree {str(given)!r} ({origin}) does not exist", _where_to_get())
    if not root.is_dir():
        raise UsageError(f"the CMSIS-NN tree {str(given)!r} ({origin}) is a file, not a folder", _where_to_get())
    rev = header_revision(root)
    if rev is None or not (root / "Source").is_dir():
        raise UsageError(f"{str(given)!r} is not a CMSIS-NN source tree (no {HEADER} with a $Revision, "
                         f"or no Source/ folder)", _where_to_get())
    if rev < MIN_REVISION:
        oldest = RELEASES[MIN_REVISION]
        raise UsageError(f"the CMSIS-NN tree at {str(given)!r} is too old: {HEADER} revision "
                         f"V.{'.'.join(map(str, rev))}, tinygen needs {oldest} (V.{'.'.join(map(str, MIN_REVISION))}) "
                         f"or newer", _where_to_get())
    version = _git_describe(root) or RELEASES.get(rev) or f"arm_nnfunctions.h V.{'.'.join(map(str, rev))}"
    return CmsisNN(root, rev, version, header_revision(root, TRANSPOSE_CONV_SOURCE))


__all__ = ["CmsisNN", "ENV", "PIO_TAG", "TESTED", "URL", "find_cmsis_nn", "header_revision", "source_key"]
