"""The older CMSIS-NNs that published points ran, as trees tinygen's CMSIS-NN adapters build against.

tinygen's adapters (firmware/cmsis_nn/) call CMSIS-NN's API of v7.0.0 and later, and tinygen refuses
an older tree. Two published calibration points ran older ones (benchmarks/calibration/README.md):

- "2020": the MLPerf Tiny v0.5 reference on the NUCLEO-L4R5ZI built TFLM v2.3.1 with TAGS=cmsis-nn,
  which downloads CMSIS_5 at 1150e71e (2020-05-19; CMSIS/NN arm_nnfunctions.h V.3.0.0);
- "2021": Plumerai's blog timed TFLM 2.5 with CMSIS-NN on the STM32F746G-Discovery; TFLM v2.5's
  ext_libs/cmsis_download.sh downloads CMSIS_5 at 0d7e4fa7 (2021-02-24; CMSIS/NN arm_nnfunctions.h V.6.5.3);
- "2022": TinyEngine's README measured TFLM with ARM-software/CMSIS-NN at 011bf32 (2022-09-30;
  Include/arm_nnfunctions.h V.11.0.0) on an STM32H743.

`cycle_estimates.py --calibration --cmsis-nn-2020 PATH` / `--cmsis-nn-2022 PATH` (PATH: a checkout or
archive of that commit, not in this repository) assemble a tree from it here, outside the repository:

    Include/  cmsis_nn_<stack>/arm_nnfunctions.h (tinygen's mapping of the adapters' calls onto the old
              functions, as that TFLM called them), the old header as arm_nnfunctions_<stack>.h, and
              the old tree's other headers (links)
    Source/   one translation unit per old source, under the folders tinygen.kernels.cmsis_nn_tree's
              patterns look in, each including the old file with the warnings its code raises under
              tinygen's flags silenced, and for 2020 one more of the support functions those patterns
              do not name, and one (INVOKE_UNIT) of what TFLM v2.3.1's kernels computed in every Eval
              besides the CMSIS-NN call (cmsis_nn_2020/tflm_v231_invoke.c, over the model's table that
              invoke_unit writes before each twin is built)

and makes it a git repository tagged with the stack's tag, so the build's meta names it. Nothing of
CMSIS is copied into tinygen; the trees are for the calibration twins only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Stack:
    """An old CMSIS-NN: where its header and sources lie in its repository, what identifies it, and the
    sources the twin compiles (None: every source under `source_dir`)."""
    name: str
    repo: str
    commit: str
    header: str                               # arm_nnfunctions.h, relative to the tree's root
    revision: tuple[int, int, int]
    date: str                                 # the header's $Date
    header_dirs: tuple[str, ...]
    source_dir: str
    sources: tuple[str, ...] | None = None     # relative to source_dir
    unnamed: tuple[str, ...] = ()              # compiled in SUPPORT_UNIT (no tree pattern names them)
    silenced: tuple[str, ...] = ("-Wunused-parameter",)
    needs_core: bool = False                   # includes cmsis_compiler.h, which its tree lacks (assemble's core)
    invoke: bool = False                       # the shim calls tflm_v231_invoke.h's per-Eval work (INVOKE_UNIT)

    @property
    def shim(self) -> Path:
        return HERE / f"cmsis_nn_{self.name}" / "arm_nnfunctions.h"

    @property
    def tag(self) -> str:
        return f"{self.repo.split('/')[-1].lower()}-{self.commit[:7]}-compat"


SUPPORT_UNIT = "NNSupportFunctions/arm_nn_tg_old_s8_support.c"
# TFLM v2.3.1's per-Eval work (cmsis_nn_2020/tflm_v231_invoke.h): a unit with the model's table, then the source
INVOKE_UNIT = "NNSupportFunctions/arm_nn_tg_tflm_v231_invoke_s8.c"
INVOKE_HEADER = HERE / "cmsis_nn_2020" / "tflm_v231_invoke.h"
INVOKE_SOURCE = HERE / "cmsis_nn_2020" / "tflm_v231_invoke.c"

# the s8 sources of CMSIS_5's layout that both TFLM v2.3.1 (2020) and v2.5 (2021) reach for the int8 ops tinygen's
# adapters cover: conv's arm_convolve_wrapper_s8 (1x1 fast, 1xN, generic), depthwise, fully connected, pooling, add,
# softmax, and what they call
CMSIS_5_S8 = (
    "ConvolutionFunctions/arm_convolve_wrapper_s8.c", "ConvolutionFunctions/arm_convolve_s8.c",
    "ConvolutionFunctions/arm_convolve_1x1_s8_fast.c", "ConvolutionFunctions/arm_convolve_1_x_n_s8.c",
    "ConvolutionFunctions/arm_nn_mat_mult_kernel_s8_s16.c",
    "ConvolutionFunctions/arm_depthwise_conv_s8.c", "ConvolutionFunctions/arm_depthwise_conv_s8_opt.c",
    "FullyConnectedFunctions/arm_fully_connected_s8.c",
    "PoolingFunctions/arm_avgpool_s8.c", "PoolingFunctions/arm_max_pool_s8.c",
    "BasicMathFunctions/arm_elementwise_add_s8.c", "SoftmaxFunctions/arm_softmax_s8.c",
    "NNSupportFunctions/arm_nn_mat_mul_core_1x_s8.c", "NNSupportFunctions/arm_nn_mat_mul_core_4x_s8.c",
    "NNSupportFunctions/arm_nn_mat_mult_nt_t_s8.c", "NNSupportFunctions/arm_nn_vec_mat_mult_t_s8.c",
    "NNSupportFunctions/arm_nn_depthwise_conv_nt_t_padded_s8.c", "NNSupportFunctions/arm_nn_depthwise_conv_nt_t_s8.c",
    "NNSupportFunctions/arm_q7_to_q15_with_offset.c")
CMSIS_5_DIRS = ("CMSIS/NN/Include", "CMSIS/DSP/Include", "CMSIS/Core/Include")

STACKS = {
    # TFLM v2.3.1's kernels/cmsis-nn reach these for the int8 ops tinygen's adapters cover: conv.cc's
    # arm_convolve_wrapper_s8, depthwise_conv.cc's arm_depthwise_conv_s8_opt / arm_depthwise_conv_s8,
    # fully_connected.cc's arm_fully_connected_s8, pooling.cc's arm_avgpool_s8 / arm_max_pool_s8, add.cc's
    # arm_elementwise_add_s8, softmax.cc's arm_softmax_s8, and what they call.
    "2020": Stack(
        "2020", "ARM-software/CMSIS_5", "1150e71e07c79b538efd842aba5b210a31827ae5",
        "CMSIS/NN/Include/arm_nnfunctions.h", (3, 0, 0), "May 18, 2020", CMSIS_5_DIRS, "CMSIS/NN/Source",
        sources=CMSIS_5_S8 + ("ConvolutionFunctions/arm_nn_mat_mult_s8.c", "NNSupportFunctions/arm_nntables.c"),
        unnamed=("NNSupportFunctions/arm_q7_to_q15_no_shift.c", "NNSupportFunctions/arm_nn_accumulate_q7_to_q15.c"),
        invoke=True),
    # TFLM v2.5's kernels/cmsis_nn call the adapters' functions (the wrappers; quantization in Prepare): the s8
    # sources those reach, in CMSIS_5's layout
    "2021": Stack(
        "2021", "ARM-software/CMSIS_5", "0d7e4fa7131241a17e23dfae18140e0b2e77728f",
        "CMSIS/NN/Include/arm_nnfunctions.h", (6, 5, 3), "19 January 2021", CMSIS_5_DIRS, "CMSIS/NN/Source",
        sources=CMSIS_5_S8 + ("ConvolutionFunctions/arm_depthwise_conv_wrapper_s8.c",
                              "ConvolutionFunctions/arm_depthwise_conv_3x3_s8.c")),
    # the CMSIS-NN repository's own layout: its int8 API is the adapters' but for scratch (the shim)
    "2022": Stack(
        "2022", "ARM-software/CMSIS-NN", "011bf3228a64cd70ba6bfac91ac6840a88b829ee",
        "Include/arm_nnfunctions.h", (11, 0, 0), "30 September 2022", ("Include",), "Source", needs_core=True),
}


class TreeError(ValueError):
    """The path given is not the stack's tree (one line, for the command line)."""


def nn_revision(text: str) -> tuple[int, int, int] | None:
    """The $Revision of an arm_nnfunctions.h's text (V.3.0.0 -> (3, 0, 0)), None if none."""
    m = re.search(r"\$Revision:\s*V\.?(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(g) for g in m.groups()) if m else None


def _v(rev: tuple[int, int, int]) -> str:
    return "V." + ".".join(map(str, rev))


def stack_sources(stack: Stack, root: Path) -> tuple[str, ...]:
    """The sources (relative to the stack's source_dir) the twin compiles from the tree at `root`."""
    if stack.sources is not None:
        return stack.sources
    base = root / stack.source_dir
    return tuple(sorted(p.relative_to(base).as_posix() for p in base.rglob("*.c")))


def check_tree(stack: Stack, root: Path) -> None:
    """TreeError unless `root` is the stack's tree: its header's revision and date, every header folder,
    and every source the twin needs."""
    header = root / stack.header
    if not header.is_file():
        raise TreeError(f"{root}: no {stack.header}: give a {stack.repo} tree at commit {stack.commit}")
    text = header.read_text(errors="replace")
    rev = nn_revision(text)
    if rev != stack.revision or stack.date not in text:
        found = "no $Revision" if rev is None else _v(rev)
        raise TreeError(f"{root}: {stack.header} is {found}, not {_v(stack.revision)} of {stack.date} "
                        f"({stack.repo} {stack.commit[:8]})")
    missing = [d for d in stack.header_dirs if not (root / d).is_dir()]
    wanted = stack_sources(stack, root) + stack.unnamed
    missing += [s for s in wanted if not (root / stack.source_dir / s).is_file()]
    if missing or not wanted:
        raise TreeError(f"{root}: missing {', '.join(missing) or stack.source_dir + ' sources'}")


def unit(stack: Stack, root: Path, sources: tuple[str, ...]) -> str:
    """The C text of a translation unit of the compatibility tree: the stack's `sources` (relative to its
    source_dir in the tree at `root`) included, its silenced warnings off."""
    lines = [f"/* tinygen's calibration twin: {stack.repo} {stack.commit[:8]}'s {', '.join(sources)} */"]
    lines += [f'#pragma GCC diagnostic ignored "{w}"' for w in stack.silenced]
    lines += [f'#include "{(root / stack.source_dir / s).as_posix()}"' for s in sources]
    return "\n".join(lines) + "\n"


def _c_float(x: float) -> str:
    """A float32 value as an exact C literal."""
    return f"{float(x).hex()}f"


def invoke_unit(entries: list[dict]) -> str:
    """The C text of INVOKE_UNIT: the model's layers as tflm_v231_invoke.h's table (each entry a dict of its
    fields: `kind` a TG2020_* name, `filter_scales` a list; the floats float32 values), then the source.
    No entries: one entry no layer matches (a tree assembled before any model's table is written)."""
    lines = ["/* tinygen's calibration twin: the layers' scales for TFLM v2.3.1's per-Eval work */",
             f'#include "{INVOKE_HEADER.name}"', ""]
    rows = []
    for i, e in enumerate(entries or [{"kind": "0", "a": -1, "b": -1, "filter_scales": [0.0]}]):
        scales = e.get("filter_scales") or [0.0]
        lines.append(f"static const float tg2020_scales_{i}[{len(scales)}] = "
                     f"{{{', '.join(_c_float(s) for s in scales)}}};")
        fields = [e["kind"], str(e["a"]), str(e["b"]), str(e.get("activation", "TG2020_ACT_NONE")),
                  str(e.get("output_zero_point", 0))]
        fields += [_c_float(e.get(k, 0.0)) for k in ("input_scale", "input2_scale", "output_scale", "bias_scale",
                                                       "beta")]
        fields += [f"tg2020_scales_{i}", str(len(scales))]
        rows.append(f"    {{{', '.join(fields)}}},")
    lines += ["", "const tg2020_invoke_t tg2020_invokes[] = {", *rows, "};",
              f"const int32_t tg2020_invoke_count = {len(entries)};", "",
              f'#include "{INVOKE_SOURCE.as_posix()}"']
    return "\n".join(lines) + "\n"


def write_invokes(tree: Path, entries: list[dict]) -> bool:
    """Write the model's table into an assembled tree whose stack does TFLM v2.3.1's per-Eval work; False
    where the tree has no INVOKE_UNIT (another stack's)."""
    path = Path(tree) / "Source" / INVOKE_UNIT
    if not path.is_file():
        return False
    path.write_text(invoke_unit(entries))
    return True


def assemble(stack: Stack, root: Path, out: Path, core: Path | None = None) -> Path:
    """The compatibility tree of `stack` for its tree at `root`, made at `out` (replaced); returns `out`.
    `core`: a CMSIS Core include folder (cmsis_compiler.h), for a stack that needs_core."""
    root = root.resolve()
    check_tree(stack, root)
    if stack.needs_core and not (core is not None and (core / "cmsis_compiler.h").is_file()):
        raise TreeError(f"{stack.repo} {stack.commit[:8]} needs CMSIS Core's headers: no cmsis_compiler.h in {core}")
    if out.exists():
        shutil.rmtree(out)
    include, source = out / "Include", out / "Source"
    include.mkdir(parents=True)
    folders = [root / d for d in stack.header_dirs] + ([core.resolve()] if stack.needs_core else [])
    for d in folders:                       # headers and the folders they include from (CMSIS 6's m-profile/)
        for h in sorted(d.iterdir()):
            if h.suffix == ".h" or h.is_dir():
                name = f"arm_nnfunctions_{stack.name}.h" if h.name == "arm_nnfunctions.h" else h.name
                (include / name).symlink_to(h)
    shutil.copyfile(stack.shim, include / "arm_nnfunctions.h")
    if stack.invoke:
        shutil.copyfile(INVOKE_HEADER, include / INVOKE_HEADER.name)
        (source / INVOKE_UNIT).parent.mkdir(parents=True, exist_ok=True)
        (source / INVOKE_UNIT).write_text(invoke_unit([]))
    for s in stack_sources(stack, root):
        (source / s).parent.mkdir(parents=True, exist_ok=True)
        (source / s).write_text(unit(stack, root, (s,)))
    if stack.unnamed:
        (source / SUPPORT_UNIT).parent.mkdir(parents=True, exist_ok=True)
        (source / SUPPORT_UNIT).write_text(unit(stack, root, stack.unnamed))
    git = ["git", "-C", str(out), "-c", "user.name=tinygen", "-c", "user.email=calibration@tinygen",
           "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", f"{stack.repo} {stack.commit} compatibility tree"],
                 ["tag", stack.tag]):
        subprocess.run(git + args, check=True, capture_output=True)
    return out


__all__ = ["INVOKE_HEADER", "INVOKE_SOURCE", "INVOKE_UNIT", "STACKS", "SUPPORT_UNIT", "Stack", "TreeError", "assemble",
           "check_tree", "invoke_unit", "nn_revision", "stack_sources", "unit", "write_invokes"]
