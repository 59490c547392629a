"""The reference with the device's own C library: a float model's kernels that call expf,
tanhf, logf... (tinygen.kernels.float_table.LIBM_FUNCTIONS) get, on a device, what its libm
rounds them to, and C libraries round some inputs differently (newlib on a Cortex-M, glibc on
a Linux host: benchmarks/libm_agreement.py). The numpy reference calls these functions through
a table (tinygen.ref.float32_nonlinear.LIBM, use_libm); here that table asks the device for
every value it needs (`tg libm`, firmware/libm/tg_libm_cmd.c), so that `tinygen hil` compares
the device with the reference bit for bit again.

    libm = device_libm(dev, board, manifest)        # None: the host board, or no such kernels
    with use_libm(libm.functions()):
        libm.prefetch(lambda: reference_runs(graph, inputs))   # most values in a few requests
        run = run_samples(dev, graph, inputs)                  # the rest asked as they come
    libm.summary()      # {"functions": [...], "asked": N, "rounded_differently": M, "requests": R}
"""

from __future__ import annotations

import numpy as np

from tinygen.board import Board
from tinygen.hil.client import Device
from tinygen.hil.session import carries_state
from tinygen.ref.float32_nonlinear import host_libm
from tinygen.ref.interpreter import run

F32 = np.float32


class DeviceLibm:
    """The device's C library functions `names`, value by value: asked once (`tg libm`, in
    requests of at most `request_bytes`), then remembered by input bit pattern."""

    def __init__(self, dev: Device, names: list[str], request_bytes: int):
        self.dev = dev
        self.names = tuple(names)
        self.per_request = max(request_bytes // 4, 1)
        self.known: dict[str, dict[int, int]] = {name: {} for name in self.names}
        self.host = {name: host_libm(name) for name in self.names}
        self.deferred: dict[str, set[int]] | None = None     # prefetch: inputs noted, not asked yet
        self.requests = 0
        self.differ = 0         # values the device rounds unlike this computer's libm

    def ask(self, name: str, bits) -> None:
        """The device's `name` of the float32 bit patterns `bits` (not known yet), remembered."""
        todo = np.array(sorted(set(int(b) for b in bits) - self.known[name].keys()), np.uint32)
        for start in range(0, todo.size, self.per_request):
            chunk = todo[start:start + self.per_request]
            got = np.frombuffer(self.dev.libm(name, chunk.astype("<u4").tobytes()), "<u4")
            self.requests += 1
            here = self.host[name](chunk.view(F32)).view(np.uint32)
            self.differ += int(np.count_nonzero(got != here))
            self.known[name].update(zip(chunk.tolist(), got.tolist()))

    def _values(self, name: str, x) -> np.ndarray:
        x = np.asarray(x, F32)
        bits = x.ravel().view(np.uint32)
        table = self.known[name]
        missing = {b for b in bits.tolist() if b not in table}
        if missing and self.deferred is None:
            self.ask(name, missing)
            missing = set()
        if missing:     # prefetching: this computer's value stands in until the device's is asked
            self.deferred[name] |= missing
            guess = self.host[name](x).ravel().view(np.uint32).tolist()
            out = [table.get(b, g) for b, g in zip(bits.tolist(), guess)]
        else:
            out = [table[b] for b in bits.tolist()]
        return np.array(out, np.uint32).view(F32).reshape(x.shape)

    def functions(self) -> dict:
        """For tinygen.ref.float32_nonlinear.use_libm: each function, float32 array -> array."""
        return {name: (lambda x, name=name: self._values(name, x)) for name in self.names}

    def prefetch(self, compute) -> None:
        """Run `compute` (the reference over the samples, from scratch) once, noting the values it
        needs, and ask the device for them in as few requests as fit: the real run then asks only
        for those that the device's own roundings lead to."""
        self.deferred = {name: set() for name in self.names}
        try:
            compute()
            noted = self.deferred
        finally:
            self.deferred = None
        for name, bits in noted.items():
            self.ask(name, bits)

    def summary(self) -> dict:
        return {"functions": list(self.names), "asked": sum(len(t) for t in self.known.values()),
                "rounded_differently": self.differ, "requests": self.requests}


def device_libm(dev: Device, board: Board, manifest: dict) -> DeviceLibm | None:
    """The device's libm for the reference where it may not be this computer's: a board's or
    stand-in's firmware whose kernels call libm (the manifest's "libm"). None on the host board
    (the same C library both sides) or without such kernels; a firmware without `tg libm` (built
    by an older tinygen) raises DeviceError."""
    if board.build == "host" or not manifest.get("libm"):
        return None
    names, request_bytes = dev.libm_functions()
    return DeviceLibm(dev, names, request_bytes)


def reference_runs(graph, inputs) -> list[dict]:
    """The reference over the samples as run_samples computes it (one sequence from the initial
    state where a recurrent state carries over)."""
    state = {} if carries_state(graph) else None
    return [run(graph, inputs[i], state=state) for i in range(len(inputs))]


def summary_text(summary: dict) -> str:
    """The report's line: which functions came from the device, how many values."""
    fns = "/".join(summary["functions"])
    return (f"reference computed with the device's {fns}: {summary['asked']} values asked in {summary['requests']} "
            f"requests, {summary['rounded_differently']} rounded unlike this computer's libm")


__all__ = ["DeviceLibm", "device_libm", "reference_runs", "summary_text"]
