"""User board files (--board my-board.toml): every kind of mistake refused in one line naming
the file and the key, the shipped files valid, the template loading back, names in any case,
and docs/boards.md's key tables equal to the schema tinygen checks against."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tinygen.board import all_boards, board_template, get_board, load_board_file
from tinygen.board.schema import SCHEMA, check, markdown
from tinygen.errors import BoardFileError, UsageError
from tinygen.resources import data_dir

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = board_template("f746zg").replace('name = "my-nucleo-f746zg"', 'name = "my-board"')


def load_edited(tmp_path: Path, old: str, new: str, text: str = TEMPLATE) -> BoardFileError:
    assert old in text, old
    path = tmp_path / "my-board.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(BoardFileError) as e:
        load_board_file(path)
    return e.value


# (what is edited in the F746ZG template, into what, the key and the words the one line must hold)
MISTAKES = {
    "unknown top-level key": ("clock_hz = ", "clock_mhz = ",
                              "clock_mhz: not a key tinygen reads (did you mean clock_hz?)"),
    "unknown key in a table": ("supply_v = 3.3", "voltage = 3.3", "power.voltage: not a key tinygen reads"),
    "unknown key in a region": ('name = "dtcm"', 'name = "dtcm"\nwait_states = 1',
                                "memory[dtcm].wait_states: not a key"),
    "missing top-level key": ('description = "ST Nucleo-144 STM32F746ZG: Cortex-M7 216 MHz, 320 KB SRAM, '
                              '1 MB flash"\n', "", "description: missing"),
    "missing key in a table": ('cc = "arm-none-eabi-gcc"\n', "", "toolchain.cc: missing"),
    "missing table": ("[stack]\nsize = 8192", "", "stack: missing"),
    "wrong type": ("clock_hz = 216000000", 'clock_hz = "216 MHz"', "clock_hz = '216 MHz': must be an integer"),
    "wrong type in a region": ("size = 0x100000", 'size = "1M"', "memory[flash].size = '1M': must be an integer"),
    "wrong list type": ("aliases = []", 'aliases = "f7"', "aliases = 'f7': must be a list of strings"),
    "wrong boolean": ("link = true", 'link = "yes"', "memory[flash].link = 'yes': must be a boolean"),
    "zero-sized region": ("size = 0x10000 ", "size = 0 ", "memory[dtcm].size = 0: a region needs"),
    "partly overlapping regions": ("origin = 0x2004C000", "origin = 0x2004E000", "memory[sram2]: overlaps memory[ram]"),
    "flash over RAM": ("origin = 0x08000000 ", "origin = 0x20000000 ", "memory[ram]: overlaps memory[flash]"),
    "duplicate region name": ('name = "sram2"', 'name = "sram1"', "memory[sram1].name: a second region"),
    "two linked RAMs": ("size = 0x10000                      # 64 KB\nlink = false",
                        "size = 0x10000\nlink = true", 'memory: 2 regions with kind = "ram" and link = true'),
    "no linked flash": ("size = 0x100000                     # 1 MB\nlink = true", "size = 0x100000\nlink = false",
                        'memory: 0 regions with kind = "flash" and link = true'),
    "misaligned linked region": ("origin = 0x08000000 ", "origin = 0x08000002 ", "memory[flash].origin = 0x8000002"),
    "region past 4 GiB": ("origin = 0x08000000 ", "origin = 0xFFFF0000 ", "memory[flash]: 0xFFFF0000 + 0x100000 ends"),
    "stack as large as RAM": ("[stack]\nsize = 8192", "[stack]\nsize = 0x50000", "stack.size = 327680"),
    "unknown region kind": ('kind = "flash"', 'kind = "rom"', "memory[flash].kind = 'rom': not one of flash, ram"),
    "unknown core": ('core = "cortex-m7"', 'core = "cortex-m3"', "core = 'cortex-m3': not a core tinygen builds for"),
    "core of another recipe": ('core = "cortex-m7"', 'core = "xtensa-lx6"', "core = 'xtensa-lx6': not a core"),
    "unknown build": ('build = "cortex-m"', 'build = "zephyr"', "build = 'zephyr': not a recipe"),
    "unknown port": ('port = "stm32f7"', 'port = "stm32l4"', "port = 'stm32l4': not a folder of firmware/ports/"),
    "unknown flash tool": ('tools = ["st-flash"', 'tools = ["jlink"', "flash.tools: 'jlink' is not a flash tool"),
    "unknown stand-in": ('machine = "mps2-an500"', 'machine = "mps2-an521"',
                         "emulator.machine = 'mps2-an521': not a stand-in"),
    "stand-in of another core": ('machine = "mps2-an500"', 'machine = "mps2-an386"',
                                 "emulator.machine = 'mps2-an386': emulates cortex-m4, not this board's core"),
    "stand-in on another QEMU": ('qemu = "qemu-system-arm"', 'qemu = "qemu-system-aarch64"', "emulator.qemu = "),
    "stand-in too small": ("size = 0x100000 ", "size = 0x800000 ",
                           "emulator.flash_origin = 0x0: mps2-an500 has no memory"),
    "stand-in RAM over its flash": ("ram_origin = 0x20000000", "ram_origin = 0x00080000",
                                    "emulator.ram_origin = 0x80000"),
    "bad timestamp pin": ('timestamp_pin = "PF13"', 'timestamp_pin = "PZ99"', "energy.timestamp_pin = 'PZ99'"),
    "name with a space": ('name = "my-board"', 'name = "my board"', "name = 'my board': use letters"),
    "a shipped board's name": ('name = "my-board"', 'name = "Nucleo-F746ZG"', "name: 'Nucleo-F746ZG' is the name of"),
    "a shipped board's alias": ("aliases = []", 'aliases = ["f446re"]', "aliases: 'f446re' is the name of"),
    "not TOML": ("[stack]", "[stack", "not valid TOML"),
    "not a Zephyr board target": ('board = "nucleo_f746zg"', 'board = "Nucleo F746ZG"',
                                  "zephyr.board = 'Nucleo F746ZG': a Zephyr board target"),
}


@pytest.mark.parametrize("what", list(MISTAKES))
def test_board_file_mistake_is_refused_in_one_line(tmp_path, what):
    old, new, says = MISTAKES[what]
    err = load_edited(tmp_path, old, new)
    assert isinstance(err, UsageError)
    assert err.message.startswith(f"board file {tmp_path / 'my-board.toml'}: ") and "\n" not in err.message
    assert says in err.message, err.message


def test_a_shipped_board_file_by_its_path_is_that_board():
    board = get_board(str(data_dir("boards") / "nucleo-f446re.toml"))
    assert board is get_board("f446re") and not board.user


def test_missing_board_file_says_how_to_start_one(tmp_path):
    with pytest.raises(BoardFileError) as e:
        get_board(str(tmp_path / "nope.toml"))
    assert "does not exist" in e.value.message and "--template" in e.value.hint


@pytest.mark.parametrize("path", sorted(data_dir("boards").glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_board_file_validates(path):
    import tomllib

    problems = []
    check(tomllib.loads(path.read_text()), problems.append)
    assert problems == []


@pytest.mark.parametrize("name", [b.name for b in all_boards()])
def test_template_loads_back_under_another_name(tmp_path, name):
    text = board_template(name)
    assert text.startswith("# A tinygen board file, started from") and "--board my-" in text
    path = tmp_path / "saved-elsewhere.toml"
    path.write_text(text)
    board = get_board(str(path))
    shipped = get_board(name)
    assert (board.name, board.aliases, board.user) == (f"my-{shipped.name}", (), True)
    assert (board.core, board.memory, board.emulator, board.toolchain) == \
        (shipped.core, shipped.memory, shipped.emulator, shipped.toolchain)


def test_board_names_are_case_insensitive():
    for name in ("STM32F746ZG", "Nucleo-F746ZG", "F746ZG", "nucleo-f746zg"):
        assert get_board(name).name == "nucleo-f746zg"
    assert get_board("HOST").name == "host"
    with pytest.raises(UsageError, match="unknown board 'F764ZG'") as e:
        get_board("F764ZG")
    assert "f746zg" in e.value.hint and "my-board.toml" in e.value.hint


def test_docs_page_lists_every_key_of_the_schema():
    page = (ROOT / "docs" / "boards.md").read_text()
    block = re.search(r"<!-- schema: [^\n]*-->\n(.*?)<!-- /schema -->", page, re.S)
    assert block and block[1] == markdown(), "regenerate the block from tinygen.board.schema.markdown()"
    for key, spec in SCHEMA.items():
        assert f"| `{key}` |" in block[1]
        for sub in spec.keys:
            assert f"| `{sub}` |" in block[1]


def test_docs_example_board_file_loads(tmp_path):
    page = (ROOT / "docs" / "boards.md").read_text()
    example = re.search(r"```toml\n(.*?)```", page, re.S)[1]
    (tmp_path / "my-board.toml").write_text(example)
    board = get_board(str(tmp_path / "my-board.toml"))
    assert board.name == "my-board" and board.region("ram")["size"] == 0x30000
