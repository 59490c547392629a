"""Run the official MLPerf Tiny runner (mlcommons/tiny benchmark/runner), as it
is, against a tinygen firmware on a port the runner cannot find by itself.

    tinygen flash --board f746zg -o build/kws --emulate --serve --pty    # prints /dev/pts/N
    tinygen mlperf dataset --project build/kws --data test.npz --out ~/datasets
    tinygen mlperf run --runner ~/tiny/benchmark/runner --port /dev/pts/N -- --mode p --dataset_path ~/datasets

The command lines are tinygen.cli.mlperf's; this module is what they run. `dataset` writes the runner's data set for the build in --project from an .npz of float
inputs and labels (tinygen.hil.mlperf_dataset).

The runner finds its device under test by USB vendor and product id
(`serial.tools.list_ports.comports()`, then `usb.core.find()` for USB-only
power monitors) and opens it with `serial.Serial(path)`. A stand-in's
pseudo-terminal has no USB id, so this launcher:

0. checks that this interpreter has the runner's packages (RUNNER_PACKAGES: the runner
   runs in this process) and, for --mode e, that a power board of the devices yaml is
   attached;
1. asks the device for its model id (`profile%`) and checks that the runner's
   test script has a test for it and the data set a folder with its truth file;
2. on a stand-in (which counts instructions), switches the lap lines to
   emulated microseconds (`tg lap us%`: instructions at the real board's clock),
   the only unit the runner reads;
3. lists --port among the serial ports with the USB id of the devices yaml's
   `dut` entry, and lets `usb.core.find()` find nothing when pyusb or its
   libusb backend is missing;
4. runs the runner's main.py unchanged (runpy) with the arguments after `--`,
   in --workdir, where the runner writes sessions/<time>/ (log.txt,
   results.txt, results.json). Relative file arguments are resolved against
   the current directory, then the runner's folder; without -t the runner's
   tests_<mode>.yaml is used, without -d the devices yaml for the model's test.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

from tinygen.errors import TinygenError, UsageError
from tinygen.frontend.user_module import no_bytecode
from tinygen.hil.client import Device
from tinygen.hil.link import Link

MODES = {"a": "accuracy", "p": "performance", "e": "energy"}
DEVICES_YAML = {"ad01": "devices_ad.yaml", "sww01": "devices_sww.yaml"}     # else:
DEFAULT_DEVICES_YAML = "devices_kws_ic_vww.yaml"
PORT_DESCRIPTION = "tinygen device (reported by tinygen.hil.mlperf_runner)"
# what the runner's main.py imports when it starts (module, pip package); usb (pyusb) is
# stood in for when missing, joulescope is imported only for a JS220
RUNNER_PACKAGES = (("serial", "pyserial"), ("yaml", "PyYAML"), ("numpy", "numpy"), ("matplotlib", "matplotlib"),
                   ("sklearn", "scikit-learn"))


def _runner_dir(path: str) -> Path:
    folder = Path(path).expanduser().resolve()
    if not (folder / "main.py").is_file() or not (folder / "device_manager.py").is_file():
        raise UsageError(f"{path} is not the MLPerf Tiny runner's folder (no main.py and device_manager.py)",
                         "give the benchmark/runner folder of a mlcommons/tiny checkout")
    return folder


@dataclass(frozen=True)
class RunnerOptions:
    """The runner's options this launcher resolves (main.py's names: -d, -y, -t, -s, -m); `rest`
    passes through to main.py as it is."""
    device_list: str | None = None
    device_yaml: str | None = None
    test_script: str | None = None
    dataset_path: str = "datasets"
    mode: str = "a"
    rest: list[str] = field(default_factory=list)


def _find(path: str, runner: Path, what: str) -> Path:
    """A file argument: relative to the current directory, else to the runner's folder."""
    for base in (Path.cwd(), runner):
        candidate = (base / path).expanduser()
        if candidate.is_file():
            return candidate.resolve()
    raise UsageError(f"{what} {path} not found here or in {runner}", f"give the path of the {what}")


def _yaml(path: Path):
    import yaml

    try:
        with open(path) as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise UsageError(f"cannot read {path}: {e}") from None


def dut_usb_id(devices: list) -> tuple[int, int, dict]:
    """(vendor id, product id, entry) of the devices yaml's DUT: its last `type: dut` entry
    (the one main.py uses), first USB id; refused when an earlier entry claims that id,
    since the runner gives a port to the first entry that matches it."""
    duts = [d for d in devices or [] if isinstance(d, dict) and d.get("type") == "dut"]
    if not duts or not duts[-1].get("usb"):
        raise UsageError("the devices yaml has no `type: dut` entry with a `usb:` id",
                         "add one (e.g. name: tinygen, type: dut, baud: 115200, usb: {0x0483: 0x374B})")
    dut = duts[-1]
    vid, pids = next(iter(dut["usb"].items()))
    pid = pids[0] if isinstance(pids, list) else pids
    for d in devices:
        if d is dut:
            break
        usb = d.get("usb") or {}
        listed = usb.get(vid, [])
        if pid in (listed if isinstance(listed, list) else [listed]):
            raise UsageError(f"USB id {vid:04x}:{pid:04x} of the dut entry {dut.get('name')} is also the "
                             f"{d.get('type')} entry {d.get('name')}'s, which the runner would give the port to",
                             "give the dut entry a USB id of its own in the devices yaml")
    return int(vid), int(pid), dut


def missing_packages() -> list[str]:
    """The pip names of the runner's packages this interpreter cannot import."""
    missing = [pip for module, pip in RUNNER_PACKAGES if importlib.util.find_spec(module) is None]
    if "PyYAML" not in missing:
        import yaml

        if not hasattr(yaml, "CLoader"):            # main.py reads its yamls with yaml.CLoader
            missing.append("PyYAML built with libyaml (yaml.CLoader)")
    return missing


def check_packages() -> None:
    missing = missing_packages()
    if missing:
        raise UsageError(f"the runner needs Python packages that {sys.executable} lacks: {', '.join(missing)}",
                         f"the runner runs in tinygen's interpreter: {sys.executable} -m pip install "
                         + " ".join(m.split()[0] for m in missing))


def attached_power_boards(devices: list, ports: list, usb_find=None) -> list[str]:
    """Names of the devices yaml's `type: power` entries that are attached: a serial port
    with the entry's USB id (as the runner matches them), or for a `direct_usb` entry
    (JS220) a USB device found by `usb_find(idVendor=, idProduct=)` (pyusb's usb.core.find)."""
    found = []
    for d in devices or []:
        if not isinstance(d, dict) or d.get("type") != "power":
            continue
        ids = [(int(vid), int(pid)) for vid, pids in (d.get("usb") or {}).items()
               for pid in (pids if isinstance(pids, list) else [pids])]
        if d.get("interface") == "direct_usb":
            hit = usb_find is not None and any(usb_find(idVendor=v, idProduct=p) is not None for v, p in ids)
        else:
            hit = any((p.vid, p.pid) in ids for p in ports if p.vid)
        if hit:
            found.append(str(d.get("name")))
    return found


def _usb_find():
    """pyusb's usb.core.find when pyusb and a libusb backend are there, else None."""
    try:
        import usb.core

        usb.core.find(find_all=True)
    except Exception:                # ImportError, usb.core.NoBackendError
        return None
    return usb.core.find


def check_power_board(devices_path: Path) -> None:
    """--mode e: the runner measures energy with a power board (LPM01A, JS220) it finds by USB id."""
    from serial.tools import list_ports

    devices = _yaml(devices_path)
    power = [d for d in devices or [] if isinstance(d, dict) and d.get("type") == "power"]
    if not power:
        raise UsageError(f"--mode e needs a power board, and {devices_path.name} lists none (no `type: power` entry)",
                         "give -d a devices yaml with your power board's entry, as the runner's own yamls have")
    if not attached_power_boards(devices, list_ports.comports(), _usb_find()):
        names = ", ".join(f"{d.get('name')} ({_usb_ids(d)})" for d in power)
        raise UsageError(f"--mode e needs a power board attached; none of {devices_path.name}'s is: {names}",
                         "attach one (a JS220 also needs pyusb, libusb and joulescope) with the DUT on the "
                         "runner's interface board, firmware built with --energy-runner; or run --mode a or p")


def _usb_ids(entry: dict) -> str:
    return ", ".join(f"{int(v):04x}:{int(p):04x}" for v, pids in (entry.get("usb") or {}).items()
                     for p in (pids if isinstance(pids, list) else [pids]))


def _check_device(port: str, keep_lap: bool) -> dict:
    """Ask the device who it is; on a stand-in, switch its laps to emulated microseconds."""
    with Link.open(port) as link:
        dev = Device(link)
        name = dev.connect()
        info = dev.info()
        model = dev.profile()["model"]
        if info.get("counter") == "instructions" and not keep_lap:
            dev.lap("us")
            info = dev.info()
    return {**info, "name": name, "model": model}     # model: the id profile% answers


def report_port(port: str, vid: int, pid: int) -> None:
    """Make serial.tools.list_ports.comports() list `port` with the DUT's USB id."""
    from serial.tools import list_ports, list_ports_common

    real_comports = list_ports.comports
    here = os.path.realpath(port)

    def comports(*args, **kwargs):
        info = list_ports_common.ListPortInfo(port, skip_link_detection=True)
        info.vid, info.pid = vid, pid
        info.description = info.product = PORT_DESCRIPTION
        info.hwid = f"USB VID:PID={vid:04X}:{pid:04X} (tinygen.hil.mlperf_runner)"
        others = [p for p in real_comports(*args, **kwargs) if os.path.realpath(p.device) != here]
        return others + [info]

    list_ports.comports = comports


def usb_without_backend() -> str | None:
    """usb.core.find() for the runner's USB-only scan: pyusb's, finding nothing when pyusb or
    its libusb backend is missing. Returns a note when that is the case."""
    try:
        import usb.core
    except ImportError:
        core = types.ModuleType("usb.core")
        core.find = lambda find_all=False, **kwargs: iter(()) if find_all else None
        package = types.ModuleType("usb")
        package.core = core
        sys.modules.update({"usb": package, "usb.core": core})
        return "pyusb is not installed: USB-only power monitors (JS220) cannot be found"
    find = usb.core.find

    def find_or_nothing(*args, **kwargs):
        try:
            return find(*args, **kwargs)
        except usb.core.NoBackendError:
            return iter(()) if kwargs.get("find_all") else None

    usb.core.find = find_or_nothing
    return None


def prepare(runner_dir: str, port: str, options: RunnerOptions, keep_lap: bool = False) -> tuple[Path, list[str], dict]:
    """Check everything the runner will need; returns (runner folder, its argv, the device)."""
    runner = _runner_dir(runner_dir)
    check_packages()
    if options.mode == "e":         # before the device is opened: at the runner's energy baud it may not answer
        check_power_board(_find(options.device_list or DEFAULT_DEVICES_YAML, runner, "devices yaml"))
    device = _check_device(port, keep_lap)
    if options.mode == "e" and device.get("counter") == "instructions":
        raise UsageError("--mode e measures a real board's energy; a stand-in has none to measure",
                         "run --mode a or p on the stand-in")
    model = device["model"]
    tests_path = _find(options.test_script or f"tests_{MODES[options.mode]}.yaml", runner, "test script")
    tests = _yaml(tests_path) or {}
    if model not in tests:
        raise TinygenError(f"the device answers m-model-[{model}] and {tests_path.name} has no test for it "
                           f"(it has {', '.join(tests)})",
                           "rebuild with tinygen build/flash ... --model-id ID for the test you mean, e.g. kws01")
    dataset = Path(options.dataset_path).expanduser().resolve()
    truth = dataset / tests[model].get("model", model) / str(tests[model].get("truth_file", ""))
    if not truth.is_file():
        raise UsageError(f"no truth file {truth} for {model}",
                         f"give --dataset_path a folder with {tests[model].get('model', model)}/"
                         f"{tests[model].get('truth_file')} and the files it lists")
    argv = ["-s", str(dataset), "-m", options.mode, "-t", str(tests_path)]
    if options.device_yaml is not None:
        raise UsageError("-y/--device_yaml is not supported by this launcher", "write the yaml to a file, pass -d")
    devices_path = _find(options.device_list or DEVICES_YAML.get(model, DEFAULT_DEVICES_YAML), runner,
                         "devices yaml")
    vid, pid, dut = dut_usb_id(_yaml(devices_path))
    check_name = dut.get("check_name")
    if check_name is not None and check_name != device["name"]:
        raise UsageError(f"the dut entry {dut.get('name')} wants check_name {check_name}, the device is "
                         f"{device['name']}", "set check_name: tinygen in the devices yaml or remove it")
    argv += ["-d", str(devices_path)] + list(options.rest)
    device.update(vid=vid, pid=pid, dut=dut.get("name"), devices=devices_path)
    return runner, argv, device


def run_runner(runner: Path, argv: list[str], workdir: Path) -> None:
    """main.py as `python main.py ARGV` from `workdir`, in this process."""
    workdir.mkdir(parents=True, exist_ok=True)
    saved = (list(sys.argv), list(sys.path), os.getcwd(), sys.stdout, sys.stderr)
    sys.argv = [str(runner / "main.py"), *argv]
    sys.path.insert(0, str(runner))
    os.chdir(workdir)
    try:
        with no_bytecode():                     # nothing written into the runner's tree
            runpy.run_path(str(runner / "main.py"), run_name="__main__")
    finally:
        # the runner sends stdout and stderr to its log while it runs
        sys.argv, sys.path[:], cwd, sys.stdout, sys.stderr = saved
        os.chdir(cwd)


def dataset_folder(model_id: str, runner: str | None) -> str:
    """The data set folder the runner reads for `model_id`: its test script's `model:`."""
    if runner:
        tests = _yaml(_runner_dir(runner) / f"tests_{MODES['a']}.yaml") or {}
        entry = tests.get(model_id)
        if isinstance(entry, dict) and entry.get("model"):
            return str(entry["model"])
    return model_id


if __name__ == "__main__":
    print("note: `python -m tinygen.hil.mlperf_runner` is now `tinygen mlperf run` (and its `dataset`, "
          "`tinygen mlperf dataset`), with the same options", file=sys.stderr)
    sys.exit(2)
