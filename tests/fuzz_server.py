"""The fuzz test's fork server: imports tinygen (and numpy, onnx, tflite) once, then runs one
`tinygen` command per request in a forked child under a memory limit and a timeout, so a
mutant costs the command's own work, not the seconds of importing the libraries.

Requests and answers are JSON lines on stdin / stdout:

    {"argv": ["build", "m.tflite", "--board", "host", "-o", "out"], "timeout": 60}
    -> {"rc": 1, "signal": null, "timeout": false, "out": "...", "err": "...", "seconds": 0.4,
        "maxrss_kib": 91234}

The child puts itself in its own process group (a timeout kills make and the compilers too),
sets RLIMIT_AS to MEMORY_LIMIT (RLIMIT_AS, not RLIMIT_DATA: the server's own mappings, numpy's
and onnx's libraries included, take about 150 MiB of address space (BASELINE, 144 MiB measured), so a
1 GiB address-space limit leaves the command most of a gigabyte; the compilers inherit it),
sends its stdout and stderr (and those of the compilers it starts) to files, and runs
tinygen.cli.main. An exception that escapes main is printed as Python prints it, a
"Traceback" the test looks for; MemoryError exits with MEMORY_STATUS.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import tinygen.frontend.onnx.importer  # noqa: E402,F401  (loaded once here, not per mutant)
import tinygen.frontend.tflite.importer  # noqa: E402,F401
from tinygen.cli import main  # noqa: E402

MEMORY_LIMIT = 1 << 30
MEMORY_STATUS = 99          # the child ran out of its memory limit
TRACEBACK_STATUS = 98       # an exception escaped tinygen.cli.main


def _address_space() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) << 10
    return 0


BASELINE = _address_space()


def _child(argv: list[str], out: str, err: str) -> None:
    os.setpgid(0, 0)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    for fd, path, mode in ((0, os.devnull, os.O_RDONLY), (1, out, os.O_WRONLY), (2, err, os.O_WRONLY)):
        f = os.open(path, mode)
        os.dup2(f, fd)
        os.close(f)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    status = 0
    try:
        status = main(argv)
    except SystemExit as e:                 # argparse
        status = e.code if isinstance(e.code, int) else 2
    except MemoryError:
        traceback.print_exc()
        status = MEMORY_STATUS
    except BaseException:                   # noqa: BLE001 (reported, not handled)
        traceback.print_exc()
        status = TRACEBACK_STATUS
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run(argv: list[str], timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="tg-fuzz-") as tmp:
        out, err = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        for path in (out, err):
            open(path, "w").close()
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(argv, out, err)
        timed_out = False
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() - start > timeout:
                timed_out = True
                _kill_group(pid)
                done, status, usage = os.wait4(pid, 0)
                break
            time.sleep(0.005)
        _kill_group(pid)                    # anything the command left running
        with open(out, errors="replace") as f_out, open(err, errors="replace") as f_err:
            texts = f_out.read()[-20000:], f_err.read()[-20000:]
    return {"rc": os.waitstatus_to_exitcode(status), "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "timeout": timed_out, "out": texts[0], "err": texts[1], "seconds": round(time.monotonic() - start, 3),
            "maxrss_kib": usage.ru_maxrss}


def warm_up(models: list[str]) -> None:
    """Build each model here once: the modules that commands import when they run (passes,
    codegen, templates) are then loaded before the fork, and the kernels' objects are cached."""
    with tempfile.TemporaryDirectory(prefix="tg-fuzz-warm-") as tmp:
        for i, model in enumerate(models):
            with open(os.devnull, "w") as null:
                saved = sys.stdout, sys.stderr
                sys.stdout = sys.stderr = null
                try:
                    main(["inspect", model])
                    main(["build", model, "--board", "host", "-o", os.path.join(tmp, str(i)), "-q"])
                finally:
                    sys.stdout, sys.stderr = saved


def serve() -> None:
    warm_up(sys.argv[1:])
    print(json.dumps({"ready": True, "baseline_bytes": BASELINE}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps(run(request["argv"], float(request["timeout"]))), flush=True)


if __name__ == "__main__":
    serve()
