"""The camera commands of the on-device protocol (PROTOCOL.md, "Camera frames") on top of
tinygen.hil.client.Device: upload a frame in a camera format, chunk by chunk, and read back
the int8 input the device made of it.

    cam = CameraLink(dev)
    cam.info()                                   # {"formats": [...], "max": (320, 240), "input": (96, 96, 3), ...}
    sent = cam.send_frame(raw, fmt, 320, 240)    # FrameSent: crop used, chunks, preprocessing count
    q = cam.input()                              # the model input the device computed (bytes)
    out, count = dev.invoke()

A firmware whose input streams in (a model in row bands, `tg camera`'s stream=BANDSxROWS) runs
the model while the frame arrives and answers its outputs with the last chunk: send_frame
returns them (FrameSent.outputs, .model_count); `tg input` and `tg invoke` are refused there.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinygen.errors import TinygenError
from tinygen.hil.client import Device, DeviceError, ProtocolError
from tinygen.ref.camera import Crop
from tinygen.ref.frame_formats import FrameFormat


class NoCameraError(TinygenError):
    """The firmware has no camera front end."""


@dataclass
class FrameSent:
    crop: Crop
    chunk: int                 # bytes per chunk the device took
    chunks: int
    count: int                 # counter units the device spent preprocessing
    outputs: bytes | None = None        # a streamed input's: the model's outputs, answered with the last chunk
    model_count: int | None = None      # ... and the counter units of the model's part


def _ints(text: str, what: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise ProtocolError(f"bad {what} from the device: {text!r}") from None


class CameraLink:
    def __init__(self, dev: Device):
        self.dev = dev

    def info(self) -> dict:
        """`tg camera`: formats, largest frame, model input, chunk bytes, capture driver, crop."""
        try:
            value = self.dev.command("tg camera").value("m-tg-camera")
        except DeviceError as e:
            if "Unknown tg command" in e.device_message:
                raise NoCameraError("the firmware has no camera front end (it does not know `tg camera`)",
                                    "build it with --camera (tinygen camera --images / --frames does)") from None
            raise
        info: dict = {}
        for item in value.split(","):
            key, _, v = item.partition("=")
            info[key] = v
        info["formats"] = info.get("formats", "").split("/")
        info["max"] = tuple(int(x) for x in info["max"].split("x"))
        info["input"] = tuple(int(x) for x in info["input"].split("x"))
        info["chunk"] = int(info["chunk"])
        stream = info.get("stream", "none")     # BANDSxROWS: the input streams in, one band's rows held
        info["stream"] = None if stream == "none" else tuple(int(x) for x in stream.split("x"))
        return info

    def crop(self, crop: Crop | None) -> None:
        """`tg crop X Y W H` for the next frames, or `tg crop` (None): centred."""
        self.dev.command("tg crop" if crop is None else f"tg crop {crop.x} {crop.y} {crop.w} {crop.h}")

    def start(self, fmt: FrameFormat, width: int, height: int) -> tuple[int, int, Crop]:
        """`tg frame`: (frame bytes, chunk bytes, crop) as the device answered."""
        v = _ints(self.dev.command(f"tg frame {fmt.name} {width} {height}").value("m-tg-frame").split(",", 1)[1],
                  "m-tg-frame")
        if len(v) != 8 or v[:2] != [width, height]:
            raise ProtocolError(f"m-tg-frame does not describe the {width}x{height} frame asked for: {v}")
        return v[2], v[3], Crop(*v[4:])

    def send_frame(self, frame: bytes, fmt: FrameFormat, width: int, height: int,
                   timeout: float | None = None, streamed: bool = False) -> FrameSent:
        """A whole frame: `tg frame`, then `tg chunk N` + N bytes (whole rows) until the
        device reports m-tg-frame-done. `streamed` (info()["stream"]): the model runs meanwhile,
        and the last chunk answers its outputs (FrameSent.outputs)."""
        total, chunk, crop = self.start(fmt, width, height)
        if total != len(frame):
            raise ProtocolError(f"the device expects {total} bytes for a {width}x{height} {fmt.name} frame, "
                                f"the frame has {len(frame)}")
        chunks, done, outputs, model = 0, None, None, None
        for offset in range(0, total, chunk):
            piece = frame[offset:offset + chunk]
            # a streamed input runs bands of the model between rows: at most one inference in all
            reply = self.dev.command(f"tg chunk {len(piece)}", piece, timeout, inferences=1 if streamed else 0)
            chunks += 1
            got = reply.values("m-tg-frame-done")
            if got:
                done = int(got[0])
            if reply.values("m-tg-out"):
                outputs, model = self.dev.out_count(reply)
        if done is None:
            raise ProtocolError(f"the device did not report m-tg-frame-done after all {total} bytes")
        if streamed and outputs is None:
            raise ProtocolError("the device's input streams in, but its last chunk answered no m-tg-out")
        return FrameSent(crop, chunk, chunks, done, outputs, model)

    def input(self, timeout: float | None = None) -> bytes:
        """`tg input`: the input buffer (the model's int8 input) as the device holds it."""
        text = self.dev.command("tg input", timeout=timeout).value("m-tg-input")
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise ProtocolError(f"bad hex in m-tg-input: {text[:40]!r}") from None


__all__ = ["CameraLink", "FrameSent", "NoCameraError"]
