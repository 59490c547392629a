"""Which image's flash and RAM a build's manifest reports (no imports: the sweep, the hil
report and the benchmarks read manifests without compiling anything).

    image = linked_image(manifest)      # "firmware.elf", "firmware-emu.elf", or None
    use = memory_use(manifest)          # that image's regions, else the prediction's, else {}

On Cortex-M boards tinygen links the real part's image, firmware.elf. On ESP32 boards
ESP-IDF builds the real image (when installed) and tinygen links only the stand-in's,
firmware-emu.elf, so that one is the linked figure there: the manifest's own names decide.
"""

from __future__ import annotations


def linked_image(manifest: dict) -> str | None:
    """The manifest's first image that tinygen linked (listed in "images", in the build's
    order, and measured in "memory"; without "images", the first measured image), None when
    nothing was linked (a prediction only, or a host build)."""
    memory = manifest.get("memory") or {}
    names = manifest.get("images") or [name for name in memory if name != "predicted"]
    linked = [name for name in names if name in memory and name != "predicted"]
    return linked[0] if linked else None


def memory_use(manifest: dict) -> dict:
    """The linked image's memory record (regions flash / ram with "used" and "capacity"),
    else the predicted one, else {}."""
    memory = manifest.get("memory") or {}
    image = linked_image(manifest)
    return (memory.get(image) if image else None) or memory.get("predicted") or {}


__all__ = ["linked_image", "memory_use"]
