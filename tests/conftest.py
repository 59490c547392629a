import pytest

from kernel_lib import KernelLib, build


@pytest.fixture(scope="session")
def kernels(tmp_path_factory) -> KernelLib:
    """The C kernels (and tg_requant.h helpers) compiled for the host, via ctypes."""
    return KernelLib(build(tmp_path_factory.mktemp("tg_kernels")))


def pytest_collection_modifyitems(config, items):
    """The slow (emulator, sweep) tests first, those marked slow(first=True) before the
    others, each group in its collected order, then the rest: under pytest-xdist's load
    scheduling the longest tests start early instead of one of them (the sweep's minutes)
    running alone at the end while the other workers sit idle."""
    def order(item):
        slow = item.get_closest_marker("slow")
        return (slow is None, slow is None or not slow.kwargs.get("first", False))

    items.sort(key=order)
