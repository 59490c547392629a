"""`tinygen mlperf run` and `tinygen mlperf dataset`: the official MLPerf Tiny runner
(mlcommons/tiny benchmark/runner), unmodified, against a tinygen firmware on a port it cannot
find by itself, and the runner's data set for a build (tinygen.hil.mlperf_runner,
tinygen.hil.mlperf_dataset)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tinygen.errors import UsageError
from tinygen.hil.client import describe_laps
from tinygen.hil.mlperf_dataset import read_manifest, write_dataset
from tinygen.hil.mlperf_runner import MODES, RunnerOptions, report_port, usb_without_backend, dataset_folder, \
    prepare, run_runner

EPILOG = """examples:
  tinygen flash examples/mlperf-tiny/kws_dscnn_int8.tflite --board f746zg -o build/kws --emulate --serve --pty
  tinygen mlperf dataset --project build/kws --data test.npz --out datasets
  tinygen mlperf run --runner ~/tiny/benchmark/runner --port /dev/pts/3 -- --mode p --dataset_path datasets
Arguments after -- go to the runner's main.py as they are (--mode, --dataset_path, -d, -t).
"""
RUN_EPILOG = """examples:
  tinygen mlperf run --port /dev/pts/3 -- --mode a --dataset_path datasets        # runner from $MLPERF_TINY_RUNNER
  tinygen mlperf run --runner ~/tiny/benchmark/runner --port /dev/ttyACM0 -- --mode p
Arguments after -- go to the runner's main.py as they are (--mode, --dataset_path, -d, -t); without -t the
runner's tests_<mode>.yaml is used, without -d the devices yaml for the model's test.
"""
DATASET_EPILOG = """examples:
  tinygen mlperf dataset --project build/kws --data test.npz --out datasets
  tinygen mlperf dataset --project build/ic --data cifar.npz --out datasets --runner ~/tiny/benchmark/runner
"""


def runner_options(argv: list[str]) -> RunnerOptions:
    """The options of the runner's main.py this launcher resolves; the rest passes through."""
    p = argparse.ArgumentParser(prog="main.py", add_help=False, allow_abbrev=False)
    p.add_argument("-d", "--device_list")
    p.add_argument("-y", "--device_yaml")
    p.add_argument("-t", "--test_script")
    p.add_argument("-s", "--dataset_path", default="datasets")
    p.add_argument("-m", "--mode", choices=tuple(MODES), default="a")
    known, rest = p.parse_known_args(argv)
    return RunnerOptions(known.device_list, known.device_yaml, known.test_script, known.dataset_path, known.mode, rest)


def cmd_run(args) -> int:
    runner_args = args.runner_args[1:] if args.runner_args[:1] == ["--"] else args.runner_args
    if not args.runner:
        raise UsageError("no runner folder", "pass --runner PATH/benchmark/runner or set MLPERF_TINY_RUNNER")
    runner, runner_argv, device = prepare(args.runner, args.port, runner_options(runner_args), args.keep_lap)
    note = usb_without_backend()
    report_port(args.port, device["vid"], device["pid"])
    print(f"{args.port}: {device['name']} runs model id {device['model']} on {device.get('port')}; "
          f"{describe_laps(device)}")
    if device.get("lap") != "us":
        print("warning: the runner reads only m-lap-us and will find no time (leave out --keep-lap)")
    print(f"listed as the runner's dut {device['dut']} (USB {device['vid']:04x}:{device['pid']:04x} from "
          f"{device['devices'].name})" + (f"; {note}" if note else ""))
    workdir = Path(args.workdir).resolve()
    print(f"running {runner / 'main.py'} {' '.join(runner_argv)}\n  in {workdir}", flush=True)
    run_runner(runner, runner_argv, workdir)
    print(f"the runner's logs and results: {workdir / 'sessions'}")
    return 0


def cmd_dataset(args) -> int:
    folder = dataset_folder(read_manifest(args.project)["model_id"], args.runner)
    dest = write_dataset(args.project, args.data, args.out, folder)
    count = sum(1 for _ in dest.glob("*.bin"))
    print(f"{dest}: y_labels.csv and {count} input files; run the runner with --dataset_path {Path(args.out)}")
    return 0


def add_command(sub, fmt) -> None:
    m = sub.add_parser("mlperf", help="run the MLPerf Tiny runner against a tinygen firmware, and write its data set",
                       epilog=EPILOG, formatter_class=fmt)
    steps = m.add_subparsers(dest="mlperf_command", metavar="STEP")
    steps.required = True
    runner = os.environ.get("MLPERF_TINY_RUNNER")

    run = steps.add_parser("run", help="run the runner's main.py, unmodified, against the device on --port",
                           epilog=RUN_EPILOG, formatter_class=fmt)
    device = run.add_argument_group("device")
    device.add_argument("--port", required=True, help="the device: a stand-in's pty (tinygen flash --emulate "
                                                      "--serve --pty) or a board's serial port")
    device.add_argument("--keep-lap", action="store_true",
                        help="leave a stand-in's lap unit as it is (default: switch it to emulated m-lap-us)")
    where = run.add_argument_group("runner")
    where.add_argument("--runner", default=runner, metavar="DIR",
                       help="the runner's folder, benchmark/runner of a mlcommons/tiny checkout "
                            "(default: $MLPERF_TINY_RUNNER)")
    where.add_argument("--workdir", default=str(Path("build") / "mlperf-runner"), metavar="DIR",
                       help="where the runner runs and writes sessions/ (default: build/mlperf-runner)")
    run.add_argument("runner_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_run, command="mlperf run")

    data = steps.add_parser("dataset", help="write the runner's data set (y_labels.csv and one raw input file per "
                                            "sample) for a build from an .npz of float inputs x and labels y",
                            epilog=DATASET_EPILOG, formatter_class=fmt)
    model = data.add_argument_group("model")
    model.add_argument("--project", required=True, metavar="DIR",
                       help="the folder tinygen build / flash -o wrote (its tinygen.json: the inputs' quantization "
                            "and the model id)")
    inputs = data.add_argument_group("data")
    inputs.add_argument("--data", required=True, metavar="FILE.npz",
                        help="x (float inputs, the model's own layout) and y")
    inputs.add_argument("--out", required=True, metavar="DATASETS",
                        help="the runner's --dataset_path: the files go into DATASETS/<folder>/")
    inputs.add_argument("--runner", default=runner, metavar="DIR",
                        help="the runner's folder: <folder> is what its tests_accuracy.yaml names for the model id "
                             "(default: $MLPERF_TINY_RUNNER; without one, the model id)")
    data.set_defaults(func=cmd_dataset, command="mlperf dataset")
