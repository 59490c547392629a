"""benchmarks/calibration/old_cmsis_nn.py, the older CMSIS-NNs published points ran (TFLM v2.3.1's of 2020,
TFLM v2.5's of 2021, TinyEngine's 011bf32 of 2022) as trees tinygen's adapters build against: its checks of
the tree given, the tree it assembles (which tinygen's CMSIS-NN tree check accepts, listing the old sources),
and that the 2020 header maps every CMSIS-NN call the int8 adapters make. None needs an old tree: stand-ins of empty files
are built here."""

import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks" / "calibration"))

import old_cmsis_nn as old  # noqa: E402
import old_twins  # noqa: E402

from tinygen.board import get_board  # noqa: E402
from tinygen.kernels.cmsis_nn_tree import find_cmsis_nn  # noqa: E402

S2020, S2021, S2022 = old.STACKS["2020"], old.STACKS["2021"], old.STACKS["2022"]
ADAPTERS = ROOT / "firmware" / "cmsis_nn"
# the int8 adapters of the ops the four MLPerf Tiny models have, whose calls the 2020 header must map or keep
INT8 = ("conv2d", "depthwise_conv2d", "fully_connected", "avg_pool2d", "max_pool2d", "add", "softmax")
GIT = pytest.mark.skipif(shutil.which("git") is None, reason="assemble tags its tree with git")


def header(stack, revision=None, date=None) -> str:
    rev = ".".join(map(str, revision or stack.revision))
    return f"/*\n * $Date:        {date or stack.date}\n * $Revision:    V.{rev}\n */\n"


def fake_tree(stack, root: Path, text: str | None = None, sources=("ConvolutionFunctions/arm_convolve_s8.c",)) -> Path:
    for d in stack.header_dirs:
        (root / d).mkdir(parents=True)
    (root / stack.header).write_text(text or header(stack))
    (root / stack.header_dirs[-1] / "extra.h").write_text("/* another header */\n")
    for s in (stack.sources or sources) + stack.unnamed:
        (root / stack.source_dir / s).parent.mkdir(parents=True, exist_ok=True)
        (root / stack.source_dir / s).write_text(f"/* {s} */\n")
    return root


def included(text: str) -> list[str]:
    return re.findall(r'#include "([^"]+)"', text)


def test_revision_is_read_from_the_header_text():
    assert old.nn_revision(header(S2020)) == (3, 0, 0)
    assert old.nn_revision(header(S2021)) == (6, 5, 3)
    assert old.nn_revision(header(S2022)) == (11, 0, 0)
    assert old.nn_revision(" * $Revision:    V.19.1.0\n") == (19, 1, 0)
    assert old.nn_revision("no revision here") is None


@pytest.mark.parametrize("stack", [S2020, S2021, S2022], ids=["2020", "2021", "2022"])
def test_a_tree_that_is_not_the_stacks_is_refused_in_one_line(stack, tmp_path):
    with pytest.raises(old.TreeError, match=f"no {stack.header}"):
        old.check_tree(stack, tmp_path)
    newer = fake_tree(stack, tmp_path / "newer", header(stack, revision=(19, 1, 0)))
    with pytest.raises(old.TreeError, match=r"is V\.19\.1\.0, not V\." + re.escape(".".join(map(str, stack.revision)))):
        old.check_tree(stack, newer)
    other_day = fake_tree(stack, tmp_path / "day", header(stack, date="1 January 2021"))
    with pytest.raises(old.TreeError, match=re.escape(f"of {stack.date}")):
        old.check_tree(stack, other_day)
    old.check_tree(stack, fake_tree(stack, tmp_path / "good"))


def test_a_2020_tree_missing_a_source_is_refused(tmp_path):
    short = fake_tree(S2020, tmp_path / "short")
    (short / S2020.source_dir / S2020.unnamed[0]).unlink()
    with pytest.raises(old.TreeError, match=re.escape(f"missing {S2020.unnamed[0]}")):
        old.check_tree(S2020, short)


def test_a_unit_includes_its_sources_with_their_warnings_silenced(tmp_path):
    text = old.unit(S2020, tmp_path, S2020.unnamed)
    assert included(text) == [(tmp_path / S2020.source_dir / s).as_posix() for s in S2020.unnamed]
    assert '#pragma GCC diagnostic ignored "-Wunused-parameter"' in text
    assert text.index("#pragma") < text.index("#include")


@GIT
def test_the_assembled_2020_tree_passes_the_tree_check_and_lists_the_2020_sources(tmp_path):
    root = fake_tree(S2020, tmp_path / "cmsis5")
    tree = find_cmsis_nn(old.assemble(S2020, root, tmp_path / "tree"))
    assert tree.version == S2020.tag
    include = tree.include_dir
    assert (include / "arm_nnfunctions.h").read_text() == S2020.shim.read_text()
    assert (include / "arm_nnfunctions_2020.h").resolve() == (root / S2020.header).resolve()
    assert (include / "extra.h").resolve() == (root / S2020.header_dirs[-1] / "extra.h").resolve()
    listed = tree.sources(INT8)
    assert set(listed) == set(S2020.sources) | {old.SUPPORT_UNIT, old.INVOKE_UNIT}, set(listed) ^ set(S2020.sources)
    # TFLM v2.3.1's per-Eval work: its header beside the shim, its unit (a table no layer matches until a model's
    # is written) including the source
    assert (include / old.INVOKE_HEADER.name).read_text() == old.INVOKE_HEADER.read_text()
    invoke = (tree.path / "Source" / old.INVOKE_UNIT).read_text()
    assert "tg2020_invoke_count = 0;" in invoke and included(invoke)[-1] == old.INVOKE_SOURCE.as_posix()
    base = root.resolve() / S2020.source_dir
    for s in S2020.sources:
        assert included((tree.path / "Source" / s).read_text()) == [(base / s).as_posix()]
    assert included((tree.path / "Source" / old.SUPPORT_UNIT).read_text()) == [(base / s).as_posix()
                                                                               for s in S2020.unnamed]
    # assembling again replaces the tree
    assert find_cmsis_nn(old.assemble(S2020, root, tmp_path / "tree")).sources(INT8) == listed


@GIT
def test_the_assembled_2022_tree_wraps_every_source_it_has(tmp_path):
    root = fake_tree(S2022, tmp_path / "cmsis-nn", sources=("ConvolutionFunctions/arm_convolve_s8.c",
                                                             "PoolingFunctions/arm_max_pool_s8.c"))
    assert old.stack_sources(S2022, root) == ("ConvolutionFunctions/arm_convolve_s8.c",
                                             "PoolingFunctions/arm_max_pool_s8.c")
    core = tmp_path / "core"
    (core / "m-profile").mkdir(parents=True)
    with pytest.raises(old.TreeError, match="needs CMSIS Core's headers"):
        old.assemble(S2022, root, tmp_path / "tree", core)
    (core / "cmsis_compiler.h").write_text("/* core */\n")
    tree = find_cmsis_nn(old.assemble(S2022, root, tmp_path / "tree", core))
    assert tree.version == S2022.tag and not (tree.path / "Source" / old.SUPPORT_UNIT).exists()
    assert tree.sources(["max_pool2d"]) == ["PoolingFunctions/arm_max_pool_s8.c"]
    assert (tree.include_dir / "arm_nnfunctions_2022.h").resolve() == (root / S2022.header).resolve()
    # the Core folder's headers and its subfolders (CMSIS 6's m-profile/), which its headers include from
    assert (tree.include_dir / "cmsis_compiler.h").resolve() == (core / "cmsis_compiler.h").resolve()
    assert (tree.include_dir / "m-profile").resolve() == (core / "m-profile").resolve()


def test_the_2020_header_maps_every_call_of_the_int8_adapters():
    shim = S2020.shim.read_text()
    mapped = set(re.findall(r"^#define (arm_\w+) tg2020_\w+$", shim, re.M))
    defined = set(re.findall(r"^static inline \w+ \*?(tg2020_\w+)\(", shim, re.M))
    for name in mapped:
        target = re.search(rf"^#define {name} (tg2020_\w+)$", shim, re.M).group(1)
        assert target in defined, f"{name} maps to {target}, which the header does not define"
    calls = set()
    for op in INT8:
        for adapter in ADAPTERS.glob(f"tg_{op}_s8_cmsis_nn.c"):
            calls |= set(re.findall(r"\b(arm_\w+)\(", adapter.read_text()))
    assert calls, "no adapter calls found"
    # every call is wrapped (add and softmax too: TFLM v2.3.1's per-Eval work runs before each kernel)
    assert calls <= mapped, f"calls the header leaves unmapped: {sorted(calls - mapped)}"


@pytest.mark.parametrize("stack", [S2020, S2021, S2022], ids=["2020", "2021", "2022"])
def test_each_header_presents_the_api_level_and_includes_the_old_one(stack):
    shim = stack.shim.read_text()
    assert "$Revision: V.18.0.0 $" in shim        # the API level presented, for tinygen's tree check
    assert f'#include "arm_nnfunctions_{stack.name}.h"' in shim


def test_an_old_twin_compiles_as_the_measured_build_did():
    """old_twins: the L4R5 points' twins build on the 2020 tree at mbed's -Os, the H743 point's on the 2022 tree at
    TinyEngine's -Ofast; other points, or a stack without a tree, build as the board compiles."""
    board = get_board("f446re")
    trees = {"2020": Path("/2020"), "2022": Path("/2022")}
    l4r5 = old_twins.old_twin({"id": old_twins.L4R5_POINTS[0]}, board, trees)
    assert l4r5.tree == "/2020" and "CMSIS_5 " + S2020.commit in l4r5.stack and "-Os" in l4r5.stack
    assert [f for f in l4r5.board.cflags if f.startswith("-O")] == ["-Os"]
    assert [f for f in board.cflags if f.startswith("-O")] == ["-O2"]          # the board itself unchanged
    assert [f for f in l4r5.board.cflags if not f.startswith("-O")] == [f for f in board.cflags if not f.startswith("-O")]
    h743 = old_twins.old_twin({"id": old_twins.H743_VWW1}, board, trees)
    assert h743.tree == "/2022" and "-Ofast" in h743.board.cflags and S2022.commit in h743.stack
    assert old_twins.old_twin({"id": old_twins.L4R5_POINTS[0]}, board, {"2022": Path("/2022")}) is None
    assert old_twins.old_twin({"id": "mlperf-v0.7-renesas-ek-ra6m4-ad"}, board, trees) is None


@GIT
def test_the_assembled_2021_tree_lists_exactly_the_2021_sources(tmp_path):
    root = fake_tree(S2021, tmp_path / "cmsis5")
    tree = find_cmsis_nn(old.assemble(S2021, root, tmp_path / "tree"))
    assert tree.version == S2021.tag and S2021.commit.startswith("0d7e4fa7")
    assert (tree.include_dir / "arm_nnfunctions_2021.h").resolve() == (root / S2021.header).resolve()
    listed = tree.sources(INT8)
    assert set(listed) == set(S2021.sources), set(listed) ^ set(S2021.sources)
    source = tree.path / "Source"
    assert not (source / old.SUPPORT_UNIT).exists() and not (source / old.INVOKE_UNIT).exists()
    missing = tmp_path / "missing"
    shutil.copytree(root, missing)
    (missing / S2021.source_dir / S2021.sources[-1]).unlink()
    with pytest.raises(old.TreeError, match=re.escape(f"missing {S2021.sources[-1]}")):
        old.check_tree(S2021, missing)


def test_the_2021_header_gives_the_scratch_taking_calls_their_own_buffer():
    """TFLM v2.5 calls the adapters' functions with their arguments: only those whose 2021 scratch can exceed what
    tinygen's plan sizes (conv, depthwise, average pooling) are wrapped, each onto a function it defines."""
    shim = S2021.shim.read_text()
    mapped = dict(re.findall(r"^#define (arm_\w+) (tg2021_\w+)$", shim, re.M))
    defined = set(re.findall(r"^static inline \w+ \*?(tg2021_\w+)\(", shim, re.M))
    defined |= {f"tg2021_{fn}" for fn in re.findall(r"^TG2021_OWN_SCRATCH\((arm_\w+), \w+\)$", shim, re.M)}
    assert set(mapped) == {"arm_convolve_wrapper_s8", "arm_depthwise_conv_wrapper_s8", "arm_avgpool_s8"}
    assert set(mapped.values()) <= defined
    calls = set()
    for op in INT8:
        for adapter in ADAPTERS.glob(f"tg_{op}_s8_cmsis_nn.c"):
            calls |= set(re.findall(r"\b(arm_\w+)\(", adapter.read_text()))
    assert set(mapped) <= calls


def test_the_plumerai_point_builds_on_the_2021_tree_at_the_boards_optimization():
    board = get_board("f746zg")
    twin = old_twins.old_twin({"id": old_twins.F746_PLUMERAI}, board, {"2021": Path("/2021")})
    assert twin.tree == "/2021" and S2021.commit in twin.stack
    assert [f for f in twin.board.cflags if f.startswith("-O")] == ["-O2"]
    assert old_twins.old_twin({"id": old_twins.F746_PLUMERAI}, board, {"2022": Path("/2022")}) is None
