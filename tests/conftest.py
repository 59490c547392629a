import pytest

from kernel_lib import KernelLib, build


@pytest.fixture(scope="session")
def kernels(tmp_path_factory) -> KernelLib:
    """The C kernels (and tg_requant.h helpers) compiled for the host, via ctypes."""
    return KernelLib(build(tmp_path_factory.mktemp("tg_kernels")))
