/*
 * Lap lines (PROTOCOL.md, "Lap lines"). Real boards count core cycles and
 * print microseconds; the stdio port prints microseconds of wall-clock time.
 * Stand-ins count executed instructions and have no time: they print
 * m-lap-instr (the default), or after `tg lap us` the instructions converted
 * at the real board's core clock (TG_BOARD_CLOCK_HZ, from its board file) as
 * m-lap-us, for benchmark runners that read only m-lap-us. That figure is
 * what the board would take if one instruction took one cycle, not a
 * measured time; `profile` says so.
 */
#include "tg_lap.h"

#include "tg_board.h"
#include "tg_io.h"
#include "tg_port.h"

#define TG_US_PER_S 1000000u
#define TG_HZ_PER_MHZ 1000000u

/* Stand-ins only: 1 after `tg lap us`, 0 (instructions) after boot or `tg lap instr`. */
static int s_emulated_us;

/* count / hz seconds in microseconds, split so that nothing overflows: (count % hz) * 1e6 < 2^32 * 1e6. */
static uint64_t tg_to_us(uint64_t count, uint64_t hz)
{
    return count / hz * TG_US_PER_S + count % hz * TG_US_PER_S / hz;
}

static int tg_emulated(void)
{
    return tg_port_counter_kind() == TG_COUNTER_INSTRUCTIONS;
}

const char *tg_lap_unit(void)
{
    return tg_emulated() && !s_emulated_us ? "instr" : "us";
}

void tg_lap_print(uint64_t now)
{
    switch (tg_port_counter_kind()) {
    case TG_COUNTER_CYCLES: {
        uint64_t hz = tg_port_clock_hz();
        if (hz == 0u) {
            tg_error("port counts cycles but reports no clock: cannot give microseconds");
            return;
        }
        tg_io_str("m-lap-us-");
        tg_io_u64(tg_to_us(now, hz));
        break;
    }
    case TG_COUNTER_NANOSECONDS:
        tg_io_str("m-lap-us-");
        tg_io_u64(now / 1000u);
        break;
    default:
        if (s_emulated_us) {
            tg_io_str("m-lap-us-");
            tg_io_u64(tg_to_us(now, TG_BOARD_CLOCK_HZ));
        } else {
            tg_io_str("m-lap-instr-");
            tg_io_u64(now);
        }
        break;
    }
    tg_io_end_line();
}

/* "216 MHz", or "N Hz" for a clock that is not whole megahertz. */
static void tg_print_clock(uint32_t hz)
{
    if (hz % TG_HZ_PER_MHZ == 0u) {
        tg_io_u64(hz / TG_HZ_PER_MHZ);
        tg_io_str(" MHz");
    } else {
        tg_io_u64(hz);
        tg_io_str(" Hz");
    }
}

void tg_lap_print_profile_note(void)
{
    if (!tg_emulated()) {
        return;
    }
    if (s_emulated_us) {
        tg_io_str(", emulated: m-lap-us = instructions at ");
        tg_print_clock(TG_BOARD_CLOCK_HZ);
    } else {
        tg_io_str(", emulated: m-lap-instr = executed instructions");
    }
}

void tg_cmd_lap(const tg_word *args, int nargs)
{
    if (nargs == 1) {
        if (tg_word_is(&args[0], "us")) {
            if (tg_emulated() && TG_BOARD_CLOCK_HZ == 0u) {
                tg_error("tg lap us: no board clock to convert instructions at (clock_hz of the board file)");
                return;
            }
            s_emulated_us = tg_emulated();
        } else if (tg_word_is(&args[0], "instr")) {
            if (!tg_emulated()) {
                tg_error("tg lap instr: only stand-ins count instructions; this port's laps are m-lap-us");
                return;
            }
            s_emulated_us = 0;
        } else {
            tg_error("usage: tg lap [us|instr]");
            return;
        }
    }
    tg_io_str("m-tg-lap-[");
    tg_io_str(tg_lap_unit());
    tg_io_end_bracket();
}
