"""The output folder of a build: tinygen owns only the files it wrote.

    check_output(out, force=False, keep=[model])   # early, before compiling: refuse what cannot work
    with staged_output(out, force, keep) as stage:  # write everything into `stage`
        ...
    # on success the new files are in `out`; on any failure `out` is as it was

- `out` missing or empty: created (with its missing parents); removed again if the build fails.
- `out` a tinygen output (its `tinygen.json` manifest says so): the files the earlier build
  wrote (the manifest's `files`) are replaced by the new build's, those it no longer writes are
  removed, everything else in `out` stays as it is. A manifest from before the `files` list
  counts every path the new build writes as tinygen's.
- any other non-empty folder: refused, unless `force`; then tinygen's files go in beside the
  user's, and a user's file at a path tinygen writes is an error, never replaced.
- the paths in `keep` (the model file, the data) are never replaced, whatever the folder.
- all or nothing for tinygen's own files: the new ones are staged in a hidden folder inside
  `out`, the earlier build's are set aside in another and put back if anything fails.
- one writer at a time: the build holds `out`'s lock (tinygen.build.output_lock), which
  also clears the staging folders a killed build left there.
- every OS error becomes a one-line TinygenError that says what to do; a full disk (or quota)
  while the build writes, or a compiler that said so, names the folder and the space the build
  needs there (what it had staged, or the earlier build's size where that is more).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from tinygen.build.output_lock import ASIDE_PREFIX, LOCK, STAGE_PREFIX, output_lock, remove_created
from tinygen.errors import TinygenError
from tinygen.report import human_bytes

MANIFEST = "tinygen.json"
OTHER_OUTPUT = "choose another -o/--output directory"


@dataclass
class Existing:
    """What `out` holds before the build."""
    exists: bool
    tinygen: bool = False             # a tinygen output: it has our manifest
    files: set[str] | None = None     # the files the earlier build wrote; None: unknown (older manifest)
    user_entries: int = 0             # entries that are not our staging folders


FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})     # the disk (or the quota) is full
TOOL_FULL = ("No space left on device", "Disk quota exceeded")   # a compiler's words for it
_TOOL_FULL_PATH = re.compile(r"(?<![^\s'`])(/[^\s:'`]+)['`]?: (?:No space left on device|Disk quota exceeded)")


def _free_bytes(path: Path) -> int | None:
    probe = next((p for p in [path, *path.absolute().parents] if p.exists()), None)
    try:
        st = os.statvfs(probe) if probe is not None else None
    except OSError:
        return None
    return None if st is None else st.f_bavail * st.f_frsize


def _os_error(action: str, path: Path, e: OSError, written: int = 0, need: int = 0) -> TinygenError:
    """One line for an OS error; for a full disk also what the build had written (`written`),
    the space it needs there (`need`: an estimate) and the space left."""
    reason = e.strerror or str(e)
    if e.errno not in FULL:
        return TinygenError(f"cannot {action} {str(path)!r}: {reason}",
                            f"check the folder's permissions and free space, or {OTHER_OUTPUT}")
    free = _free_bytes(path)
    facts = ([f"after writing {human_bytes(written)}"] if written else []) + \
        ([f"the build needs about {human_bytes(need)} there"] if need else []) + \
        ([f"{human_bytes(free)} free"] if free is not None else [])
    return TinygenError(f"cannot {action} {str(path)!r}: {reason}" + (f" ({', '.join(facts)})" if facts else ""),
                        f"free some space on that disk, or {OTHER_OUTPUT}; an earlier build there is as it was")


def raise_if_no_space(tool_output: str, folder: Path) -> None:
    """A compiler or linker that failed because the disk filled raises the OSError a write
    would (staged_output makes it the one-line full-disk error), not a compile error."""
    if any(words in tool_output for words in TOOL_FULL):
        named = _TOOL_FULL_PATH.search(tool_output)       # "error writing to /tmp/cc1.s: No space ..."
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), named[1] if named else str(folder))


def _size_below(folder: Path, files: Iterable[str] | None = None) -> int:
    paths = (folder / f for f in files) if files is not None else folder.rglob("*")
    total = 0
    for p in paths:
        try:
            total += p.lstat().st_size if p.is_file() else 0
        except OSError:
            pass
    return total


def _inside(path: str | None, out: Path) -> bool:
    return bool(path) and Path(os.path.abspath(path)).is_relative_to(out.absolute())


def _write_error(out: Path, stage: Path, found: Existing, e: OSError) -> TinygenError:
    """An OS error while the build wrote into its staging folder (or compiled there); a full
    disk elsewhere (the compiler's temporary files) names that place."""
    if e.filename and not _inside(e.filename, out):
        return _os_error("write to", Path(e.filename), e)
    written = _size_below(stage)
    earlier = _size_below(out, found.files) if found.files else 0
    return _os_error("write to the output directory", out, e, written, max(written, earlier))


def _about(e: OSError, out: Path) -> bool:
    """An OS error of the build's writing: a full disk, or any error on a path inside `out`."""
    return e.errno in FULL or _inside(e.filename, out)


def _ours(name: str) -> bool:
    return name.startswith((STAGE_PREFIX, ASIDE_PREFIX)) or name == LOCK


def read_existing(out: Path) -> Existing:
    """What is in `out` now (nothing is changed)."""
    if not out.exists() and not out.is_symlink():
        return Existing(exists=False)
    if not out.is_dir():
        raise TinygenError(f"output path {str(out)!r} exists and is not a directory", OTHER_OUTPUT)
    try:
        names = [n for n in os.listdir(out) if not _ours(n)]
    except OSError as e:
        raise _os_error("read the output directory", out, e) from None
    found = Existing(exists=True, user_entries=len(names))
    manifest = out / MANIFEST
    if MANIFEST in names and manifest.is_file():
        try:
            data = json.loads(manifest.read_text())
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict) and "tinygen_version" in data:
            found.tinygen = True
            listed = data.get("files")
            if isinstance(listed, list) and all(isinstance(f, str) for f in listed):
                found.files = {f for f in listed if _safe_relative(f)}
    return found


def _safe_relative(rel: str) -> bool:
    """A manifest entry that stays inside the folder (a hand-edited manifest cannot point outside)."""
    parts = Path(rel).parts
    return bool(parts) and not Path(rel).is_absolute() and ".." not in parts


def check_output(out: str | Path, force: bool = False, keep: Iterable[str | Path] = ()) -> Existing:
    """Refuse an output folder tinygen may not write into (see the module docstring)."""
    out = Path(out)
    found = read_existing(out)
    if found.exists and found.user_entries and not found.tinygen and not force:
        raise TinygenError(f"output directory {str(out)!r} is not empty and is not a tinygen build "
                           f"(no {MANIFEST}); tinygen writes only into an empty folder or one it built",
                           f"{OTHER_OUTPUT}, or pass --force to write tinygen's files beside yours "
                           "(none of yours is replaced)")
    probe = out if found.exists else next((p for p in out.absolute().parents if p.exists()), None)
    if probe is not None and not probe.is_dir():
        raise TinygenError(f"cannot create the output directory {str(out)!r}: {str(probe)!r} is a file",
                           OTHER_OUTPUT)
    if probe is not None and not os.access(probe, os.W_OK | os.X_OK):
        raise TinygenError(f"cannot write to {str(probe)!r}: permission denied", OTHER_OUTPUT)
    for path in keep:
        path = Path(path)
        if path.exists() and out.exists() and path.resolve() == out.resolve():
            raise TinygenError(f"the output directory {str(out)!r} is an input of this build", OTHER_OUTPUT)
    _try_write(out)
    return found


def _mkdir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TinygenError(f"cannot create the output directory {str(out)!r}: {e.strerror or e}",
                           OTHER_OUTPUT) from None


def _try_write(out: Path) -> None:
    """Create `out` and a hidden folder in it, then remove both again: the permission bits
    say yes to root, and /proc or a read-only mount say no only when tried."""
    created = [p for p in reversed([out.absolute(), *out.absolute().parents]) if not p.exists()]
    try:
        _mkdir(out)
        try:
            os.rmdir(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=out))
        except OSError as e:
            raise _os_error("write to the output directory", out, e) from None
    finally:
        remove_created(created)


def _files_below(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def _folders_of(rel: str) -> list[str]:
    """The folders a relative posix path (of a file below the stage) lies in, outermost first: a/b/c -> a, a/b."""
    parts = rel.split("/")[:-1]
    return ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]


def _conflicts(out: Path, new_files: list[str], found: Existing, keep: set[Path]) -> list[str]:
    """New files that would replace something that is not tinygen's."""
    bad = []
    for rel in new_files:
        target = out / rel
        if not (target.exists() or target.is_symlink()):
            # a user's file where a folder of ours must go (tinygen/ a file, say): the nearest
            blocker = next((d for d in reversed(_folders_of(rel)) if (out / d).is_file()), None)
            if blocker is not None:
                bad.append(blocker)
            continue
        if target.resolve() in keep:
            bad.append(rel)
        elif target.is_dir() and not target.is_symlink():
            bad.append(rel)
        elif found.files is not None:
            if rel not in found.files:
                bad.append(rel)
        elif not found.tinygen:
            bad.append(rel)
    return sorted(set(bad))


def _record_files(stage: Path, new_files: list[str]) -> None:
    """The list of what this build wrote, in its manifest, for the next build to replace."""
    manifest = stage / MANIFEST
    if manifest.is_file():
        data = json.loads(manifest.read_text())
        data["files"] = new_files
        manifest.write_text(json.dumps(data, indent=2) + "\n")


def _remove_empty_dirs(root: Path, dirs: Iterable[Path]) -> None:
    """Remove the given folders below root that are empty, deepest first (never root)."""
    for d in sorted(set(dirs), key=lambda p: len(p.parts), reverse=True):
        if d != root and root in d.parents:
            try:
                d.rmdir()
            except OSError:
                pass


def _commit(out: Path, stage: Path, found: Existing, keep: set[Path]) -> None:
    """Move the staged files into `out`, setting the earlier build's aside and dropping
    them only when every new file is in place; on failure put everything back."""
    new_files = [f for f in _files_below(stage)]
    if MANIFEST in new_files:
        _record_files(stage, new_files)
    bad = _conflicts(out, new_files, found, keep)
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise TinygenError(f"the build would replace files in {str(out)!r} that tinygen did not write: {shown}",
                           f"{OTHER_OUTPUT}, or move those files away")
    old = sorted(f for f in (found.files if found.files is not None else set(new_files) if found.tinygen else ())
                 if (out / f).is_file() or (out / f).is_symlink())
    try:
        aside = Path(tempfile.mkdtemp(prefix=ASIDE_PREFIX, dir=out))
    except OSError as e:
        raise _os_error("write to the output directory", out, e) from None
    moved_old: list[str] = []
    moved_new: list[str] = []
    created: list[Path] = []
    try:
        for rel in old:
            (aside / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(out / rel, aside / rel)
            moved_old.append(rel)
        for rel in new_files:
            target = out / rel
            missing = [out / d for d in _folders_of(rel) if not (out / d).exists()]
            target.parent.mkdir(parents=True, exist_ok=True)
            created += missing
            os.replace(stage / rel, target)
            moved_new.append(rel)
    except OSError as e:
        for rel in reversed(moved_new):
            try:
                os.replace(out / rel, stage / rel)
            except OSError:
                pass
        for rel in reversed(moved_old):
            try:
                os.replace(aside / rel, out / rel)
            except OSError:
                pass
        _remove_empty_dirs(out, created)
        shutil.rmtree(aside, ignore_errors=True)
        raise _os_error("write to the output directory", out, e) from None
    shutil.rmtree(aside, ignore_errors=True)
    dropped = set(old) - set(new_files)
    _remove_empty_dirs(out, [p for rel in dropped for p in (out / rel).parents])


@contextmanager
def staged_output(out: str | Path, force: bool = False, keep: Iterable[str | Path] = ()) -> Iterator[Path]:
    """A fresh hidden folder inside `out` to build into; its files land in `out` only
    if the block succeeds (see the module docstring for what is replaced)."""
    out = Path(out)
    keep_paths = {Path(p).resolve() for p in keep}
    with output_lock(out):
        found = check_output(out, force, keep)
        created = [p for p in reversed([out.absolute(), *out.absolute().parents]) if not p.exists()]
        stage = None
        try:
            _mkdir(out)
            try:
                stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=out))
            except OSError as e:
                raise _os_error("write to the output directory", out, e) from None
            try:
                yield stage
                _commit(out, stage, found, keep_paths)
            except OSError as e:
                if not _about(e, out):
                    raise
                raise _write_error(out, stage, found, e) from None
        except BaseException:
            if stage is not None:
                shutil.rmtree(stage, ignore_errors=True)
                stage = None
            remove_created(created)
            raise
        finally:
            if stage is not None:
                shutil.rmtree(stage, ignore_errors=True)


__all__ = ["ASIDE_PREFIX", "Existing", "MANIFEST", "STAGE_PREFIX", "check_output", "raise_if_no_space", "read_existing",
           "staged_output"]
