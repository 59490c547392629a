"""Compiled objects kept between builds: the fit check's flash probe (tinygen.build.code_size)
and the firmware build (tinygen.build.firmware) compile the same kernels, runtime and port
sources with the same compiler and flags, test after test and model after model.

    commands = compile_commands(project, "all")          # what `make -n -B all` would compile
    misses = restore(project, commands, store)           # cached objects put where make expects them
    ... make ...                                         # compiles the misses only, then links
    keep(project, misses, store)                         # make's new objects, for the next build

An object is cached (store/<key>.o) under the SHA-256 of the compiler, its first --version
line, the compile flags as the generated Makefile passes them (the dependency-file options
-MMD / -MP and the output name aside: they do not change the object; -D, -U and -I aside too:
they act through the preprocessed text, which is in the key), the source's
path in the project (the object's file symbol) and the translation unit preprocessed with those
flags: the source and every header it includes. No -g in the flags, so the folder compiled in
is not in the object. A changed source, header, flag or toolchain compiles again.

Direct lookups, as ccache's direct mode: preprocessing every translation unit of every build
costs more than the compiles it saves once the objects are cached. So the first preprocessing
of a command also records, under the SHA-256 of the compiler, its version, the flags, the
source's path, the object's and the source's bytes (store/<key>.deps.json), the object's key,
the .d list make would write and the SHA-256 of every header that .d names. A later build whose
headers all still have those bytes takes the key (and the .d) from there without running the
preprocessor; any header changed, gone or unreadable preprocesses again. (The .d lists the
project's and -I trees' headers, not the compiler's own, which its version stands for.)

The generated project is untouched: restore() only writes obj/<image>/<source>.o and its .d
(the dependency list make would write, from the same preprocessor run) after the sources were
written, so make finds them up to date and compiles the rest; `make` without tinygen builds
the same project from scratch. Anything restore() cannot do (a compiler that fails on the
source, a command it does not recognise, an object pruned meanwhile) is left to make, which
reports the error as before.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tinygen.resources import cache_dir

OBJECT_DIR = "objects"
OBJECT_CACHE_BYTES = 256 << 20
DEPS_SUFFIX = ".deps.json"          # a direct lookup's record, beside the objects
DEPS_CACHE_BYTES = 16 << 20
# a store is pruned when this process first stores into it, then once it has stored this many
# bytes there since it last pruned: a scan stats every file of the store (thousands: tens of ms),
# and every build stores a few objects. The store may so exceed its bound by this much per process.
PRUNE_SLACK_BYTES = 16 << 20
DEPS_ENTRIES = 8                    # header sets kept per record (other header versions), newest first
DEPENDENCY_FLAGS = ("-MMD", "-MP", "-MD")               # write a .d beside the object
DEPENDENCY_OPTIONS = ("-MF", "-MT", "-MQ")              # ... and take an argument
SOURCE_SUFFIXES = (".c", ".S")


# flags that act on the preprocessor only: what they change is in the preprocessed text
PREPROCESSOR_FLAGS = ("-D", "-U", "-I")


def cache_key(cc: str, version: str, flags: list[str], preprocessed: bytes) -> str:
    """SHA-256 of the compiler, its version, the flags (less those that act on the preprocessor
    only: a -D that changes nothing in a unit, such as a kernel's switch in another kernel's
    unit, leaves its object shared) and the preprocessed translation unit."""
    flags = [f for f in flags if not f.startswith(PREPROCESSOR_FLAGS)]
    h = hashlib.sha256()
    for part in (cc, version, "\0".join(flags)):
        h.update(part.encode() + b"\0\1")
    h.update(preprocessed)
    return h.hexdigest()


@functools.lru_cache(maxsize=None)
def compiler_version(cc: str) -> str:
    """The compiler's first --version line, asked once per process."""
    return subprocess.run([cc, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]


@dataclass(frozen=True)
class CompileCommand:
    """One `cc FLAGS -c -o OBJ SOURCE` line of the generated Makefile, paths relative to the project."""
    cc: str
    flags: tuple[str, ...]          # everything but -c, -o OBJ, the dependency options and SOURCE
    obj: str
    source: str

    def key(self, preprocessed: bytes) -> str:
        return cache_key(self.cc, compiler_version(self.cc), [*self.flags, self.source], preprocessed)


# a `make -n` line shlex.split splits as str.split does (every compile line of a generated Makefile)
_PLAIN = re.compile(r"[A-Za-z0-9_ \t=+,.:/@%-]*")


def parse_command(line: str) -> CompileCommand | None:
    """The compile command on a line of `make -n` output, or None (mkdir, link, objcopy, or a
    form not recognised: make runs those itself)."""
    if _PLAIN.fullmatch(line):
        argv = line.split()             # no quote, escape or other whitespace: shlex.split's words
    else:
        try:
            argv = shlex.split(line)
        except ValueError:
            return None
    if len(argv) < 5 or argv.count("-c") != 1 or argv.count("-o") != 1 or not argv[-1].endswith(SOURCE_SUFFIXES):
        return None
    flags, obj, rest = [], None, iter(argv[1:-1])
    for arg in rest:
        if arg == "-o":
            obj = next(rest, None)
        elif arg in DEPENDENCY_OPTIONS:
            next(rest, None)
        elif arg != "-c" and arg not in DEPENDENCY_FLAGS:
            flags.append(arg)
    if obj is None or not obj.endswith(".o") or any(not f.startswith("-") for f in flags):
        return None
    return CompileCommand(argv[0], tuple(flags), obj, argv[-1])


def compile_commands(project: Path, *args: str) -> list[CompileCommand]:
    """Every translation unit `make ARGS` (goals, VAR=value) compiles in `project`, as make would."""
    proc = subprocess.run(["make", "-C", str(project), "--no-print-directory", "-n", "-B", *args],
                          capture_output=True, text=True, check=True)
    return [c for c in map(parse_command, proc.stdout.splitlines()) if c is not None]


def preprocess(cmd: CompileCommand, project: Path, dep_file: Path | None = None) -> bytes:
    """The translation unit preprocessed with the command's flags; with `dep_file`, also the
    dependency list the command's -MMD -MP writes, for its object."""
    deps = ["-MMD", "-MP", "-MT", cmd.obj, "-MF", str(dep_file)] if dep_file is not None else []
    return subprocess.run([cmd.cc, *cmd.flags, "-E", "-P", *deps, cmd.source], cwd=project,
                          capture_output=True, check=True).stdout


def _digest(path: Path, memo: dict[Path, str] | None = None) -> str:
    """The file's SHA-256; with `memo`, each path read once (one build's lookups, during which its
    project's headers do not change: a header is named by most of a project's units)."""
    if memo is None:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = memo.get(path)
    if digest is None:
        digest = memo[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def _direct_name(cmd: CompileCommand, project: Path) -> str:
    """The direct lookup's record name: the command (flags, source, object) and the source's bytes."""
    h = hashlib.sha256()
    for part in (cmd.cc, compiler_version(cmd.cc), "\0".join(cmd.flags), cmd.source, cmd.obj):
        h.update(part.encode() + b"\0\1")
    h.update((project / cmd.source).read_bytes())
    return h.hexdigest() + DEPS_SUFFIX


def _headers(dep_text: str, source: str) -> list[str] | None:
    """The files make's .d makes the object depend on, the source aside; None where the list is
    not in the plain form gcc writes (a path with spaces)."""
    rule = dep_text.replace("\\\n", " ").split("\n", 1)[0]
    if ":" not in rule or "\\ " in rule:
        return None
    return [f for f in rule.split(":", 1)[1].split() if f != source]


def _direct_key(cmd: CompileCommand, project: Path, store: Path, dep_file: Path | None,
                memo: dict[Path, str] | None = None) -> str | None:
    """The object key recorded for the command where its headers are unchanged (writing the
    recorded .d to `dep_file`), else None."""
    try:
        entries = json.loads((store / _direct_name(cmd, project)).read_text())
        for entry in entries:
            if all(_digest(project / h, memo) == d for h, d in entry["headers"].items()):
                if dep_file is not None:
                    dep_file.write_text(entry["dep"])
                return entry["key"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass                            # no record, or one another process is writing: preprocess
    return None


def _record(cmd: CompileCommand, project: Path, store: Path, key: str, dep_text: str,
            memo: dict[Path, str] | None = None) -> None:
    """Keep what the preprocessing found for the next build's direct lookup (whole or not at all)."""
    try:
        headers = _headers(dep_text, cmd.source)
        if headers is None:
            return
        path = store / _direct_name(cmd, project)
        entry = {"key": key, "dep": dep_text, "headers": {h: _digest(project / h, memo) for h in headers}}
        try:
            old = [e for e in json.loads(path.read_text()) if e.get("key") != key]
        except (OSError, ValueError, AttributeError):
            old = []
        store.mkdir(parents=True, exist_ok=True)
        tmp = store / f"{path.name}.{uuid.uuid4().hex[:8]}.tmp"
        stored(store, tmp.write_text(json.dumps([entry, *old][:DEPS_ENTRIES])))
        os.replace(tmp, path)
    except OSError:
        return                          # a read-only or full cache: the next build preprocesses again


def object_key(cmd: CompileCommand, project: Path, store: Path, dep_file: Path,
               memo: dict[Path, str] | None = None) -> str:
    """The command's object key (writing its .d to `dep_file`): by direct lookup where its
    headers are unchanged, else by preprocessing, which is then recorded. `memo` keeps the
    headers' digests across the commands of one build (_digest)."""
    key = _direct_key(cmd, project, store, dep_file, memo)
    if key is None:
        key = cmd.key(preprocess(cmd, project, dep_file))
        _record(cmd, project, store, key, dep_file.read_text(), memo)
    return key


def _store_file(src: Path, obj: Path) -> None:
    """Copy src to obj whole or not at all, beside other builds writing the same object."""
    obj.parent.mkdir(parents=True, exist_ok=True)
    tmp = obj.parent / f"{obj.stem}.{uuid.uuid4().hex[:8]}.tmp"
    shutil.copyfile(src, tmp)
    os.replace(tmp, obj)


def source_object(cmd: CompileCommand, project: Path, store: Path, memo: dict[Path, str] | None = None) -> Path:
    """The command's object from `store`, compiled there first where it is not."""
    dep = project / f"{cmd.obj}.{uuid.uuid4().hex[:8]}.key.d"        # the .d is the build's, not the probe's
    dep.parent.mkdir(parents=True, exist_ok=True)
    try:
        obj = store / f"{object_key(cmd, project, store, dep, memo)}.o"
    finally:
        dep.unlink(missing_ok=True)
    if not obj.exists():
        store.mkdir(parents=True, exist_ok=True)
        tmp = store / f"{obj.stem}.{uuid.uuid4().hex[:8]}.tmp"
        subprocess.run([cmd.cc, *cmd.flags, "-c", cmd.source, "-o", str(tmp)], cwd=project, capture_output=True,
                       check=True)
        stored(store, tmp.stat().st_size)
        os.replace(tmp, obj)
    else:
        os.utime(obj)                   # recently used: the last to be pruned
    return obj


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system says, else all of them): the
    compiles run at once here, and the variants `--kernels auto` measures at once
    (tinygen.fit.variants), each a compile then an emulator."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:          # not Linux
        return os.cpu_count() or 1


def source_objects(commands: list[CompileCommand], project: Path, store: Path) -> list[Path]:
    """source_object() of every command, in order; up to one compile per usable CPU at once (each
    object is written under a name of its own, then renamed: see source_object)."""
    jobs = min(len(commands), usable_cpus())
    memo: dict[Path, str] = {}
    if jobs <= 1:
        return [source_object(cmd, project, store, memo) for cmd in commands]
    with ThreadPoolExecutor(jobs, thread_name_prefix="tinygen-objects") as pool:
        return list(pool.map(lambda cmd: source_object(cmd, project, store, memo), commands))


def restore(project: Path, commands: list[CompileCommand], store: Path) -> list[tuple[CompileCommand, str]]:
    """Put every cached object (and its .d) where make expects it; the commands left for make
    to compile, each with its key (for keep())."""
    misses, memo = [], {}
    for cmd in commands:
        target = project / cmd.obj
        target.parent.mkdir(parents=True, exist_ok=True)
        dep = target.with_suffix(".d")
        try:
            key = object_key(cmd, project, store, dep, memo)
        except (subprocess.CalledProcessError, OSError):
            dep.unlink(missing_ok=True)
            continue                    # make compiles it and reports what is wrong
        try:
            shutil.copyfile(store / f"{key}.o", target)     # a new file: newer than its sources
            os.utime(store / f"{key}.o")
        except OSError:
            dep.unlink(missing_ok=True)
            target.unlink(missing_ok=True)
            misses.append((cmd, key))
    return misses


def keep(project: Path, compiled: list[tuple[CompileCommand, str]], store: Path,
         limit: int = OBJECT_CACHE_BYTES) -> None:
    """Store the objects make compiled for restore()'s misses, then prune the store where it is due."""
    for cmd, key in compiled:
        try:
            _store_file(project / cmd.obj, store / f"{key}.o")
            stored(store, (store / f"{key}.o").stat().st_size)
        except OSError:
            continue                    # a read-only or full cache: the next build compiles it again
    if compiled:
        prune_due(store, limit)


# per store: the bytes this process has put there since it last pruned it (absent: never pruned)
_STORED: dict[str, int] = {}


def stored(store: Path, nbytes: int) -> None:
    """Count `nbytes` this process put in `store` (objects, direct-lookup records) towards its next prune."""
    key = str(store)
    if key in _STORED:
        _STORED[key] += nbytes


def prune_due(store: Path, limit: int = OBJECT_CACHE_BYTES) -> bool:
    """prune() the objects of `store` to `limit` and its direct-lookup records to DEPS_CACHE_BYTES
    where this process has not pruned it yet or has stored PRUNE_SLACK_BYTES there since; whether it did."""
    key = str(store)
    if _STORED.get(key, PRUNE_SLACK_BYTES) < PRUNE_SLACK_BYTES:
        return False
    prune(store, limit)
    prune(store, DEPS_CACHE_BYTES, f"*{DEPS_SUFFIX}")
    _STORED[key] = 0
    return True


def cached_make(project: Path, args: list[str], jobs: int, store: Path | None = None) -> subprocess.CompletedProcess:
    """`make ARGS` in `project` with the objects compiled before put in place first (restore) and
    the ones make compiled kept for the next build (keep); `store` defaults to the user cache's
    OBJECT_DIR. Anything the cache cannot do is left to make."""
    if store is None:
        store = cache_dir() / OBJECT_DIR
    try:
        misses = restore(project, compile_commands(project, *args), store)
    except (subprocess.CalledProcessError, OSError):
        misses = []                     # make compiles everything, as without a cache
    proc = subprocess.run(["make", "-C", str(project), f"-j{jobs}", *args], capture_output=True, text=True)
    if proc.returncode == 0:
        keep(project, misses, store)
    return proc


def prune(store: Path, limit: int = OBJECT_CACHE_BYTES, pattern: str = "*.o") -> list[Path]:
    """Remove the least recently used files matching `pattern` (the objects) of `store` until
    they hold at most `limit` bytes; the removed paths. Another process's file that vanishes
    meanwhile is skipped. One directory scan (os.scandir), a stat only for the names that
    match (the suite's store holds thousands of files; prune_due says when a scan is due)."""
    entries = []
    try:
        listing = os.scandir(store)
    except OSError:
        return []                       # no store yet (or not a folder): nothing to remove
    with listing:
        for entry in listing:
            if not fnmatch.fnmatchcase(entry.name, pattern):
                continue
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue
            entries.append((st.st_mtime_ns, entry.name, st.st_size, store / entry.name))
    total = sum(e[2] for e in entries)
    removed = []
    for _, _, size, path in sorted(entries):
        if total <= limit:
            break
        path.unlink(missing_ok=True)
        total -= size
        removed.append(path)
    return removed


__all__ = ["CompileCommand", "DEPS_SUFFIX", "OBJECT_CACHE_BYTES", "OBJECT_DIR", "cache_key", "cached_make",
           "compile_commands", "compiler_version", "keep", "object_key", "parse_command", "PRUNE_SLACK_BYTES",
           "preprocess", "prune", "prune_due", "restore", "source_object", "source_objects", "stored",
           "usable_cpus"]
