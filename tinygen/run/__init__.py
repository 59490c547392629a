"""Run built models: on the host (ctypes), later on emulated stand-ins and boards."""
