"""Hardware-in-the-loop: drive a tinygen firmware over its serial protocol,
on a real board (pyserial) or a QEMU stand-in (socket://)."""
