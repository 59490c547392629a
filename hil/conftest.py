"""Hardware-in-the-loop suites: the same tests against a real board, its QEMU
stand-in or the host process, chosen by options (see hil/README.md):

    pytest hil --board f746zg --emulate            # QEMU stand-in (mps2-an500)
    pytest hil --board f746zg --port /dev/ttyACM0  # the real board, firmware already flashed
    pytest hil --board f746zg --flash              # ... flashed first
    pytest hil                                     # the host's tg_device (default)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tinygen.hil.deadline import DEFAULT_TIMEOUT, TIMEOUT_HELP

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = ROOT / "examples" / "models" / "cnn.py"
MIN_SAMPLES = 20


def pytest_addoption(parser):
    g = parser.getgroup("tinygen hil", "hardware-in-the-loop target")
    g.addoption("--board", default="host", help="board name or alias (default: host)")
    g.addoption("--emulate", action="store_true", help="run on the board's QEMU stand-in")
    g.addoption("--port", default=None, help="serial port of the real board (default: the board file's port_hint)")
    g.addoption("--flash", action="store_true", help="flash the real board before the tests")
    g.addoption("--probe", default=None, help="flash tool for --flash (default: the board's first installed)")
    g.addoption("--model", default=str(DEFAULT_MODEL), help="model file (default: examples/models/cnn.py)")
    g.addoption("--samples", type=int, default=MIN_SAMPLES, help=f"inputs per test (at least {MIN_SAMPLES})")
    g.addoption("--device-timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                help=f"tinygen's --timeout: {TIMEOUT_HELP}")


def pytest_report_header(config):
    opt = config.option
    where = "stand-in" if opt.emulate else (opt.port or "board port")
    return f"tinygen hil: board {opt.board} ({where}), model {opt.model}, {opt.samples} samples"


@pytest.fixture(scope="session")
def board(request):
    from tinygen.board import get_board

    return get_board(request.config.option.board)


@pytest.fixture(scope="session")
def built(request, board, tmp_path_factory):
    """(source, graph, BuildResult): the model compiled and built for the board."""
    from tinygen.compiler import build, compile_source, load_source

    opt = request.config.option
    if opt.emulate and board.emulator is None and board.build != "host":
        pytest.exit(f"board {board.name} has no emulated stand-in (try --board esp32-c3 --emulate)", returncode=4)
    source = load_source(opt.model)
    graph = compile_source(source)
    result = build(source, graph, board, tmp_path_factory.mktemp("hil") / source.name)
    if opt.flash and not opt.emulate and board.build != "host":
        from tinygen.run.flash import flash

        flash(board, result.out_dir, probe=opt.probe, port=opt.port)
    return source, graph, result


@pytest.fixture(scope="session")
def graph(built):
    return built[1]


@pytest.fixture(scope="session")
def inputs(request, built):
    from tinygen.hil.session import sample_inputs

    source, graph, _ = built
    return sample_inputs(source, graph, max(request.config.option.samples, MIN_SAMPLES), seed=2024)


@pytest.fixture(scope="session")
def device(request, board, built):
    """A connected Device that runs the built model (checked by its hash)."""
    from tinygen.hil.target import open_device

    opt = request.config.option
    _, _, result = built
    with open_device(board, result.out_dir, opt.emulate, opt.port, timeout=opt.device_timeout) as dev:
        info = dev.info()
        if info.get("hash") != result.manifest["model_hash"]:
            pytest.exit(f"the device runs {info.get('model')} (hash {info.get('hash')}), not "
                        f"{result.manifest['model']} ({result.manifest['model_hash']}): add --flash", returncode=4)
        yield dev


@pytest.fixture
def check_inference(device, graph, inputs):
    """Run one input through `tg run` and require the reference's outputs: the
    device is still serving correctly."""
    from tinygen.hil.session import compare, input_bytes

    def check(index: int = 0) -> None:
        x = inputs[index % len(inputs)]
        raw, _ = device.run(input_bytes(x))
        bad, _ = compare(graph, x, raw, index)
        assert not bad, bad[0].detail

    return check
