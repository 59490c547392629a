"""--weights-in on the command line: auto for a firmware, flash for a --library (whose
application's RAM tinygen does not know), what the user gives otherwise; a bad value or
`ram` without a Cortex-M board refused before any compile."""

from __future__ import annotations

import argparse

import pytest

from tinygen.cli import main
from tinygen.cli.common import weights_in


@pytest.mark.parametrize("given, library, package, want", [
    (None, False, None, "auto"), (None, True, None, "flash"), (None, False, ["cmake"], "flash"),
    ("ram", True, None, "ram"), ("flash", False, None, "flash"), ("auto", True, None, "auto")])
def test_weights_in_default_is_auto_for_a_firmware(given, library, package, want):
    assert weights_in(argparse.Namespace(weights_in=given, library=library, package=package)) == want


def test_weights_in_ram_needs_a_cortex_m_board_before_compiling(tmp_path, capsys):
    assert main(["build", "examples/models/mlp.py", "--board", "host", "--weights-in", "ram", "-o", str(tmp_path / "never")]) == 2
    err = capsys.readouterr().err
    assert "--weights-in ram needs a Cortex-M board" in err and "Traceback" not in err
    assert not (tmp_path / "never").exists()
    with pytest.raises(SystemExit) as e:         # argparse's choices
        main(["build", "examples/models/mlp.py", "--board", "host", "--weights-in", "sram", "-o", str(tmp_path / "no")])
    assert e.value.code == 2 and "invalid choice: 'sram'" in capsys.readouterr().err
