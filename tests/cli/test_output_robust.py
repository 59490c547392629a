"""`tinygen build -o DIR` when something else happens at once: a second build into the same
folder, a build killed mid-way, a full disk, Ctrl-C.

Builds here are of a one-layer .tflite (no torch to load: a build takes a second or two), as
a user runs them: `python -m tinygen` in a subprocess, or the CLI's main in this process. After
each case the folder holds exactly one build's files, every one listed in its tinygen.json, and
no lock file or staging folder is left.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from test_bad_input import GOOD_MODEL, assert_clean_failure, run_cli, snapshot, write_model
from test_output_dir import leftovers
from tflite_builder import ModelBuilder
from tinygen.build import host as build_host
from tinygen.build import output
from tinygen.build.output_lock import LOCK, output_lock
from tinygen.cli import boards as cli_boards
from tinygen.errors import TinygenError

ROOT = Path(__file__).resolve().parents[2]


def tflite_model(folder: Path, name: str = "hs") -> Path:
    b = ModelBuilder()
    x = b.tensor("x", [1, 4, 4, 8], scale=0.05, zero_point=-3)
    y = b.tensor("y", [1, 4, 4, 8], scale=0.02, zero_point=10)
    b.op("HARD_SWISH", [x], [y])
    path = folder / f"{name}.tflite"
    path.write_bytes(b.finish(inputs=[x], outputs=[y]))
    return path


def start_build(model: Path, out: Path, env: dict | None = None, **kwargs) -> subprocess.Popen:
    """`python -m tinygen build MODEL --board host -o OUT` with Ctrl-C delivered as in a terminal."""
    env = dict(env or os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.Popen([sys.executable, "-m", "tinygen", "build", str(model), "--board", "host", "-q",
                             "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kwargs)


def wait_for(what, proc: subprocess.Popen, seconds: float = 120):
    """Poll `what()` until it is true while `proc` runs; its value."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        got = what()
        if got:
            return got
        assert proc.poll() is None, f"the build ended first: {proc.communicate()}"
        time.sleep(0.005)
    raise AssertionError("timed out")


def staging(out: Path) -> list[Path]:
    """The build's staging folders in `out` once it writes there (not the empty probe of its checks)."""
    found = []
    for p in out.glob(output.STAGE_PREFIX + "*") if out.is_dir() else ():
        try:
            if any(p.iterdir()):
                found.append(p)
        except FileNotFoundError:       # the checks' empty probe, removed between the glob and the look
            pass
    return sorted(found)


def assert_one_build(out: Path, model: str) -> None:
    """Every file in `out` is listed in its manifest, every listed one is there, it is `model`'s,
    and no lock or staging folder is left."""
    manifest = json.loads((out / "tinygen.json").read_text())
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk == set(manifest["files"]), f"unlisted: {on_disk - set(manifest['files'])}, " \
                                              f"missing: {set(manifest['files']) - on_disk}"
    assert manifest["model"] == model
    assert not (out / LOCK).exists()
    assert leftovers(out) == []


def held_compiler(tmp_path: Path) -> tuple[dict, Path]:
    """An environment whose `gcc` waits until the file it names exists, then is the real one:
    a build holds its folder, mid-way, as long as a test needs."""
    go, bin_dir = tmp_path / "go", tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gcc").write_text(f"#!/bin/sh\nwhile [ ! -e '{go}' ]; do sleep 0.05; done\n"
                                 f"exec '{shutil.which('gcc')}' \"$@\"\n")
    (bin_dir / "gcc").chmod(0o755)
    return dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}"), go


def test_second_build_into_a_folder_in_use_is_refused_naming_the_first(capsys, tmp_path):
    """Build A holds -o (its compiler waits); build B into it is refused at once, in one line
    naming A's pid and command; A then ends with its own files, all listed."""
    first, second = tflite_model(tmp_path, "one"), tflite_model(tmp_path, "two")
    out = tmp_path / "out"
    env, go = held_compiler(tmp_path)
    a = start_build(first, out, env=env)
    wait_for(lambda: staging(out), a)
    assert (out / LOCK).read_text().startswith(f"{a.pid}\n")
    rc, _, err = run_cli(capsys, "build", second, "--board", "host", "-q", "-o", out)
    go.touch()
    assert_clean_failure(rc, err, 1, f"the output directory {str(out)!r} is in use", f"pid {a.pid}",
                         f"build {first} --board host -q -o {out}", "hint: wait for it")
    assert len(err.strip().splitlines()) == 2, err
    stdout, stderr = a.communicate(timeout=300)
    assert a.returncode == 0, stderr
    assert_one_build(out, "one")


def test_two_builds_started_together_one_wins(tmp_path):
    """Both started at once: one builds, the other is refused (or, where the first was done
    before it started, rebuilds); never two models' files in the folder."""
    models = [tflite_model(tmp_path, "one"), tflite_model(tmp_path, "two")]
    out = tmp_path / "out"
    procs = [start_build(m, out) for m in models]
    done = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
    assert all(rc in (0, 1) for rc, _ in done), done
    assert any(rc == 0 for rc, _ in done), done
    for rc, err in done:
        assert "Traceback" not in err
        assert rc == 0 or "is in use: another tinygen (pid" in err, err
    # the folder holds one of the builds that succeeded (both did where one ended before the
    # other began: the later one, whichever was started first)
    misses = []
    for winner in [m.stem for m, (rc, _) in zip(models, done) if rc == 0]:
        try:
            assert_one_build(out, winner)
            break
        except AssertionError as e:
            misses.append(str(e))
    else:
        raise AssertionError(misses)


def test_a_holder_not_yet_named_is_waited_for_and_named(tmp_path):
    """The moment between a build taking the lock and writing its name into the lock file (the
    race two builds started together run into): the second build waits for the name, and the
    refusal names the holder's pid, never "another tinygen process"."""
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\n"
         "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\n"
         "print('locked', flush=True)\n"
         "time.sleep(0.2)\n"
         "os.pwrite(fd, f'{os.getpid()}\\ntinygen build one.tflite\\n'.encode(), 0)\n"
         "time.sleep(30)\n", str(out / LOCK)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(TinygenError) as refused:
            with output_lock(out):
                pass
        assert f"is in use: another tinygen (pid {holder.pid}: tinygen build one.tflite)" in str(refused.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_builds_staging_folder_is_removed_by_the_next_build(capsys, tmp_path):
    """SIGKILL while the build writes its staging folder: the folder and the lock file stay
    behind (nothing can clean up after a SIGKILL); the next build removes them and succeeds."""
    model = tflite_model(tmp_path)
    out = tmp_path / "out"
    env, _ = held_compiler(tmp_path)            # never let go: the build is killed while it waits
    proc = start_build(model, out, env=env, start_new_session=True)
    stage = wait_for(lambda: staging(out), proc)
    os.killpg(proc.pid, signal.SIGKILL)         # the build and its make, as a kill of its session
    proc.wait()
    assert staging(out) == stage and (out / LOCK).exists()
    (out / "mine.txt").write_text("mine\n")                 # a user's file: kept
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out, "--force")
    assert rc == 0, err
    assert (out / "mine.txt").read_text() == "mine\n"
    (out / "mine.txt").unlink()
    assert_one_build(out, "hs")


# -- a full disk -------------------------------------------------------------------------------


def _tmpfs_runner(folder: Path) -> list[str] | None:
    """A prefix that runs a command with a private tmpfs of `size` KiB mounted on `folder` (root
    with mount namespaces: unshare -m); None where that cannot be done here."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        return None
    probe = subprocess.run([unshare, "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs '{folder}'"],
                           capture_output=True, text=True)
    return [unshare, "-m", "sh", "-c"] if probe.returncode == 0 else None


def _pages(folder: Path) -> int:
    """What `folder`'s files take on a tmpfs: whole 4 KiB pages."""
    return sum(-(-p.stat().st_size // 4096) * 4096 for p in folder.rglob("*") if p.is_file())


def test_build_on_a_full_disk_is_one_line_and_keeps_the_earlier_build(capsys, tmp_path):
    """A real full disk: a tmpfs with room for one build and a half. The first build fits; the
    rebuild (the earlier build stays until the new one is complete) fills the disk: one line
    naming the folder, the space the build needs and what is free; the earlier build intact."""
    model = tflite_model(tmp_path)
    sized = tmp_path / "sized"
    assert run_cli(capsys, "build", model, "--board", "host", "-q", "-o", sized)[0] == 0
    disk = tmp_path / "disk"
    disk.mkdir()
    runner = _tmpfs_runner(disk)
    if runner is None:
        pytest.skip("cannot mount a tmpfs here (not root, or no mount namespaces); the simulated full "
                    "disks below cover the same paths")
    size_k = _pages(sized) * 3 // 2 // 1024
    out, logs = disk / "out", tmp_path / "logs"
    build = f"'{sys.executable}' -m tinygen build '{model}' --board host -q -o '{out}'"
    script = (f"mount -t tmpfs -o size={size_k}k tmpfs '{disk}' && {build} && cp -a '{out}' '{logs}/before' && "
              f"{{ {build} 2> '{logs}/err'; echo $? > '{logs}/rc'; cp -a '{out}' '{logs}/after'; }}")
    logs.mkdir()
    done = subprocess.run([*runner, script], capture_output=True, text=True, cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    err = (logs / "err").read_text()
    assert (logs / "rc").read_text().strip() == "1", err
    assert_clean_failure(1, err, 1, f"cannot write to the output directory {str(out)!r}: No space left on device",
                         "the build needs about", "free)", "hint: free some space")
    assert len(err.strip().splitlines()) == 2, err
    assert snapshot(logs / "after") == snapshot(logs / "before")
    assert_one_build(logs / "after", "hs")


def test_a_write_that_fills_the_disk_is_one_line(capsys, tmp_path, monkeypatch):
    """The same without a tmpfs: a write of the staged project raises ENOSPC (as on a full disk
    or quota) after the first files; the earlier build is as it was."""
    model = tflite_model(tmp_path)
    out = tmp_path / "out"
    assert run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)[0] == 0
    before = snapshot(out)
    real = Path.write_text
    written = []

    def filling(path, *args, **kwargs):
        if Path(path).is_relative_to(out):
            if len(written) >= 2:
                raise OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), str(path))
            written.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", filling)
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)
    monkeypatch.setattr(Path, "write_text", real)
    assert_clean_failure(rc, err, 1, f"cannot write to the output directory {str(out)!r}: Disk quota exceeded",
                         "after writing", "the build needs about", "hint: free some space")
    assert len(err.strip().splitlines()) == 2, err
    assert snapshot(out) == before


TEMP_S = str(Path(tempfile.gettempdir()) / "ccq2tXzH.s")


@pytest.mark.parametrize("said, names", [
    ("/usr/bin/ld: final link failed: No space left on device", None),
    ("cc1: fatal error: obj/host/model.d: No space left on device", None),      # in the project: the folder
    # the compiler's temporary file, outside the project (its name as cc1 says it)
    (f"cc1: fatal error: error writing to {TEMP_S}: No space left on device", TEMP_S),
])
def test_a_compiler_stopped_by_a_full_disk_is_not_a_tinygen_bug(capsys, tmp_path, monkeypatch, said, names):
    """The compiler's own "No space left on device" (ld writing the library, cc1 its temporary
    file): the full-disk line naming the output folder, or the place the compiler named; not
    "the C compiler failed ... this is a tinygen bug"."""
    model = tflite_model(tmp_path)
    out = tmp_path / "out"

    def make(project, args, jobs):
        return subprocess.CompletedProcess(["make"], 2, "", f"{said}\ncollect2: error: ld returned 1 exit status\n")

    monkeypatch.setattr(build_host, "cached_make", make)
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out)
    assert_clean_failure(rc, err, 1, f"{names or str(out)!r}: No space left on device", "hint: free some space")
    assert "tinygen bug" not in err and "C compiler failed" not in err
    assert len(err.strip().splitlines()) == 2, err
    assert not out.exists()


# -- Ctrl-C ------------------------------------------------------------------------------------


def test_ctrl_c_during_start_up_is_one_word(tmp_path):
    """SIGINT while `python -m tinygen` still imports its modules (a second or more: torch, the
    commands): "interrupted", exit status 130, no traceback. A sitecustomize module says when
    the interpreter is up."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import sys\nsys.stderr.write('up\\n')\nsys.stderr.flush()\n")
    model = write_model(tmp_path, GOOD_MODEL)          # a torch model: seconds more of loading
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]))
    proc = subprocess.Popen([sys.executable, "-m", "tinygen", "build", str(model), "--board", "host", "-q",
                             "-o", str(tmp_path / "out")],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr.readline() == "up\n"
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip() == "interrupted", err


def test_ctrl_c_mid_build_is_one_word_and_leaves_nothing(tmp_path):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it: make and the compilers get
    it too) while the build writes its staging folder: "interrupted", 130, and the folder it
    created is gone again (no staging folder, no lock)."""
    model = tflite_model(tmp_path)
    out = tmp_path / "a" / "out"
    env, _ = held_compiler(tmp_path)
    proc = start_build(model, out, env=env, start_new_session=True)
    wait_for(lambda: staging(out), proc)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip() == "interrupted", err
    assert not (tmp_path / "a").exists()


def test_a_full_disk_outside_the_build_folder_is_one_line_too(capsys, monkeypatch):
    """ENOSPC from a write no build folder covers (a --json report, a plot): one line, exit 1."""
    def full(args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "report.json")

    monkeypatch.setattr(cli_boards, "cmd_boards", full)
    rc, _, err = run_cli(capsys, "boards")
    assert_clean_failure(rc, err, 1, "cannot write 'report.json': No space left on device", "hint: free some space")
    assert len(err.strip().splitlines()) == 2, err
