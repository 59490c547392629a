"""A GRU keyword spotter: one nn.GRU over the 49 MFCC frames, its last step classified.

The DS-CNN's input and classes (examples/kws/_kws.py: [1, 1, 49, 10] from tinygen's MFCC
front end, 12 classes), so that `--frontend mfcc`, `tinygen listen` and `tinygen hil
--data` take it as they take the DS-CNN:

    flatten the channel away      [1, 1, 49, 10] -> [1, 49, 10]   (frames x MFCCs)
    GRU 10 -> H, batch first      the last step only: y[:, -1]    -> [1, H]
    linear H -> 12, softmax

int8 by tinygen's post-training quantization (the GRU in the LSTM's integer conventions,
docs/models.md "Recurrent models and streaming state"), calibrated on the 64 training clips'
features stored with the weights.

    python examples/kws/gru_kws.py      # trains (needs espeak-ng), saves gru_kws.pt, prints its accuracy
    tinygen build examples/kws/gru_kws.py --board f746zg --frontend mfcc
"""

from pathlib import Path

import torch
from torch import nn

import _kws

HIDDEN = 64
EPOCHS, LR = 30, 3e-3


class GruKws(nn.Module):
    def __init__(self, hidden: int = HIDDEN):
        super().__init__()
        self.gru = nn.GRU(10, hidden, batch_first=True)

    def forward(self, x):
        y, _ = self.gru(x.flatten(1, 2))
        return y[:, -1]


def gru_net(hidden: int = HIDDEN) -> nn.Sequential:
    """The net; the last module is the softmax (training uses the logits before it)."""
    torch.manual_seed(0)
    return nn.Sequential(GruKws(hidden), nn.Dropout(0.1), nn.Linear(hidden, _kws.CLASSES), nn.Softmax(dim=1))


model, example_input, calibration_data = _kws.model_file_functions(gru_net, __file__)


def main() -> None:
    """Train (seeded, one thread: _kws.train), save gru_kws.pt, print the eval accuracy on the
    test clips (benchmarks/kws_recurrent.py measures the compiled model beside the DS-CNN)."""
    net, seconds = _kws.train(gru_net(), EPOCHS, LR)
    path = _kws.save(net, __file__)
    print(f"gru: trained {EPOCHS} epochs in {seconds:.0f} s on one thread, saved {Path(path).name} "
          f"({path.stat().st_size / 1024:.0f} KB); eval accuracy {_kws.accuracy(net):.2%} on the test clips")


if __name__ == "__main__":
    main()
