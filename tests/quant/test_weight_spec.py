"""--weights SPEC parsing (tinygen.quant.weight_spec)."""

import pytest

from tinygen.errors import UsageError
from tinygen.quant.weight_spec import DEFAULT_LUT_AXIS, WeightSpec, parse_weights


@pytest.mark.parametrize("text, spec", [
    (None, None),
    ("lut:4", WeightSpec(4, DEFAULT_LUT_AXIS, False)),
    ("lut:2:tensor", WeightSpec(2, "tensor", False)),
    ("lut:6:channel,huffman", WeightSpec(6, "channel", True)),
    ("huffman", WeightSpec(None, DEFAULT_LUT_AXIS, True)),
])
def test_parse(text, spec):
    assert parse_weights(text) == spec


@pytest.mark.parametrize("text", ["lut", "lut:1", "lut:7", "lut:x", "lut:4:row", "lut:4,lut:3", "zip", "lut:4,"])
def test_refused_in_one_line(text):
    with pytest.raises(UsageError) as e:
        parse_weights(text)
    assert "\n" not in e.value.message and e.value.hint
