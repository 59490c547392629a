"""`tinygen build -o DIR` owns only what it writes.

Each case builds a small model for the host board and checks the file system byte for byte:
the user's files (the model file among them) are never replaced or removed, a non-empty
folder that is not a tinygen build is refused unless --force, a rebuild replaces exactly the
files the earlier build wrote (listed in tinygen.json), every OS error is one line without a
traceback, and nothing is left behind: no staging or set-aside folder, inside DIR or beside it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_bad_input import GOOD_MODEL, assert_clean_failure, run_cli, snapshot, write_model
from tinygen.build import output

HIDDEN = (output.STAGE_PREFIX, output.ASIDE_PREFIX)


def leftovers(*folders: Path) -> list[str]:
    """Staging or set-aside folders of this or an earlier tinygen anywhere below the folders."""
    return sorted(str(p) for folder in folders for p in folder.rglob(".*")
                  if p.name.startswith(HIDDEN) or p.name.endswith(".tinygen") or ".old." in p.name)


def user_project(tmp_path: Path) -> tuple[Path, Path]:
    """A user's folder: the model file, notes and a data folder."""
    proj = tmp_path / "proj"
    proj.mkdir()
    model = write_model(proj, GOOD_MODEL, "model.py")
    (proj / "notes.txt").write_text("my notes\n")
    (proj / "data").mkdir()
    (proj / "data" / "x.bin").write_bytes(bytes(range(64)))
    return proj, model


def assert_user_files_kept(before: dict, folder: Path) -> None:
    now = snapshot(folder)
    for rel, data in before.items():
        assert rel in now, f"{rel} was removed"
        assert now[rel] == data, f"{rel} was changed"


def generated(folder: Path) -> list[str]:
    return json.loads((folder / "tinygen.json").read_text())["files"]


def test_build_into_the_models_own_folder_refused_without_force(capsys, tmp_path):
    proj, model = user_project(tmp_path)
    before = snapshot(proj)
    rc, out, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", proj)
    assert_clean_failure(rc, err, 1, "is not empty and is not a tinygen build", "--force")
    assert snapshot(proj) == before
    assert leftovers(tmp_path) == []


def test_build_into_the_models_own_folder_with_force_keeps_every_user_file(capsys, tmp_path):
    proj, model = user_project(tmp_path)
    before = snapshot(proj)
    rc, out, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", proj, "--force")
    assert rc == 0, err
    assert_user_files_kept(before, proj)
    files = generated(proj)
    assert {"model.c", "model.h", "weights.c", "tinygen.json", "tg_runner"} <= set(files)
    assert not set(files) & set(before), "a user's file is listed as generated"
    assert all((proj / f).is_file() for f in files)
    assert leftovers(tmp_path) == []
    # the folder is a tinygen build now: a second build needs no --force and still keeps them
    (proj / "model.c").write_text("/* edited by hand */\n")
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", proj)
    assert rc == 0, err
    assert_user_files_kept(before, proj)
    assert "edited by hand" not in (proj / "model.c").read_text()
    assert generated(proj) == files
    assert leftovers(tmp_path) == []


def test_build_dash_o_dot(capsys, tmp_path, monkeypatch):
    proj, model = user_project(tmp_path)
    monkeypatch.chdir(proj)
    before = snapshot(proj)
    rc, _, err = run_cli(capsys, "build", "model.py", "--board", "host", "-q", "-o", ".")
    assert_clean_failure(rc, err, 1, "is not a tinygen build", "--force")
    assert snapshot(proj) == before
    rc, _, err = run_cli(capsys, "build", "model.py", "--board", "host", "-q", "-o", ".", "--force")
    assert rc == 0, err
    assert "Traceback" not in err
    assert_user_files_kept(before, proj)
    assert (proj / "tg_runner").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj"], "something was written beside the folder"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["Makefile", "tinygen"])
def test_force_never_replaces_a_users_file_at_a_generated_path(capsys, tmp_path, name):
    """A user's file where the build writes one (Makefile) or where a folder of the build goes
    (tinygen/): refused, naming that file, and the folder is as it was."""
    model = write_model(tmp_path, GOOD_MODEL)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / name).write_text("mine\n")
    (mine / "README").write_text("mine\n")
    before = snapshot(mine)
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", mine, "--force")
    assert_clean_failure(rc, err, 1, f"tinygen did not write: {name}", "hint:")
    assert snapshot(mine) == before
    assert leftovers(tmp_path) == []


def test_rebuild_replaces_exactly_the_files_the_earlier_build_wrote(capsys, tmp_path):
    model = write_model(tmp_path, GOOD_MODEL)
    out = tmp_path / "out"
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)
    assert rc == 0, err
    # a file the earlier build wrote and the next does not (as if a kernel was dropped), a
    # file of the user's added afterwards, and a user's folder
    stale = "tinygen/kernels/tg_old_kernel_s8.c"
    (out / stale).write_text("/* from an earlier build */\n")
    manifest = json.loads((out / "tinygen.json").read_text())
    manifest["files"] = sorted(manifest["files"] + [stale, "old_only/gone.txt"])
    (out / "old_only").mkdir()
    (out / "old_only" / "gone.txt").write_text("generated once\n")
    (out / "tinygen.json").write_text(json.dumps(manifest))
    (out / "my_test.c").write_text("int main(void) { return 0; }\n")
    (out / "logs").mkdir()
    (out / "logs" / "run.txt").write_text("kept\n")
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)
    assert rc == 0, err
    assert not (out / stale).exists() and not (out / "old_only").exists()
    assert (out / "my_test.c").read_text() == "int main(void) { return 0; }\n"
    assert (out / "logs" / "run.txt").read_text() == "kept\n"
    assert stale not in generated(out)
    assert leftovers(tmp_path) == []


def test_rebuild_refuses_a_users_file_where_the_build_writes_one(capsys, tmp_path):
    """A file tinygen writes now but the earlier build did not list is the user's."""
    model = write_model(tmp_path, GOOD_MODEL)
    out = tmp_path / "out"
    assert run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)[0] == 0
    manifest = json.loads((out / "tinygen.json").read_text())
    manifest["files"].remove("Makefile")
    (out / "tinygen.json").write_text(json.dumps(manifest))
    (out / "Makefile").write_text("# mine now\n")
    before = snapshot(out)
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)
    assert_clean_failure(rc, err, 1, "Makefile", "tinygen did not write")
    assert snapshot(out) == before


def test_rebuild_over_a_manifest_without_a_file_list(capsys, tmp_path):
    """An output of an older tinygen (manifest without `files`): what the build writes is
    tinygen's, anything else stays."""
    model = write_model(tmp_path, GOOD_MODEL)
    out = tmp_path / "out"
    assert run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)[0] == 0
    manifest = json.loads((out / "tinygen.json").read_text())
    del manifest["files"]
    (out / "tinygen.json").write_text(json.dumps(manifest))
    (out / "keep.txt").write_text("keep\n")
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)
    assert rc == 0, err
    assert (out / "keep.txt").read_text() == "keep\n"
    assert "keep.txt" not in generated(out)


def test_a_manifest_cannot_make_tinygen_touch_files_outside_the_folder(capsys, tmp_path):
    model = write_model(tmp_path, GOOD_MODEL)
    out = tmp_path / "out"
    assert run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)[0] == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("outside\n")
    manifest = json.loads((out / "tinygen.json").read_text())
    manifest["files"] += ["../victim.txt", str(victim)]
    (out / "tinygen.json").write_text(json.dumps(manifest))
    assert run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)[0] == 0
    assert victim.read_text() == "outside\n"


@pytest.mark.parametrize("fail_at", [1, 5, -1])
def test_an_os_error_while_moving_files_in_puts_the_earlier_build_back(capsys, tmp_path, monkeypatch, fail_at):
    """All or nothing for tinygen's own files: os.replace fails at the fail_at-th file
    (-1: the last one); the earlier build is back byte for byte, the error is one line."""
    model = write_model(tmp_path, GOOD_MODEL)
    out = tmp_path / "out"
    assert run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)[0] == 0
    (out / "mine.txt").write_text("mine\n")
    (out / "model.c").write_text("/* the earlier build, as it was */\n")
    before = snapshot(out)
    moves = len(generated(out)) * 2          # set aside the old files, then move the new ones in
    real_replace = os.replace
    calls = []

    def flaky(src, dst):
        if not Path(dst).is_relative_to(out):       # tinygen's caches write by os.replace too
            return real_replace(src, dst)
        calls.append(dst)
        if len(calls) == (fail_at if fail_at > 0 else moves):
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", flaky)
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)
    monkeypatch.setattr(output.os, "replace", real_replace)
    assert_clean_failure(rc, err, 1, "cannot write to the output directory", "Permission denied", "hint:")
    assert len(err.strip().splitlines()) == 2, err          # the message and its hint
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_an_os_error_creating_the_staging_folder(capsys, tmp_path, monkeypatch):
    model = write_model(tmp_path, GOOD_MODEL)

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.tempfile, "mkdtemp", refuse)
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", tmp_path / "a" / "out")
    assert_clean_failure(rc, err, 1, "No space left on device", "-o/--output")
    assert not (tmp_path / "a").exists(), "the folders the build created were not removed"


def _read_only_runner(folder: Path) -> list[str] | None:
    """A command prefix under which `folder` cannot be written: plain permissions for a
    normal user; for root (permissions do not stop it) a private read-only bind mount.
    None when neither is possible here."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return []
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run([unshare, "-m", "sh", "-c", f"mount --bind '{folder}' '{folder}' && "
                            f"mount -o remount,ro,bind '{folder}' && ! touch '{folder}/.probe'"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return None
    return [unshare, "-m", "sh", "-c", f"mount --bind '{folder}' '{folder}' && "
            f"mount -o remount,ro,bind '{folder}' && exec \"$0\" \"$@\""]


def test_build_into_a_read_only_folder(tmp_path):
    """A real read-only output folder (a tinygen build): one line, nothing changed, nothing
    hidden left beside it or in it (a subprocess, as a user runs it)."""
    model = write_model(tmp_path, GOOD_MODEL)
    out = tmp_path / "out"
    assert run_cli_subprocess(model, out).returncode == 0
    before = snapshot(out)
    prefix = _read_only_runner(out)
    if prefix is None:
        pytest.skip("cannot make a folder read-only here: running as root without mount namespaces "
                    "(unshare -m); the OS-error paths are covered by the simulated cases above")
    try:
        done = run_cli_subprocess(model, out, prefix)
    finally:
        out.chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "error:" in done.stderr and str(out) in done.stderr, done.stderr
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def run_cli_subprocess(model: Path, out: Path, prefix: list[str] = ()) -> subprocess.CompletedProcess:
    cmd = [*prefix, sys.executable, "-m", "tinygen", "build", str(model), "--board", "host", "-q", "-o", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=model.parent)


def test_build_writes_no_compiled_module_beside_the_users_python_files(capsys, tmp_path, monkeypatch):
    """The model file, the neighbour it imports and the --calib module run in tinygen's process,
    where Python would write their compiled modules into a __pycache__ folder beside them (the
    default, without PYTHONDONTWRITEBYTECODE): the user's folder stays byte for byte as it was."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "widths.py").write_text("IN_FEATURES = 8\n")
    model = write_model(proj, GOOD_MODEL.replace("import numpy as np\n", "import numpy as np\nimport widths\n")
                        .replace("nn.Linear(8, 4)", "nn.Linear(widths.IN_FEATURES, 4)"), "model.py")
    (proj / "calib.py").write_text("import numpy as np\nimport widths\n\n\ndef batches():\n"
                                   "    return np.ones((4, widths.IN_FEATURES), np.float32)\n")
    before = snapshot(proj)
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", tmp_path / "out",
                         "--calib", f"{proj / 'calib.py'}:batches")
    assert rc == 0, err
    assert snapshot(proj) == before
    assert sys.dont_write_bytecode is False                 # as it was
    assert (tmp_path / "out" / "model.c").is_file()
