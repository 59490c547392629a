"""`python -m tinygen` and the `tinygen` command (pyproject's console script points here, not at
tinygen.cli, whose imports take seconds): Ctrl-C at any moment, those imports included, ends
with "interrupted" on stderr and exit status 130, without a traceback."""

import signal
import sys

from tinygen.errors import exit_interrupted


def run() -> int:
    # while the commands load (torch: a second or more) a Ctrl-C ends the process at once: nothing
    # is written yet, and a KeyboardInterrupt raised there can land in importlib's callbacks,
    # which print it as "Exception ignored" and go on; then Python's own handler, for the
    # commands' clean-up (staging folders, the output lock)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, lambda signum, frame: exit_interrupted())
    try:
        from tinygen.cli import main

        signal.signal(signal.SIGINT, signal.default_int_handler) \
            if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN else None
        return main()
    except KeyboardInterrupt:
        exit_interrupted()
        return 130

if __name__ == "__main__":
    sys.exit(run())
