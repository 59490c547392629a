"""One writer per output folder: a lock file inside it, held with fcntl.flock.

    with output_lock("build/dscnn"):      # a second build into it is refused, naming this one
        ...

- The lock file (LOCK, hidden) is created in the folder (the folder with its missing parents
  first), holds the holder's pid and command line, and is removed again when the holder lets
  go; a build killed meanwhile leaves it behind, unlocked (the kernel drops a dead process's
  flock), and the next build takes it over.
- A second process (or thread) asking for a held folder gets a TinygenError naming the holder.
  The same thread asking again (the CLI holds the -o folder from its first check; the build
  asks again when it writes there) nests: the lock goes when the outermost holder lets go.
- Taking the lock clears what a killed build left there: its staging and set-aside folders
  (only tinygen's own, by their prefixes; no live build can be using them now). Letting go
  clears them again: a Ctrl-C between a folder's creation and its cleanup leaves none.
- Folders the lock created are removed again when it goes, while empty (a build that failed
  leaves no folder behind); the holder removes the lock file while it still holds the lock, so
  a process that opened the file meanwhile sees that it is gone and starts again.
- A folder that cannot be created or written (a file in the way, no permission, a full disk)
  is not locked: nothing can be written there, and the build's own checks say why
  (tinygen.build.output.check_output).
"""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from tinygen.errors import TinygenError

LOCK = ".tinygen-lock"
STAGE_PREFIX = ".tinygen-stage-"
ASIDE_PREFIX = ".tinygen-old-"
COMMAND_CHARS = 300                     # the holder's command line, as far as it is recorded
UNNAMED = "another tinygen process"     # a holder whose name could not be read (a full disk)
NAME_TRIES, NAME_WAIT_S = 50, 0.01      # a new holder's name is waited for up to half a second


@dataclass
class _Held:
    fd: int
    created: list[Path] = field(default_factory=list)     # folders the lock created, outermost first
    depth: int = 1


_held: dict[tuple[int, str], _Held] = {}


def _key(out: Path) -> tuple[int, str]:
    return threading.get_ident(), os.path.realpath(out)


def holder_command() -> str:
    """This process's command line as a user typed it (`tinygen build ...`)."""
    argv = sys.argv or ["python"]
    name = "tinygen" if argv[0].endswith(("tinygen", "__main__.py")) else os.path.basename(argv[0])
    return shlex.join([name, *argv[1:]])[:COMMAND_CHARS]


def _holder(fd: int) -> str:
    """Who holds the lock, from what it wrote into the file: "pid N: COMMAND"."""
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        text = ""
    pid, _, command = text.partition("\n")
    if not pid.strip().isdigit():
        return UNNAMED
    return f"another tinygen (pid {pid.strip()}: {command.strip() or 'command unknown'})"


def _locked_by(fd: int) -> str | None:
    """None where this process now holds the lock on `fd`; else who holds it. A holder writes
    its name right after it takes the lock: where the file is still empty, the name is waited
    for (NAME_TRIES reads NAME_WAIT_S apart, or until the holder lets go and the lock is ours)."""
    for _ in range(NAME_TRIES):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return None
        except OSError:
            pass
        holder = _holder(fd)
        if holder != UNNAMED:
            return holder
        time.sleep(NAME_WAIT_S)
    return UNNAMED


def _same_file(path: Path, fd: int) -> bool:
    try:
        st, mine = os.stat(path, follow_symlinks=False), os.fstat(fd)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def remove_stale(out: Path) -> list[str]:
    """A killed build's staging and set-aside folders in `out` (tinygen's own prefixes, real
    folders only), removed; their names. Call it holding the lock."""
    try:
        names = os.listdir(out)
    except OSError:
        return []
    stale = [n for n in names if n.startswith((STAGE_PREFIX, ASIDE_PREFIX))
             and (out / n).is_dir() and not (out / n).is_symlink()]
    for name in stale:
        shutil.rmtree(out / name, ignore_errors=True)
    return sorted(stale)


def _acquire(out: Path) -> _Held | None:
    absolute = out.absolute()
    created = [p for p in reversed([absolute, *absolute.parents]) if not p.exists()]
    while True:
        try:
            out.mkdir(parents=True, exist_ok=True)
            fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        except OSError:
            remove_created(created)
            return None                 # nothing can be written there: check_output says why
        holder = _locked_by(fd)
        if holder is not None:
            os.close(fd)
            raise TinygenError(f"the output directory {str(out)!r} is in use: {holder} is writing into it",
                               "wait for it to finish, or choose another -o/--output directory")
        if _same_file(out / LOCK, fd):
            break
        os.close(fd)                    # its holder removed it as we opened it: again, with the new one
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{holder_command()}\n".encode(), 0)
    except OSError:
        pass                            # a full disk: the lock holds all the same, unnamed
    remove_stale(out)
    return _Held(fd, created)


def remove_created(created: list[Path]) -> None:
    """The folders a build created (outermost first), removed innermost first while empty."""
    for folder in reversed(created):
        if folder.exists():
            try:
                folder.rmdir()
            except OSError:
                break


def _release(out: Path, held: _Held) -> None:
    remove_stale(out)                   # none is live now: a build stopped between making one and its cleanup
    try:
        if _same_file(out / LOCK, held.fd):
            os.unlink(out / LOCK)       # while held: see the module docstring
    except OSError:
        pass
    os.close(held.fd)
    remove_created(held.created)


@contextmanager
def output_lock(out: str | Path) -> Iterator[None]:
    """Hold `out` for this build (see the module docstring)."""
    out = Path(out)
    key = _key(out)
    if key in _held:
        _held[key].depth += 1
        try:
            yield
        finally:
            _held[key].depth -= 1
        return
    held = _acquire(out)
    if held is None:
        yield
        return
    _held[key] = held
    try:
        yield
    finally:
        del _held[key]
        _release(out, held)


__all__ = ["ASIDE_PREFIX", "LOCK", "STAGE_PREFIX", "holder_command", "output_lock", "remove_created", "remove_stale"]
