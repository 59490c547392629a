"""`tinygen boards`: the supported boards and what this machine can build for each."""

from __future__ import annotations

import json
from tinygen.board import all_boards, board_template, load_board_file
from tinygen.report import human_bytes, table


def cmd_boards(args) -> int:
    from tinygen.build.capabilities import board_capabilities

    if args.template:
        print(board_template(args.template), end="")
        return 0
    rows, installs, records = [], {}, []
    for b in [load_board_file(f) for f in args.files] or all_boards():
        caps = board_capabilities(b)
        flash, ram = b.region("flash"), b.region("ram")
        records.append({"board": b.name, "aliases": list(b.aliases), "core": b.core, "description": b.description,
                        "clock_hz": b.clock_hz, "flash": int(flash["size"]) if flash else None,
                        "ram": int(ram["size"]) if ram else None,
                        "stand_in": b.emulator["machine"] if b.emulator else None,
                        "file": str(b.path) if b.user else None})
        rows.append([b.name, ", ".join(b.aliases) or "-", b.core,
                     f"{b.clock_hz / 1e6:.0f} MHz" if b.clock_hz else "-",
                     human_bytes(int(flash["size"])) if flash else "-", human_bytes(int(ram["size"])) if ram else "-",
                     b.emulator["machine"] if b.emulator else "-", caps.summary()])
        for what, command in caps.install:
            installs.setdefault(command, []).append(f"{what} {b.name}")
    if args.json:
        print(json.dumps(records, indent=1))
        return 0
    print(table(["board", "aliases", "core", "clock", "flash", "RAM", "stand-in", "on this machine"], rows,
                "llllrrll"))
    if installs:
        print("\nto do more on this machine:")
        for command, purposes in installs.items():
            print(f"  {command}    ({', '.join(purposes)})")
    return 0


def add_command(sub, fmt) -> None:
    bd = sub.add_parser("boards", help="list the supported boards and what this machine can build",
                        epilog="examples:\n  tinygen boards              # names, aliases, cores, toolchain status\n"
                               "  tinygen boards --json       # the same, as JSON\n"
                               "  tinygen build m.py --board host\n", formatter_class=fmt)
    bd.add_argument("--json", action="store_true", help="print the boards as JSON (name, aliases, core, clock, "
                    "the real part's flash and RAM bytes, stand-in)")
    bd.add_argument("files", nargs="*", metavar="FILE.toml",
                    help="board files of your own to check and list (default: tinygen's boards)")
    bd.add_argument("--template", metavar="BOARD",
                    help="print BOARD's file as the start of your own (save it, rename it, then --board FILE.toml)")
    bd.set_defaults(func=cmd_boards)
