"""User-facing errors, and how a Ctrl-C ends the command line.

Every error a user can cause is a `TinygenError` with a message that says what
went wrong and what to do. The CLI prints it without a traceback and exits 1;
`UsageError` exits 2.
"""


import os
import sys


def exit_interrupted() -> None:
    """End the process after a Ctrl-C: "interrupted" on stderr, exit status 130, no traceback.
    os._exit, not a return: a Ctrl-C that crossed a C extension's PyRun_* call during an import
    (pybind11's exec in torch's) leaves CPython's "unhandled KeyboardInterrupt" flag set, and the
    interpreter would otherwise end by SIGINT (status -2) though the exception was handled."""
    print("interrupted", file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(130)


class TinygenError(Exception):
    """A problem with the user's model, data or environment (exit status 1)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class UsageError(TinygenError):
    """Wrong command-line usage (exit status 2)."""


class UnsupportedOpError(TinygenError):
    """The model uses an operator or pattern tinygen cannot compile."""


class ModelError(TinygenError):
    """The model or its data is invalid (shapes, NaN weights, empty calibration...)."""


class ToolchainError(TinygenError):
    """A compiler or tool needed for the build is missing or failed."""


class BoardFileError(UsageError):
    """A board file (boards/*.toml, or the user's --board FILE.toml) that tinygen cannot use:
    one line naming the file, the key and what is wrong."""
