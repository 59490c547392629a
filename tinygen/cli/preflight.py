"""What `tinygen flash` and `tinygen hil` check before any long work (loading the model,
calibrating, measuring kernels, building firmware): the board's serial port, the flash
tool, the energy meter's driver package and port, the optional packages the run needs
(tinygen.optional: pyserial for every link, matplotlib for --plot, onnxruntime for an .onnx). Each refusal is one error line that says
what to do; the -o folder (tinygen.cli.common.check_output_early) and the data
(tinygen.hil.session.check_data) are checked beside these.
"""

from __future__ import annotations

from tinygen.energy.drivers import check_meter
from tinygen.hil.link import check_port
from tinygen.hil.target import resolve_port
from tinygen.optional import require
from tinygen.run.flash import choose_tool


def check_device(args, board, emulate: bool) -> None:
    """A real board's --port there, its flash tool installed (--flash), the --meter's package
    installed and its --meter-port there; the optional packages the run will import."""
    require("serial")                           # the link: a port, a stand-in's or the host bridge's socket
    if getattr(args, "plot", None) or getattr(args, "sheet", None):
        require("matplotlib")
    if getattr(args, "images", None):
        require("PIL")                          # photographs read on the host
    if str(getattr(args, "model", "")).endswith(".onnx"):
        require("onnxruntime")                  # the reference the device's outputs are held against
    real = not emulate and board.build != "host"
    if real and not getattr(args, "reference", False):
        check_port(resolve_port(board, args.port))
    if real and getattr(args, "flash", False):
        choose_tool(board, args.probe)
    if getattr(args, "meter", None):
        check_meter(args.meter, args.meter_port)


def check_flash_tool(args, board) -> None:
    """`tinygen flash` to a real board: the probe tool installed before the model is built."""
    if not (args.emulate or board.build == "host"):
        choose_tool(board, args.probe)


__all__ = ["check_device", "check_flash_tool"]
