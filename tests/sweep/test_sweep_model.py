"""A sweep point's PyTorch model (tinygen.sweep.model): per-layer weight quantizers swapped
in, filters pruned by L1 magnitude (with the batch norm reading them), and the short QAT
fine-tuning that wins back what pruning cost, deterministically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tinygen.errors import UsageError
from tinygen.frontend.torch_loader import permanent_pruning
from tinygen.nn import QConv2d, QLinear
from tinygen.sweep.model import load_module, mac_layers, point_model, saved_point

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "lowbit" / "float_digits.py"
DATA = load_module(ROOT / "examples" / "sweep" / "digits_data.py")


def accuracy(net) -> float:
    x, y = DATA.test_set()
    with torch.no_grad():
        return float((net(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


@pytest.fixture(scope="module")
def module():
    return load_module(MODEL)


def test_sweep_model_quantizers_and_pruning(module):
    calib = module.calibration_data()
    net = point_model(module, {"3": "uniform:4", "10": "binary"}, {"3": 0.5}, calib)
    assert list(mac_layers(module.model())) == ["0", "3", "6", "10"]
    assert net[3].weight_quant.kind == "uniform" and net[3].weight_quant.bits == 4
    assert net[10].weight_quant.kind == "binary" and isinstance(net[10], QLinear)
    assert isinstance(net[0], QConv2d) and net[0].weight_quant.kind == "int8"
    state = permanent_pruning(net).state_dict()
    zero = state["3.weight"].flatten(1).abs().sum(1) == 0
    assert int(zero.sum()) == 32                             # half of conv 3's 64 filters
    assert torch.all(state["4.weight"][zero] == 0) and torch.all(state["4.bias"][zero] == 0)
    kept = state["3.weight"].flatten(1).abs().sum(1)[~zero].min()
    dense = module.model()[3].weight.detach().flatten(1).abs().sum(1)
    assert kept >= dense.sort().values[32] - 1e-6           # the smallest L1 norms went


def test_sweep_model_depthwise_stays_int8(module):
    from torch import nn

    from tinygen.sweep.model import _swap

    net = nn.Sequential(nn.Conv2d(4, 4, 3, groups=4))
    with pytest.raises(UsageError, match="layer 0 is a depthwise conv: it stays int8"):
        _swap(net, "0", "uniform:4")


def test_sweep_model_finetune_recovers_pruning_deterministically(module, tmp_path):
    calib = module.calibration_data()
    ratios = {"3": 0.5, "6": 0.5}
    plain = accuracy(point_model(module, {}, ratios, calib))
    train = DATA.train_set()
    tuned = [point_model(module, {}, ratios, calib, train, {"epochs": 1, "lr": 1e-3}) for _ in range(2)]
    a, b = (permanent_pruning(t).state_dict() for t in tuned)
    assert all(torch.equal(a[k], b[k]) for k in a)            # the same weights in every process
    assert accuracy(tuned[0]) > plain + 0.02, (plain, accuracy(tuned[0]))
    assert int((a["6.weight"].flatten(1).abs().sum(1) == 0).sum()) == 32   # pruned filters stay zero
    torch.save(a, tmp_path / "model.pt")
    again = saved_point(MODEL, {}, tmp_path / "model.pt")
    assert accuracy(again) == accuracy(tuned[0])
    np.testing.assert_array_equal(again[6].weight.detach().numpy(), a["6.weight"].numpy())


def test_sweep_point_failure_is_a_row_with_its_reason(tmp_path, monkeypatch):
    """A point that cannot compile (CMSIS-NN kernels without a CMSIS-NN tree) comes back as a
    failed row naming the reason; nothing is raised, so the sweep goes on."""
    from tinygen.sweep.point import run_point

    monkeypatch.delenv("CMSIS_NN_PATH", raising=False)
    ctx = {"model": str(MODEL), "data": f"{ROOT / 'examples' / 'sweep' / 'digits_data.py'}:test_set",
           "train": None, "calib": None, "finetune": None, "samples": 1, "seed": 0, "cache": str(tmp_path),
           "identity": "test", "layers": ["0", "3", "6", "10"]}
    row = run_point({"bits:3": "uniform:4", "kernels": "cmsis-nn", "board": "f746zg"}, ctx)
    assert row["status"] == "failed" and "CMSIS-NN" in row["reason"] and "\n" not in row["reason"]
    assert row["accuracy"] is None and set(row["timing"]) >= {"train"}


def test_sweep_point_calibration_is_one_array_of_the_input_shape(module):
    """The point's calibration set is the model file's calibration_data(): one float array of
    the model's input shape per sample (not split per dimension as if each were an input)."""
    from tinygen.sweep.point import _calibration

    calib = _calibration({"calib": None}, module)
    want = np.asarray(module.calibration_data())
    assert isinstance(calib, np.ndarray) and calib.shape == want.shape
    assert calib.shape[1:] == np.asarray(module.example_input()).shape[1:]
    np.testing.assert_array_equal(calib, want.astype(calib.dtype))


@pytest.mark.slow
def test_sweep_point_switchable_storage_runs_on_the_standin(tmp_path):
    """A switchable-precision model is swept by its storage: the point compiles it as
    `tinygen build --storage separate` does and runs it bit-exact on the f746zg stand-in."""
    from tinygen.sweep.point import build_args, run_point

    model = ROOT / "examples" / "switchable" / "sp_digits.py"
    ctx = {"model": str(model), "data": f"{ROOT / 'examples' / 'sweep' / 'digits_data.py'}:test_set",
           "train": None, "calib": None, "finetune": None, "samples": 2, "seed": 0, "cache": str(tmp_path),
           "identity": "test", "layers": []}
    params = {"storage": "separate", "kernels": "tinygen", "board": "f746zg"}
    row = run_point(params, ctx)
    assert row["status"] == "ok", row["reason"]
    assert row["bit_exact"] == "2/2" and row["accuracy"] > 0.9 and row["instructions"] > 0
    assert build_args("model.py", params, None)[-2:] == ["--storage", "separate"]
