"""The compile flags that every build of a model's C passes, whichever build file runs it: the
firmware's Makefile, CMakeLists.txt and platformio.ini, the ESP-IDF component, the host
Makefile. Each of them takes its flags from here (tests/build/test_build_flags.py parses the
generated files and compares), so that no build silently runs other kernel code:

- `-ffp-contract=off`: `a * b + c` rounded twice, as the reference computes it. ISO C modes
  (`-std=c99`) already default to it; GNU modes (PlatformIO's and ESP-IDF's `-std=gnu11`)
  would fuse it into one rounding where the core has a multiply-add (the float32 kernels).
- the kernels' per-build switches (switch_flags): the sign's ADD left out
  (tinygen.codegen.sign_add), the low-bit kernels' finer bias left out (tinygen.codegen.bias_shift),
  and the kx1 kernel's cases (tinygen.codegen.kx1_cases).

A library build (`--library`) writes the switches into NAME_config.h instead, for a user's own
flags (tinygen.build.library)."""

from __future__ import annotations

from tinygen.codegen.bias_shift import bias_shift_flags
from tinygen.codegen.kx1_cases import kx1_case_flags
from tinygen.codegen.sign_add import sign_add_flags
from tinygen.ir import Graph

FP_CONTRACT_OFF = "-ffp-contract=off"


def switch_flags(graph: Graph) -> tuple[str, ...]:
    """The kernels' per-build switches that leave a code path out (-D<NAME>=0), kx1's cases apart."""
    return sign_add_flags(graph) + bias_shift_flags(graph)


def model_flags(graph: Graph) -> tuple[str, ...]:
    """The flags every build file of `graph`'s C passes, besides the target's own."""
    return (FP_CONTRACT_OFF,) + switch_flags(graph) + kx1_case_flags(graph)


__all__ = ["FP_CONTRACT_OFF", "model_flags", "switch_flags"]
