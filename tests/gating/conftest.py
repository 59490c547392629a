"""The gating tests' shared fixture: the gating kernels' library and parameter structs."""

from __future__ import annotations

import ctypes

import pytest
from kernel_lib import parse_structs

from tinygen.resources import firmware_path


@pytest.fixture(scope="module")
def gating_lib(kernels):
    structs = parse_structs(firmware_path("kernels/tg_kernels_gating.h").read_text())
    types = {name: type(name, (ctypes.Structure,), {"_fields_": fields}) for name, fields in structs.items()}
    return kernels.lib, types
