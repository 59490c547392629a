"""benchmarks/calibration/compat_2020.py, the CMSIS-NN of TFLM v2.3.1 as a tree tinygen's adapters build
against (the NUCLEO-L4R5ZI calibration twins): its checks of the tree given, the tree it assembles (which
tinygen's CMSIS-NN tree check accepts, listing the 2020 sources), and that its header maps every CMSIS-NN
call the int8 adapters make. None needs the 2020 tree: a stand-in tree of empty files is built here."""

import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks" / "calibration"))

import compat_2020 as compat  # noqa: E402

from tinygen.kernels.cmsis_nn_tree import find_cmsis_nn  # noqa: E402

HEADER_2020 = "/*\n * $Date:        May 18, 2020\n * $Revision:    V.3.0.0\n */\n"
ADAPTERS = ROOT / "firmware" / "cmsis_nn"
# the int8 adapters of the ops the four MLPerf Tiny models have, whose calls the 2020 header must map or keep
INT8 = ("conv2d", "depthwise_conv2d", "fully_connected", "avg_pool2d", "max_pool2d", "add", "softmax")
SAME_SIGNATURE = {"arm_elementwise_add_s8", "arm_softmax_s8"}      # the 2020 functions of the adapters' signature


def fake_tree(root: Path, header: str = HEADER_2020) -> Path:
    for d in compat.HEADER_DIRS:
        (root / d).mkdir(parents=True)
    (root / compat.NN_HEADER).write_text(header)
    (root / "CMSIS/DSP/Include/arm_math.h").write_text("/* DSP */\n")
    for s in compat.SOURCES + compat.UNNAMED:
        (root / "CMSIS/NN/Source" / s).parent.mkdir(parents=True, exist_ok=True)
        (root / "CMSIS/NN/Source" / s).write_text(f"/* {s} */\n")
    return root


def test_revision_is_read_from_the_header_text():
    assert compat.nn_revision(HEADER_2020) == (3, 0, 0)
    assert compat.nn_revision(" * $Revision:    V.19.1.0\n") == (19, 1, 0)
    assert compat.nn_revision("no revision here") is None


def test_a_tree_that_is_not_the_2020_one_is_refused_in_one_line(tmp_path):
    with pytest.raises(compat.TreeError, match="no CMSIS/NN/Include/arm_nnfunctions.h"):
        compat.check_tree(tmp_path)
    newer = fake_tree(tmp_path / "newer", HEADER_2020.replace("V.3.0.0", "V.19.1.0"))
    with pytest.raises(compat.TreeError, match=r"is V\.19\.1\.0, not V\.3\.0\.0"):
        compat.check_tree(newer)
    other_day = fake_tree(tmp_path / "day", HEADER_2020.replace("May 18", "June 11"))
    with pytest.raises(compat.TreeError, match="not V.3.0.0 of May 18, 2020"):
        compat.check_tree(other_day)
    short = fake_tree(tmp_path / "short")
    (short / "CMSIS/NN/Source" / compat.UNNAMED[0]).unlink()
    with pytest.raises(compat.TreeError, match=re.escape(f"missing {compat.UNNAMED[0]}")):
        compat.check_tree(short)
    compat.check_tree(fake_tree(tmp_path / "good"))


def included(text: str) -> list[str]:
    return re.findall(r'#include "([^"]+)"', text)


def test_a_unit_includes_its_2020_sources_with_their_warning_silenced(tmp_path):
    text = compat.unit(tmp_path, compat.UNNAMED)
    assert included(text) == [(tmp_path / "CMSIS/NN/Source" / s).as_posix() for s in compat.UNNAMED]
    assert '#pragma GCC diagnostic ignored "-Wunused-parameter"' in text
    assert text.index("#pragma") < text.index("#include")


@pytest.mark.skipif(shutil.which("git") is None, reason="assemble tags its tree with git")
def test_the_assembled_tree_passes_the_tree_check_and_lists_the_2020_sources(tmp_path):
    root = fake_tree(tmp_path / "cmsis5")
    tree = find_cmsis_nn(compat.assemble(root, tmp_path / "tree"))
    assert tree.version == compat.COMPAT_TAG
    include = tree.include_dir
    assert (include / "arm_nnfunctions.h").read_text() == compat.SHIM.read_text()
    assert (include / "arm_nnfunctions_2020.h").resolve() == (root / compat.NN_HEADER).resolve()
    assert (include / "arm_math.h").resolve() == (root / "CMSIS/DSP/Include/arm_math.h").resolve()
    listed = tree.sources(INT8)
    assert set(listed) == set(compat.SOURCES) | {compat.SUPPORT_UNIT}, set(listed) ^ set(compat.SOURCES)
    for s in compat.SOURCES:
        assert included((tree.path / "Source" / s).read_text()) == [(root.resolve() / "CMSIS/NN/Source" / s).as_posix()]
    assert included((tree.path / "Source" / compat.SUPPORT_UNIT).read_text()) == [
        (root.resolve() / "CMSIS/NN/Source" / s).as_posix() for s in compat.UNNAMED]
    # assembling again replaces the tree
    assert find_cmsis_nn(compat.assemble(root, tmp_path / "tree")).sources(INT8) == listed


def test_the_header_maps_every_call_of_the_int8_adapters():
    shim = compat.SHIM.read_text()
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
    assert calls - SAME_SIGNATURE <= mapped, f"calls the header leaves unmapped: {sorted(calls - SAME_SIGNATURE - mapped)}"
    assert "$Revision: V.18.0.0 $" in shim        # the API level presented, for tinygen's tree check
