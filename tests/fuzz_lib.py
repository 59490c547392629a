"""Run seeded mutants (tests/fuzz_mutate.py) through `tinygen inspect` and `tinygen build --board
host` in the fork server (tests/fuzz_server.py: 1 GiB address space, a timeout), and every
mutant that builds through the sanitizers: its C compiled with -fsanitize=address,undefined and
run on 3 inputs. A mutant passes when each command either succeeds or refuses it in one line
(`tinygen CMD: error: ...`, exit status 1 or 2); a traceback, the memory limit, a timeout, a
signal, generated C that does not compile or a sanitizer report fails it.

Reproduce one seed (the mutant and the build are kept under build/fuzz/SEED/):

    PYTHONPATH=. .venv/bin/python tests/fuzz_lib.py 123
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fuzz_mutate import MODELS, ROOT, mutant, suffix

SERVER = Path(__file__).resolve().parent / "fuzz_server.py"
COMMAND_TIMEOUT = {"inspect": 60, "build": 120}
RUN_TIMEOUT = 30
SANITIZE_FLAGS = ["-std=c99", "-O0", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
                  "-fno-sanitize-recover=all", "-Wall", "-Wextra"]
SANITIZER_ENV = {"ASAN_OPTIONS": "detect_leaks=0:halt_on_error=1", "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
COMPILER_FAILED = "the C compiler failed on the generated project"
MEMORY_STATUS, TRACEBACK_STATUS = 99, 98        # fuzz_server's child statuses


def reproduce(seed: int) -> str:
    return f"PYTHONPATH=. .venv/bin/python tests/fuzz_lib.py {seed}"


class ForkServer:
    """tests/fuzz_server.py as a subprocess: one request at a time."""

    def __init__(self):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen([sys.executable, str(SERVER), *map(str, MODELS.values())], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env, cwd=ROOT)
        hello = json.loads(self.proc.stdout.readline())
        self.baseline = hello["baseline_bytes"]

    def run(self, argv: list[str], timeout: float) -> dict:
        self.proc.stdin.write(json.dumps({"argv": [str(a) for a in argv], "timeout": timeout}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"the fork server exited ({self.proc.wait()}) on tinygen {' '.join(map(str, argv))}")
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# mutation kinds whose failures the input validation (tinygen's checks of declared tensor sizes,
# quantization parameters, graph outputs, and ONNX's checker, axis, opset and kernel rules) owns
VALIDATION = {"scale": "quantization parameters", "zero_point": "quantization parameters",
              "quant_dim": "quantization parameters", "shape": "declared tensor sizes",
              "init_dims": "declared tensor sizes", "input_shape": "declared tensor sizes", "weights": "declared tensor sizes",
              "buffer_length": "declared tensor sizes", "graph_io": "graph outputs",
              "opset": "ONNX checker and rules", "attribute": "ONNX checker and rules",
              "op_type": "ONNX checker and rules", "node_input": "ONNX checker and rules"}

# ... and failures that show it whatever the mutation (a bit flip that hit a zero point)
VALIDATION_SIGNS = ((r"shift exponent \d+ is too large|_shift: values outside", "quantization parameters"),
                    (r"(_offset =|ZERO_POINT) -?\d{6,}", "quantization parameters"),
                    (r"Unable to allocate", "declared tensor sizes"))


@dataclass
class Outcome:
    seed: int
    name: str
    kind: str
    what: str
    accepted: bool = False
    refusals: list[str] = field(default_factory=list)
    failure: str | None = None

    @property
    def validation(self) -> str | None:
        """The input-validation category that should refuse this mutant, if its kind has one."""
        if self.kind in VALIDATION:
            return VALIDATION[self.kind]
        return next((what for sign, what in VALIDATION_SIGNS if re.search(sign, self.failure or "")), None)

    def describe(self) -> str:
        owner = f" [input validation: {self.validation}]" if self.validation else ""
        return (f"seed {self.seed} ({self.name}, {self.kind}: {self.what}){owner}: {self.failure}\n"
                f"    reproduce: {reproduce(self.seed)}")


def _command_failure(cmd: str, result: dict) -> str | None:
    """Why a command's result is not a success or a one-line refusal (None: it is one)."""
    err = result["err"]
    if result["timeout"]:
        return f"tinygen {cmd} hung (killed after {COMMAND_TIMEOUT[cmd]} s)"
    if result["signal"]:
        return f"tinygen {cmd} died of signal {result['signal']}"
    if result["rc"] == MEMORY_STATUS:
        return f"tinygen {cmd} ran out of its 1 GiB memory limit:\n{err[-1500:]}"
    if "Traceback" in err or result["rc"] == TRACEBACK_STATUS:
        return f"tinygen {cmd} raised a traceback:\n{err[-2500:]}"
    if COMPILER_FAILED in err:
        return f"tinygen {cmd}: the generated C does not compile:\n{err[-2500:]}"
    if result["rc"] == 0:
        return None
    lines = err.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith(f"tinygen {cmd}: error: ")), None)
    if result["rc"] not in (1, 2) or first is None:
        return f"tinygen {cmd} exited {result['rc']} without a one-line refusal:\n{err[-1500:]}"
    rest = [line for line in lines[first + 1:] if line.strip()]
    if len(rest) > 1 or (rest and not rest[0].startswith("  hint: ")):
        return f"tinygen {cmd} refused in more than one line (and a hint):\n{err[-1500:]}"
    return None


def refusal(cmd: str, err: str) -> str:
    return next((line for line in err.splitlines() if line.startswith(f"tinygen {cmd}: error: ")), "")


def _kernel_object(source: Path, headers: bytes, cache: Path) -> Path:
    """A kernel compiled with the sanitizers once per run, whatever the mutant (kernels depend
    on their own sources and headers only)."""
    key = hashlib.sha256(source.read_bytes() + headers + " ".join(SANITIZE_FLAGS).encode()).hexdigest()[:24]
    obj = cache / f"{source.stem}-{key}.o"
    if not obj.exists():
        _compile(["-c", str(source), "-o", str(obj), f"-I{source.parent}"], source.parent)
    return obj


def _compile(args: list[str], cwd: Path) -> None:
    proc = subprocess.run(["gcc", *SANITIZE_FLAGS, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise AssertionError(f"gcc -fsanitize failed on {args}:\n{proc.stderr[-2500:]}")


def _input_bytes(project: Path) -> int:
    manifest = json.loads((project / "tinygen.json").read_text())
    sizes = {"int8": 1, "uint8": 1, "int16": 2, "int32": 4, "float32": 4}
    return sum(int(np.prod(p["shape"])) * sizes.get(p.get("dtype", "int8"), 1) for p in manifest["inputs"])


def sanitize(project: Path, seed: int, cache: Path) -> str | None:
    """Compile the host project with ASan and UBSan and run it on 3 inputs (random, all 0x80,
    all 0x7f); the first sanitizer report or failed run, else None."""
    kernels = project / "tinygen" / "kernels"
    headers = b"".join(h.read_bytes() for h in sorted(kernels.glob("*.h")))
    cache.mkdir(parents=True, exist_ok=True)
    generated = b"".join(p.read_bytes() for p in [project / "model.h", project / "model.c", project / "weights.c",
                                                   *sorted(kernels.glob("*.c"))]) + headers
    clean = cache / f"clean-{hashlib.sha256(generated).hexdigest()[:24]}"
    if clean.exists():                  # the same C as a mutant checked before (a change it ignores)
        return None
    runner = project / "tg_runner_asan"
    try:
        objects = [str(_kernel_object(k, headers, cache)) for k in sorted(kernels.glob("*.c"))]
        _compile(["-I.", "-Itinygen/kernels", "model.c", "weights.c", "tinygen/host/tg_host_runner.c", *objects,
                  "-lm", "-o", str(runner)], project)
    except AssertionError as e:
        return str(e)
    size = _input_bytes(project)
    rng = np.random.default_rng(seed)
    env = dict(os.environ, **SANITIZER_ENV)
    for data in (rng.integers(0, 256, size, dtype=np.uint8).tobytes(), b"\x80" * size, b"\x7f" * size):
        try:
            proc = subprocess.run([str(runner)], input=data, capture_output=True, env=env, timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"the sanitized runner hung (killed after {RUN_TIMEOUT} s)"
        err = proc.stderr.decode(errors="replace")
        if proc.returncode or re.search(r"runtime error|AddressSanitizer|UndefinedBehaviorSanitizer", err):
            return f"the sanitized runner failed (exit {proc.returncode}):\n{err[-2500:]}"
    clean.touch()
    return None


def check(server: ForkServer, seed: int, work: Path, cache: Path) -> Outcome:
    """Mutant `seed` through inspect, build and (if built) the sanitizers, under `work`."""
    name, kind, data, what = mutant(seed)
    out = Outcome(seed, name, kind, what)
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"{name}_{seed}{suffix(name)}"
    path.write_bytes(data)
    project = work / "build"
    build = ["build", path, "--board", "host", "-o", project, "--force", "-q"]
    for cmd, argv in (("inspect", ["inspect", path]), ("build", build)):
        result = server.run(argv, COMMAND_TIMEOUT[cmd])
        out.failure = _command_failure(cmd, result)
        if out.failure:
            return out
        if result["rc"]:
            out.refusals.append(refusal(cmd, result["err"]))
        else:
            out.accepted = cmd == "build"
    if out.accepted:
        out.failure = sanitize(project, seed, cache)
    return out


def main(argv: list[str]) -> int:
    """Run the seeds named on the command line, keeping their files under build/fuzz/SEED/."""
    server = ForkServer()
    failed = 0
    try:
        for seed in map(int, argv):
            work = ROOT / "build" / "fuzz" / str(seed)
            o = check(server, seed, work, ROOT / "build" / "fuzz" / "objects")
            verdict = "accepted" if o.accepted else "refused: " + " / ".join(o.refusals)
            print(f"seed {seed}: {o.name}, {o.kind}: {o.what}\n  {o.failure or verdict}\n  files: {work}")
            failed += o.failure is not None
    finally:
        server.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
