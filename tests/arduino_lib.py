"""Helpers for tests of `--package arduino`: an Arduino sketch compiled as arduino-cli compiles
it, with a small Arduino core written here (not any vendor's), and run on a Cortex-M stand-in.

    ino_to_cpp(text, path)     the .ino as arduino-cli's preprocessing hands it to g++
    build_sketch(...)          the sketch, the library's sources and the core, compiled with the
                               board's [arduino] cxxflags / cflags and linked bare metal
    run_sketch(elf, machine, data)   the image on QEMU: Serial reads `data`, its prints come back

The core's Serial reads in.bin and writes out.txt through semihosting; micros() is semihosting's
SYS_CLOCK (the host's clock, 10 ms steps: a number, not the board's time). Its main() calls
setup(), then loop() until loop() takes no more input. A reset handler turns the FPU on (the
objects use the core's float ABI, softfp on the mbed cores, throughout: nothing here is built
with another): library_lib.ARM_SEMIHOST's start, as the library tests' images."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from libm_probe import LINKER
from library_lib import ARM_SEMIHOST

ARM_CC, ARM_CXX = "arm-none-eabi-gcc", "arm-none-eabi-g++"
STRICT = ("-Wall", "-Wextra", "-Werror")       # stricter than arduino-cli's default (no warnings)
# libm_probe's image layout, and the unwind index a core's linker script places for C++ compiled
# with exceptions (a core whose cxxflags lack -fno-exceptions: libgcc's unwinder asks for it)
EXIDX = "  .ARM.exidx : { __exidx_start = .; *(.ARM.exidx*) __exidx_end = .; } > FLASH\n"
SKETCH_LINKER = LINKER.replace("  .data : {", EXIDX + "  .data : {")
assert SKETCH_LINKER != LINKER

ARDUINO_H = r"""
#ifndef Arduino_h
#define Arduino_h
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif
unsigned long micros(void);
unsigned long millis(void);
void delay(unsigned long ms);
#ifdef __cplusplus
}

void setup(void);
void loop(void);

/* The Print / Stream members a sketch uses, over the test's semihosted in.bin and out.txt. */
class TestSerial {
public:
    void begin(unsigned long baud);
    int available(void);
    int read(void);
    size_t readBytes(char *buffer, size_t length);
    size_t readBytes(uint8_t *buffer, size_t length) { return readBytes((char *)buffer, length); }
    size_t write(uint8_t c);
    size_t write(const uint8_t *buffer, size_t size);
    size_t print(const char *s);
    size_t print(char c) { return write((uint8_t)c); }
    size_t print(unsigned char n, int base = 10) { return print((unsigned long)n, base); }
    size_t print(int n, int base = 10) { return print((long)n, base); }
    size_t print(unsigned int n, int base = 10) { return print((unsigned long)n, base); }
    size_t print(long n, int base = 10);
    size_t print(unsigned long n, int base = 10);
    size_t print(double n, int digits = 2);
    size_t println(void) { return print("\r\n"); }
    template <typename T> size_t println(T value) { size_t n = print(value); return n + println(); }
    template <typename T> size_t println(T value, int format) { size_t n = print(value, format); return n + println(); }
    operator bool() const { return true; }
};
extern TestSerial Serial;
#endif
#endif
"""

CORE_CPP = "#include <Arduino.h>\n" + ARM_SEMIHOST + r"""
static uint8_t rx[1 << 16], tx[1 << 16];
static uint32_t rx_len, rx_pos, tx_len;
TestSerial Serial;

static int open_file(const char *name, uint32_t mode)
{
    uint32_t a[3] = {(uint32_t)name, mode, (uint32_t)strlen(name)};
    return semihost(0x01, a);
}

void TestSerial::begin(unsigned long)
{
    int h = open_file("in.bin", 1u);                                   /* "rb" */
    uint32_t f[1] = {(uint32_t)h};
    rx_len = (uint32_t)semihost(0x0C, f);                              /* SYS_FLEN */
    uint32_t r[3] = {(uint32_t)h, (uint32_t)rx, rx_len};
    rx_len -= (uint32_t)semihost(0x06, r);                             /* SYS_READ: bytes not read */
    semihost(0x02, f);
}
int TestSerial::available(void) { return (int)(rx_len - rx_pos); }
int TestSerial::read(void) { return rx_pos < rx_len ? rx[rx_pos++] : -1; }
size_t TestSerial::readBytes(char *buffer, size_t length)
{
    size_t n = 0;
    while (n < length && rx_pos < rx_len) {
        buffer[n++] = (char)rx[rx_pos++];
    }
    return n;
}
size_t TestSerial::write(uint8_t c)
{
    if (tx_len < sizeof tx) {
        tx[tx_len++] = c;
    }
    return 1;
}
size_t TestSerial::write(const uint8_t *buffer, size_t size)
{
    for (size_t i = 0; i < size; ++i) {
        write(buffer[i]);
    }
    return size;
}
size_t TestSerial::print(const char *s) { return write((const uint8_t *)s, strlen(s)); }
size_t TestSerial::print(unsigned long n, int base)
{
    char digits[33];
    int k = 0;
    do {
        unsigned d = (unsigned)(n % (unsigned)base);
        digits[k++] = (char)(d < 10 ? '0' + d : 'A' + d - 10);
        n /= (unsigned)base;
    } while (n);
    size_t out = 0;
    while (k) {
        out += write((uint8_t)digits[--k]);
    }
    return out;
}
size_t TestSerial::print(long n, int base)
{
    if (n < 0 && base == 10) {
        return write((uint8_t)'-') + print((unsigned long)-(n + 1) + 1ul, base);
    }
    return print((unsigned long)n, base);
}
size_t TestSerial::print(double n, int digits)
{
    size_t out = 0;
    if (n < 0) {
        out += write((uint8_t)'-');
        n = -n;
    }
    double rounding = 0.5;
    for (int i = 0; i < digits; ++i) {
        rounding /= 10.0;
    }
    n += rounding;
    unsigned long whole = (unsigned long)n;
    out += print(whole, 10);
    if (digits > 0) {
        out += write((uint8_t)'.');
    }
    double rest = n - (double)whole;
    while (digits-- > 0) {
        rest *= 10.0;
        unsigned d = (unsigned)rest;
        out += write((uint8_t)('0' + d));
        rest -= d;
    }
    return out;
}

extern "C" unsigned long millis(void) { return (unsigned long)semihost(0x10, 0) * 10ul; }  /* SYS_CLOCK: 1/100 s */
extern "C" unsigned long micros(void) { return millis() * 1000ul; }
extern "C" void delay(unsigned long) {}

int main(void)
{
    setup();
    for (int idle = 0; idle < 2;) {                  /* until loop() takes no more input */
        uint32_t before = rx_pos;
        loop();
        idle = rx_pos == before ? idle + 1 : 0;
    }
    int h = open_file("out.txt", 5u);                                  /* "wb" */
    uint32_t w[3] = {(uint32_t)h, (uint32_t)tx, tx_len};
    semihost(0x05, w);
    uint32_t c[1] = {(uint32_t)h};
    semihost(0x02, c);
    return rx_pos == rx_len ? 0 : 8;                 /* 8: input left that the sketch never read */
}
"""

_BLANKED = re.compile(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.DOTALL)
# a function definition at the sketch's top level: its declarator, then the body's brace
_DEFINITION = re.compile(r"^([A-Za-z_][\w \t\*&]*?\b([A-Za-z_]\w*)\s*\([^;{}()]*\))\s*\{", re.MULTILINE)


def _blank(text: str) -> str:
    """`text` with comments, strings and characters blanked out (the newlines kept)."""
    return _BLANKED.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def ino_to_cpp(text: str, path: str) -> str:
    """The sketch as arduino-cli's preprocessing hands it to the compiler (sketch.ino.cpp):
    `#include <Arduino.h>` first, `#line 1`, the sketch up to its first function definition,
    then a prototype of every function it defines at top level, each after a `#line` naming
    its definition's line, and a `#line` back to where the sketch goes on."""
    clean = _blank(text)
    depth, found = 0, []
    at = 0
    for m in _DEFINITION.finditer(clean):
        depth += clean[at:m.start()].count("{") - clean[at:m.start()].count("}")
        at = m.start()
        if depth == 0:
            found.append((clean.count("\n", 0, m.start()) + 1, " ".join(m.group(1).split())))
    assert found, "the sketch defines no function"
    lines = text.splitlines(keepends=True)
    first = found[0][0]
    out = ["#include <Arduino.h>\n", f'#line 1 "{path}"\n', *lines[:first - 1]]
    for line, declarator in found:
        out += [f'#line {line} "{path}"\n', f"{declarator};\n"]
    out += [f'#line {first} "{path}"\n', *lines[first - 1:]]
    return "".join(out)


def _compile(cc: str, flags: list[str], source: Path, obj: Path, includes: list[Path]) -> Path:
    done = subprocess.run([cc, *flags, *STRICT, *[f"-I{i}" for i in includes], "-c", str(source), "-o", str(obj)],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"{cc} {source.name}:\n{done.stderr[-3000:]}"
    return obj


def cpu_flags(flags: list[str]) -> list[str]:
    """The flags that choose the core and the float ABI (what the link needs to pick newlib's)."""
    return [f for f in flags if f.startswith(("-mcpu", "-march", "-mthumb", "-mfpu", "-mfloat-abi"))]


def build_sketch(folder: Path, library: Path, core: dict) -> Path:
    """The installed library folder `library` (NAME/ from the zip): its example preprocessed as
    arduino-cli does, compiled with the core's cxxflags, every .c under src/ with its cflags and
    the builder's -DARDUINO / -DARDUINO_ARCH_*, all against this Arduino.h; linked bare metal."""
    name = library.name
    (folder / "core").mkdir(parents=True)
    (folder / "core" / "Arduino.h").write_text(ARDUINO_H)
    (folder / "core" / "core.cpp").write_text(CORE_CPP)
    ino = library / "examples" / name / f"{name}.ino"
    (folder / f"{name}.ino.cpp").write_text(ino_to_cpp(ino.read_text(), str(ino)))
    builder = ["-DARDUINO=10819", f"-DARDUINO_ARCH_{core['architecture'].upper()}"]
    includes = [folder / "core", library / "src"]
    cxx = list(core["cxxflags"]) + builder
    objs = [_compile(ARM_CXX, cxx, folder / f"{name}.ino.cpp", folder / "sketch.o", includes),
            _compile(ARM_CXX, cxx, folder / "core" / "core.cpp", folder / "core.o", includes)]
    for src in sorted((library / "src").rglob("*.c")):
        objs.append(_compile(ARM_CC, list(core["cflags"]) + builder, src, folder / f"{src.stem}.o", includes))
    (folder / "app.ld").write_text(SKETCH_LINKER)
    elf = folder / "sketch.elf"
    done = subprocess.run([ARM_CC, *cpu_flags(core["cxxflags"]), "-nostartfiles", "--specs=nosys.specs",
                           "-Wl,--gc-sections", "-T", str(folder / "app.ld"), *map(str, objs), "-lm", "-o", str(elf)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return elf


def run_sketch(elf: Path, machine: str, data: bytes) -> str:
    """The sketch on QEMU `machine`: `data` comes in over Serial; what it printed."""
    (elf.parent / "in.bin").write_bytes(data)
    done = subprocess.run(["qemu-system-arm", "-M", machine, "-display", "none", "-monitor", "none",
                           "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)],
                          cwd=elf.parent, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"the sketch's image exited with {done.returncode}: {done.stderr[-2000:]}"
    return (elf.parent / "out.txt").read_text()


__all__ = ["ARDUINO_H", "ARM_CC", "ARM_CXX", "CORE_CPP", "build_sketch", "cpu_flags", "ino_to_cpp", "run_sketch"]
