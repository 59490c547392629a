"""The model id (tinygen/model_id.py): what profile% answers as m-model-[ID], the id
benchmark runners pick their test by. --model-id, the MLPerf Tiny reference models
recognised by sha256, the model's name otherwise; checked, carried into model.h, the
manifest and the firmware's answers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from _protocol import PipeDevice, field
from mlperf_models import MLPERF_DIR, NAMES, mlperf_model
from tinygen.board import get_board
from tinygen.cli import main
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import UsageError
from tinygen.model_id import (FORBIDDEN, MAX_LENGTH, MLPERF_TINY_MODELS, check_model_id, default_model_id,
                              mlperf_tiny_id, resolve_model_id)

ROOT = Path(__file__).resolve().parent.parent
MLP = ROOT / "examples" / "models" / "mlp.py"


def test_model_id_accepts_printable_ids():
    for text in ("kws01", "a" * MAX_LENGTH, "my-model_v2.1", "x!#$&'()*+-./:;<=>?@^_`{|}~"):
        assert check_model_id(text) == text


@pytest.mark.parametrize("text, says", [
    ("", "--model-id is empty"),
    ("a" * (MAX_LENGTH + 1), f"has {MAX_LENGTH + 1} characters, more than {MAX_LENGTH}"),
    ("kws 01", "'kws 01' has a space at position 4"),
    ("kws]01", "has ']' at position 4"),
    ("kws01%", "has '%' at position 6"),
    ("[kws01", "has '[' at position 1"),
    ("kws,01", "has ',' at position 4"),
    ('kws"01', "has '\"' at position 4"),
    ("kws\\01", "has '\\\\' at position 4"),
    ("kws\t01", "has '\\t' at position 4"),
    ("kws\x0001", "has '\\x00' at position 4"),
    ("kwsé01", "has 'é' at position 4"),
])
def test_model_id_refuses_what_the_protocol_cannot_carry(text, says):
    with pytest.raises(UsageError) as err:
        check_model_id(text)
    assert says in err.value.message and "\n" not in err.value.message
    assert f"1 to {MAX_LENGTH} printable ASCII characters" in err.value.hint and "--model-id" in err.value.hint


def test_model_id_default_from_a_name():
    assert default_model_id("kws_dscnn_int8") == "kws_dscnn_int8"
    assert default_model_id("my model [v2], 100%") == "my_model__v2___100_"
    assert default_model_id("") == "model"
    assert len(default_model_id("m" * 100)) == MAX_LENGTH
    assert all(check_model_id(default_model_id(name)) for name in ("a b", "é", "%", FORBIDDEN))


def test_model_id_mlperf_tiny_references_by_sha256():
    """The constants agree with examples/mlperf-tiny/README.md's table and the files' bytes."""
    table = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(
        r"^\| (\S+\.tflite) \| (\w+) \| \S+ \| ([0-9a-f]{64}) \|$", (MLPERF_DIR / "README.md").read_text(), re.M)}
    assert len(table) == len(NAMES) == len(MLPERF_TINY_MODELS)
    for name in NAMES:
        path = mlperf_model(name)
        mlperf_id, sha = table[path.name]
        assert MLPERF_TINY_MODELS[sha] == mlperf_id == mlperf_tiny_id(path)
        assert resolve_model_id(None, path, "anything")[0] == mlperf_id
        assert resolve_model_id("mine", path, "anything") == ("mine", "given by --model-id")


def test_model_id_not_a_reference(tmp_path):
    changed = tmp_path / "kws_dscnn_int8.tflite"
    data = bytearray(mlperf_model("kws_dscnn").read_bytes())
    data[-1] ^= 1
    changed.write_bytes(bytes(data))
    assert mlperf_tiny_id(changed) is None
    assert resolve_model_id(None, changed, "kws_dscnn_int8") == ("kws_dscnn_int8", "the model's name")
    assert mlperf_tiny_id(MLP) is None and mlperf_tiny_id(tmp_path / "missing.tflite") is None


def test_model_id_cli_refuses_a_bad_id_before_compiling(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["build", str(MLP), "--board", "host", "-o", str(out), "-q", "--model-id", "kws 01"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("tinygen build: error: model id 'kws 01' has a space at position 4, which profile% "
                      "cannot carry inside m-model-[...]")
    assert err[1].startswith("  hint: use 1 to 64 printable ASCII characters") and len(err) == 2
    assert not out.exists()


def answers(project: Path) -> tuple[list[str], dict[str, str]]:
    """profile% and tg info of a host build's tg_device."""
    dev = PipeDevice(project / "tg_device")
    try:
        dev.client.read_reply()
        profile = dev.client.command("profile")
        (info,) = dev.client.command("tg info")
    finally:
        dev.close()
    return profile, dict(kv.split("=", 1) for kv in field(info, "m-tg-info-").split(","))


def test_model_id_cli_build_carries_it_host(tmp_path, capsys):
    out = tmp_path / "mlp"
    assert main(["build", str(MLP), "--board", "host", "-o", str(out), "--model-id", "ic01"]) == 0
    assert "model id ic01 (given by --model-id): profile% answers m-model-[ic01]" in capsys.readouterr().out
    manifest = (out / "tinygen.json").read_text()
    assert '"model_id": "ic01"' in manifest and '"model_id_source": "given by --model-id"' in manifest
    assert '#define TG_MODEL_ID "ic01"' in (out / "model.h").read_text()
    profile, info = answers(out)
    assert profile[1] == "m-model-[ic01]" and info["id"] == "ic01" and info["model"] == "mlp"


def test_model_id_reference_model_renamed_still_kws01_host(tmp_path):
    """Recognised by content: a renamed copy of the KWS reference model reports kws01."""
    renamed = tmp_path / "wake word.tflite"
    shutil.copyfile(mlperf_model("kws_dscnn"), renamed)
    source = load_source(renamed)
    result = build(source, compile_source(source), get_board("host"), tmp_path / "kws")
    assert result.manifest["model"] == "wake_word" and result.manifest["model_id"] == "kws01"
    assert result.manifest["model_id_source"] == "an MLPerf Tiny reference model, recognised by its sha256"
    profile, info = answers(tmp_path / "kws")
    assert profile == [f"m-profile-[tinygen {result.manifest['tinygen_version']}]", "m-model-[kws01]"]
    assert info["id"] == "kws01"
