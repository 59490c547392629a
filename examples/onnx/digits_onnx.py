"""The digits demo's model through ONNX: exported with torch.onnx.export, quantized with
onnxruntime's quantize_static (QDQ, per-channel int8 weights, uint8 activations), built by
tinygen for the Nucleo-F746ZG and run on its QEMU stand-in, beside the same network compiled
from PyTorch by tinygen's own post-training quantization.

1. Load examples/digits_demo.py's trained CNN (digits_demo.npz, its sha256 checked; --train
   trains it again here on scikit-learn's 8x8 digits, seeded, no download: the weights then
   depend on the CPU's float kernels).
2. Write digits.pt2 (torch.export) and digits.onnx (torch.onnx.export), calib.npy, test.npz.
3. quantize_static(digits.onnx) -> digits_qdq.onnx, calibrated on the same 200 images.
4. `tinygen hil digits_qdq.onnx --board f746zg --emulate` and `--board host` on the test set:
   every output bit-exact with tinygen's reference, the stand-in's bytes equal to the host
   build's, onnxruntime's agreement beside them (the graph as written, the reference; its
   default session's fused kernels apart, CPU-dependent); `tinygen hil digits.pt2` the same
   for the PyTorch path.
5. A summary (results.json): accuracy of float PyTorch, onnxruntime on the QDQ model,
   tinygen's ONNX build and tinygen's PyTorch build.

    python examples/onnx/digits_onnx.py [--out build/onnx-digits] [--train [--epochs 20]] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from digits_demo import dataset, load_weights, train  # noqa: E402


def export(net, x_train, out: Path) -> None:
    example = torch.from_numpy(x_train[:1])
    torch.export.save(torch.export.export(net, (example,)), out / "digits.pt2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (example,), str(out / "digits.onnx"), dynamo=False, opset_version=13,
                          input_names=["x"], output_names=["y"])


def quantize(out: Path, calib: np.ndarray) -> Path:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"x": x[None]} for x in calib])

        def get_next(self):
            return next(self.items, None)

    logging.disable(logging.WARNING)
    try:
        quantize_static(str(out / "digits.onnx"), str(out / "digits_qdq.onnx"), Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    finally:
        logging.disable(logging.NOTSET)
    return out / "digits_qdq.onnx"


def hil(model: Path, board: str, out: Path, name: str, extra=()) -> dict:
    from tinygen.cli import main

    report = out / f"{name}.json"
    argv = [str(model), "--board", board, "--data", str(out / "test.npz"), "-o", str(out / name), "-q",
            "--json", str(report), *extra]
    if board != "host":
        argv.append("--emulate")
    rc = main(["hil", *argv])
    if rc != 0:
        raise SystemExit(f"tinygen hil {model.name} --board {board} failed ({rc})")
    return json.loads(report.read_text())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/onnx-digits", help="working directory (default build/onnx-digits)")
    ap.add_argument("--train", action="store_true",
                    help="train the CNN here instead of loading the shipped weights (the result depends on the CPU)")
    ap.add_argument("--epochs", type=int, default=20, help="with --train: epochs (default 20, as shipped)")
    ap.add_argument("--board", default="f746zg", help="board whose stand-in runs the model (default f746zg)")
    ap.add_argument("--limit", type=int, default=None, help="test images to run (default all)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    (x_train, y_train), (x_test, y_test) = dataset()
    if args.limit:
        x_test, y_test = x_test[:args.limit], y_test[:args.limit]
    if args.train:
        print(f"[1/4] training the digits CNN ({args.epochs} epochs; the weights depend on this CPU)", flush=True)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)            # torch splits its sums by thread
        try:
            net = train(x_train, y_train, args.epochs)
        finally:
            torch.set_num_threads(threads)
    else:
        print("[1/4] loading the trained digits CNN (examples/digits_demo.npz, sha256 checked)", flush=True)
        net = load_weights()
    with torch.no_grad():
        float_acc = float(np.mean(net(torch.from_numpy(x_test)).argmax(1).numpy() == y_test))
    print("[2/4] exporting digits.pt2 and digits.onnx; quantize_static -> digits_qdq.onnx", flush=True)
    export(net, x_train, out)
    np.save(out / "calib.npy", x_train[:200])
    np.savez(out / "test.npz", x=x_test, y=y_test)
    qdq = quantize(out, x_train[:200])

    from tinygen.hil.onnx_check import fused_label, run_onnxruntime

    ort_acc = float(np.mean(run_onnxruntime(qdq, [x_test])[0].argmax(1) == y_test))
    print(f"[3/4] tinygen hil digits_qdq.onnx on the {args.board} stand-in and on the host", flush=True)
    device = hil(qdq, args.board, out, "onnx-device")
    host = hil(qdq, "host", out, "onnx-host")
    same = sum(d == h for d, h in zip(device["outputs"][0]["q"], host["outputs"][0]["q"]))
    print(f"[4/4] tinygen hil digits.pt2 (tinygen's own PTQ) on the {args.board} stand-in", flush=True)
    torch_run = hil(out / "digits.pt2", args.board, out, "pytorch-device", ["--calib", str(out / "calib.npy")])

    summary = {
        "samples": len(x_test), "board": args.board, "epochs": args.epochs if args.train else "shipped",
        "float_pytorch_accuracy": float_acc, "onnxruntime_qdq_accuracy": ort_acc,
        "tinygen_onnx_accuracy": device["accuracy"], "tinygen_pytorch_accuracy": torch_run["accuracy"],
        "onnx_bit_exact": f"{device['bit_exact']}/{device['samples']}",
        "onnx_device_equals_host": f"{same}/{device['samples']}",
        # against onnxruntime's graph as written (the reference, the same on every CPU); its default session's
        # fused kernels give other bytes on other CPUs: kept apart, CPU-dependent
        "onnx_vs_onnxruntime": {k: v for k, v in device["onnxruntime"].items() if k != "fused"},
        "onnx_vs_onnxruntime_fused": device["onnxruntime"]["fused"],
        "onnx_instructions": device["latency"]["mean"], "pytorch_instructions": torch_run["latency"]["mean"],
        "pytorch_bit_exact": f"{torch_run['bit_exact']}/{torch_run['samples']}",
    }
    (out / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    a = device["onnxruntime"]
    print(f"\nfloat PyTorch {float_acc:.2%}; onnxruntime (QDQ) {ort_acc:.2%}; tinygen from ONNX "
          f"{device['accuracy']:.2%}; tinygen from PyTorch {torch_run['accuracy']:.2%} ({len(x_test)} test images)")
    print(f"ONNX build on the {args.board} stand-in: {summary['onnx_bit_exact']} bit-exact with the reference, "
          f"{summary['onnx_device_equals_host']} equal to the host build, {a['within_1_lsb']}/{a['samples']} within "
          f"1 LSB of onnxruntime as written ({a['exact']} equal); {a['fused']['exact']}/{a['samples']} equal to its "
          f"fused session, {fused_label(a['fused']['cpu'])}")
    print(f"results: {out / 'results.json'}")
    ok = device["bit_exact"] == device["samples"] and same == device["samples"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
