/* The energy-mode timestamp pin: see tg_timestamp.h. */
#include "tg_timestamp.h"

#include "tg_board.h"
#include "tg_io.h"
#include "tg_port.h"

#define TG_PIN_OFF 0
#define TG_PIN_EACH 1
#define TG_PIN_EEMBC 2
#define TG_US_PER_S 1000000u

/* performance mode after boot; EEMBC framing in firmware built for the EnergyRunner (--energy-runner) */
static int s_mode = TG_BOARD_ENERGY_RUNNER ? TG_PIN_EEMBC : TG_PIN_OFF;
static int s_level = 1;
static uint64_t s_edges;

void tg_timestamp_level(int high)
{
    high = high != 0;
    if (high != s_level) {
        s_edges++;
        s_level = high;
    }
    tg_port_timestamp_pin(high);
}

/* Busy-wait `us` microseconds on the port's counter (cycles; on stand-ins and the host: any count will do). */
static void tg_wait_us(uint32_t us)
{
    uint32_t hz = tg_port_clock_hz();
    uint64_t ticks = hz != 0u ? (uint64_t)hz / TG_US_PER_S * us : (uint64_t)us;
    uint64_t start = tg_port_counter();
    while (tg_port_counter() - start < ticks) {
    }
}

void tg_timestamp_mark(void)
{
    if (s_mode == TG_PIN_EEMBC) {
        tg_timestamp_level(0);
        tg_wait_us(TG_TIMESTAMP_PULSE_US);
        tg_timestamp_level(1);
    }
}

int tg_timestamp_each(void)
{
    return s_mode == TG_PIN_EACH;
}

void tg_timestamp_inference(int start)
{
    if (s_mode == TG_PIN_EACH) {
        tg_timestamp_level(!start);
    }
}

void tg_cmd_pin(const tg_word *args, int nargs)
{
    if (nargs == 1) {
        if (tg_word_is(&args[0], "off")) {
            s_mode = TG_PIN_OFF;
        } else if (tg_word_is(&args[0], "each")) {
            s_mode = TG_PIN_EACH;
        } else if (tg_word_is(&args[0], "eembc")) {
            s_mode = TG_PIN_EEMBC;
        } else {
            tg_error("usage: tg pin [off|each|eembc]");
            return;
        }
    }
    tg_timestamp_level(1);
    tg_io_str("m-tg-pin-[");
    tg_io_str(s_mode == TG_PIN_OFF ? "off" : (s_mode == TG_PIN_EACH ? "each" : "eembc"));
    tg_io_str(",edges=");
    tg_io_u64(s_edges);
    tg_io_end_bracket();
}
