"""`tinygen flash` and `tinygen hil` (registered by tinygen.cli)."""


def add_commands(sub, fmt) -> None:
    """Add the flash and hil sub-commands to the `tinygen` parser."""
