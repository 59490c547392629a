"""`python -m tinygen` and the `tinygen` command (pyproject's console script points here, not at
tinygen.cli, whose imports take seconds): Ctrl-C at any moment, those imports included, ends
with "interrupted" on stderr and exit status 130, without a traceback."""

import sys


def run() -> int:
    try:
        # imported here, inside the try: a Ctrl-C while torch and the commands load is caught too
        from tinygen.cli import main

        return main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(run())
