"""What the fit step records and prints (tinygen/fit/): graph.meta["fit"] and its lines.

    graph.meta["fit"] = fit_record(board, use, traded, fastest_flash, slack)
    print(*fit_lines(graph.meta["fit"]), sep="\n")
"""

from __future__ import annotations

from tinygen.board import Board
from tinygen.build.memory import MemoryUse
from tinygen.fit.code import code_lines
from tinygen.report import human_bytes


def fit_record(board: Board, use: MemoryUse, traded: list[dict], fastest_flash: int, slack: int = 0) -> dict:
    """graph.meta["fit"] (JSON): the predicted use against the capacities (the budgets where
    given: "budget" kind -> bytes, "part" kind -> the part's), the layers traded, and the
    margin for code the choice kept (FIT_CODE_MARGIN_PER_LAYER)."""
    return {"board": board.name,
            "budget": {kind: use.regions[kind].capacity for kind in board.budget},
            "part": dict(board.budget), "margin": slack,
            "flash": {"used": use.regions["flash"].used, "capacity": use.regions["flash"].capacity},
            "ram": {"used": use.regions["ram"].used, "capacity": use.regions["ram"].capacity},
            "flash_fastest": fastest_flash,
            "traded": traded, "instructions_added": sum(r["instructions_added"] for r in traded)}


def fit_lines(record: dict | None) -> list[str]:
    """For build and inspect: one line on the fit, then one per traded layer."""
    if not record:
        return []
    flash = record["flash"]
    budget = "".join(f" (--{kind}-budget; the part has {human_bytes(part)})" for kind, part in record["part"].items()
                     if kind == "flash")
    head = f"fit: flash {human_bytes(flash['used'])} of {human_bytes(flash['capacity'])}{budget} predicted on {record['board']}"
    code = code_lines(record.get("code"))
    if not record["traded"]:
        close = flash["used"] + record["margin"] > flash["capacity"]
        return [head + (": the fastest kernels fit the prediction, but not its margin for code "
                        f"({human_bytes(record['margin'])}): the linker decides, and no narrower kernel is left"
                        if close else ": the fastest kernels fit")] + code
    n = len(record["traded"])
    lines = [head + f"; the fastest kernels needed {human_bytes(record['flash_fastest'])}: "
             f"{n} layer{'s' if n != 1 else ''} keep{'s' if n == 1 else ''} int8 weights in flash for "
             f"{record['instructions_added']:,} more instructions"]
    for r in record["traded"]:
        how = "measured" if r["measured"] else "estimated"
        lines.append(f"  {r['layer']} ({r['op']}): {r['kernel']} instead of {r['instead_of']}, "
                     f"{human_bytes(r['flash_saved'])} less flash, {r['instructions_added']:+,} instructions ({how})")
    return lines + code


__all__ = ["fit_lines", "fit_record"]
