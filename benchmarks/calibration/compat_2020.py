"""The CMSIS-NN that TFLite Micro v2.3.1 ran, as a tree tinygen's CMSIS-NN adapters build against.

MLPerf Tiny v0.5's reference submission (the NUCLEO-L4R5ZI points of published.json) built TFLM
v2.3.1 with TAGS=cmsis-nn, which downloads CMSIS_5 at commit 1150e71e (2020-05-19; CMSIS/NN
arm_nnfunctions.h V.3.0.0). tinygen's adapters call the newer API (v7.0.0 and later), so
`cycle_estimates.py --calibration --cmsis-nn-2020 PATH` (PATH: a CMSIS_5 checkout or archive of
that commit, not in this repository) assembles a tree from it here, outside the repository:

    Include/  cmsis_nn_2020/arm_nnfunctions.h (tinygen's mapping of the adapters' calls onto the
              2020 functions, as TFLM v2.3.1's cmsis-nn kernels called them), the 2020 header as
              arm_nnfunctions_2020.h, the 2020 NN, DSP and Core headers (links)
    Source/   one translation unit per 2020 NN source TFLM v2.3.1 compiled for the ops the adapters
              cover, under the folders tinygen.kernels.cmsis_nn_tree's patterns look in, each
              including the 2020 file with the one warning its code raises under tinygen's flags
              (-Wunused-parameter) silenced, and one more of the 2020 support functions those
              patterns do not name

and makes it a git repository tagged COMPAT_TAG, so the build's meta names it. Nothing of CMSIS
is copied into tinygen; the tree is for the calibration twin only (tinygen itself refuses a
CMSIS-NN older than v7.0.0).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

CMSIS_5_COMMIT = "1150e71e07c79b538efd842aba5b210a31827ae5"
NN_REVISION = (3, 0, 0)                  # CMSIS/NN/Include/arm_nnfunctions.h at that commit
NN_DATE = "May 18, 2020"
COMPAT_TAG = "cmsis5-1150e71-tflm-v2.3.1"
SHIM = Path(__file__).resolve().parent / "cmsis_nn_2020" / "arm_nnfunctions.h"
NN_HEADER = "CMSIS/NN/Include/arm_nnfunctions.h"
HEADER_DIRS = ("CMSIS/NN/Include", "CMSIS/DSP/Include", "CMSIS/Core/Include")

# The 2020 sources TFLM v2.3.1's cmsis-nn kernels reach for the int8 ops tinygen's adapters
# cover (relative to CMSIS/NN/Source): conv.cc's arm_convolve_wrapper_s8, depthwise_conv.cc's
# arm_depthwise_conv_s8_opt / arm_depthwise_conv_s8, fully_connected.cc's arm_fully_connected_s8,
# pooling.cc's arm_avgpool_s8 / arm_max_pool_s8, add.cc's arm_elementwise_add_s8, softmax.cc's
# arm_softmax_s8, and what they call.
SOURCES = (
    "ConvolutionFunctions/arm_convolve_wrapper_s8.c", "ConvolutionFunctions/arm_convolve_s8.c",
    "ConvolutionFunctions/arm_convolve_1x1_s8_fast.c", "ConvolutionFunctions/arm_convolve_1_x_n_s8.c",
    "ConvolutionFunctions/arm_nn_mat_mult_kernel_s8_s16.c", "ConvolutionFunctions/arm_nn_mat_mult_s8.c",
    "ConvolutionFunctions/arm_depthwise_conv_s8.c", "ConvolutionFunctions/arm_depthwise_conv_s8_opt.c",
    "FullyConnectedFunctions/arm_fully_connected_s8.c",
    "PoolingFunctions/arm_avgpool_s8.c", "PoolingFunctions/arm_max_pool_s8.c",
    "BasicMathFunctions/arm_elementwise_add_s8.c", "SoftmaxFunctions/arm_softmax_s8.c",
    "NNSupportFunctions/arm_nn_mat_mul_core_1x_s8.c", "NNSupportFunctions/arm_nn_mat_mul_core_4x_s8.c",
    "NNSupportFunctions/arm_nn_mat_mult_nt_t_s8.c", "NNSupportFunctions/arm_nn_vec_mat_mult_t_s8.c",
    "NNSupportFunctions/arm_nn_depthwise_conv_nt_t_padded_s8.c", "NNSupportFunctions/arm_nn_depthwise_conv_nt_t_s8.c",
    "NNSupportFunctions/arm_q7_to_q15_with_offset.c", "NNSupportFunctions/arm_nntables.c",
)
# called by the ones above, named by none of cmsis_nn_tree's patterns: one translation unit includes them
UNNAMED = ("NNSupportFunctions/arm_q7_to_q15_no_shift.c", "NNSupportFunctions/arm_nn_accumulate_q7_to_q15.c")
SUPPORT_UNIT = "NNSupportFunctions/arm_nn_tg2020_s8_support.c"
# what the 2020 code raises under tinygen's -Wall -Wextra -Werror (arm_convolve_s8.c's unused bias_dims)
SILENCED = ("-Wunused-parameter",)


class TreeError(ValueError):
    """The path given is not the 2020 CMSIS_5 tree (one line, for the command line)."""


def nn_revision(text: str) -> tuple[int, int, int] | None:
    """The $Revision of an arm_nnfunctions.h's text (V.3.0.0 -> (3, 0, 0)), None if none."""
    m = re.search(r"\$Revision:\s*V\.?(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(g) for g in m.groups()) if m else None


def check_tree(root: Path) -> None:
    """TreeError unless `root` is a CMSIS_5 tree of commit CMSIS_5_COMMIT's NN revision and date,
    with every header folder and source the twin needs."""
    header = root / NN_HEADER
    if not header.is_file():
        raise TreeError(f"{root}: no {NN_HEADER}: give a CMSIS_5 tree at commit {CMSIS_5_COMMIT}")
    text = header.read_text(errors="replace")
    rev = nn_revision(text)
    if rev != NN_REVISION or NN_DATE not in text:
        found = "no $Revision" if rev is None else "V." + ".".join(map(str, rev))
        raise TreeError(f"{root}: {NN_HEADER} is {found}, not V.{'.'.join(map(str, NN_REVISION))} of {NN_DATE} "
                        f"(CMSIS_5 {CMSIS_5_COMMIT[:8]}, the CMSIS-NN of TFLM v2.3.1)")
    missing = [d for d in HEADER_DIRS if not (root / d).is_dir()]
    missing += [s for s in SOURCES + UNNAMED if not (root / "CMSIS/NN/Source" / s).is_file()]
    if missing:
        raise TreeError(f"{root}: missing {', '.join(missing)}")


def unit(root: Path, sources: tuple[str, ...]) -> str:
    """The C text of a translation unit of the compatibility tree: the 2020 `sources` (relative to
    CMSIS/NN/Source of the tree at `root`) included, the SILENCED warnings off."""
    lines = [f"/* tinygen's calibration twin: CMSIS_5 {CMSIS_5_COMMIT[:8]}'s {', '.join(sources)} */"]
    lines += [f'#pragma GCC diagnostic ignored "{w}"' for w in SILENCED]
    lines += [f'#include "{(root / "CMSIS/NN/Source" / s).as_posix()}"' for s in sources]
    return "\n".join(lines) + "\n"


def assemble(root: Path, out: Path) -> Path:
    """The compatibility tree for the CMSIS_5 tree at `root`, made at `out` (replaced); returns `out`."""
    root = root.resolve()
    check_tree(root)
    if out.exists():
        shutil.rmtree(out)
    include, source = out / "Include", out / "Source"
    include.mkdir(parents=True)
    for d in HEADER_DIRS:
        for h in sorted((root / d).glob("*.h")):
            name = "arm_nnfunctions_2020.h" if h.name == "arm_nnfunctions.h" else h.name
            (include / name).symlink_to(h)
    shutil.copyfile(SHIM, include / "arm_nnfunctions.h")
    for s in SOURCES:
        (source / s).parent.mkdir(parents=True, exist_ok=True)
        (source / s).write_text(unit(root, (s,)))
    (source / SUPPORT_UNIT).write_text(unit(root, UNNAMED))
    git = ["git", "-C", str(out), "-c", "user.name=tinygen", "-c", "user.email=calibration@tinygen",
           "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", f"CMSIS_5 {CMSIS_5_COMMIT} compatibility tree"],
                 ["tag", COMPAT_TAG]):
        subprocess.run(git + args, check=True, capture_output=True)
    return out


__all__ = ["CMSIS_5_COMMIT", "COMPAT_TAG", "NN_REVISION", "SOURCES", "TreeError", "UNNAMED", "assemble",
           "check_tree", "nn_revision", "unit"]
