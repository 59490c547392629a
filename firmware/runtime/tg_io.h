/*
 * Text output for the on-device protocol, without printf: newlib's printf is
 * too big for small parts and promotes floats to double. Output is gathered in
 * a small static buffer and handed to tg_port_write() when a line ends (or the
 * buffer fills), so a reply goes out in few writes.
 */
#ifndef TG_IO_H
#define TG_IO_H

#include <stddef.h>
#include <stdint.h>

/* `n` bytes as they are. */
void tg_io_write(const char *s, size_t n);

/* A NUL-terminated string. */
void tg_io_str(const char *s);

void tg_io_char(char c);

/* Decimal integers. */
void tg_io_u64(uint64_t v);
void tg_io_i64(int64_t v);

/* Each byte as two lowercase hex digits, no separators. */
void tg_io_hex(const uint8_t *bytes, size_t n);

/*
 * `v` with exactly three decimals ("-1.250"), computed in single precision:
 * m = v * 1000.0f (one float multiply, rounded to float), then m rounded to
 * the nearest integer, halves away from zero. NaN prints "nan", values of
 * 9.2e15 or more in magnitude "inf" / "-inf".
 */
void tg_io_f3(float v);

/* End the line ("\r\n") and send everything buffered. */
void tg_io_end_line(void);

/* "]" and the end of the line: closes an `m-...-[` or `e-[` line. */
void tg_io_end_bracket(void);

/* `s` as a whole line. */
void tg_io_line(const char *s);

/* Send everything buffered (before tg_port_exit, for instance). */
void tg_io_flush(void);

#endif /* TG_IO_H */
