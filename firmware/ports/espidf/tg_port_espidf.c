/*
 * ESP-IDF port (v5): ESP32, ESP32-S3 and ESP32-C3 boards, built with idf.py.
 * ESP-IDF owns start-up and main(): app_main() hands the main task to the
 * runtime (the project leaves tinygen's tg_main.c out).
 *
 * - Serial: UART0 (the USB-to-UART bridge of the dev boards) through the
 *   UART driver, 8N1 at TG_BOARD_BAUD (115200), on the pins the boot ROM set up. The project's
 *   sdkconfig turns the console and logging off, so only the protocol is on it.
 * - Counter: the CPU cycle counter (CCOUNT on Xtensa, mcycle on RISC-V), 32
 *   bits, extended to 64 by adding the wrapped difference at every read. A
 *   read at least once per wrap keeps it exact; tg_port_getc() reads it once a
 *   second while waiting, so only one measured stretch longer than 2^32 cycles
 *   (18 s at 240 MHz, 27 s at 160 MHz) could be miscounted.
 * - Clock: esp_clk_cpu_freq(), the frequency the cycle counter runs at.
 * - Timestamp pin (energy mode): GPIO TG_BOARD_TIMESTAMP_GPIO (the board
 *   file's [energy] timestamp_pin), an output idling high (tg_timestamp.h).
 * - Exit: esp_restart() once the last bytes left the UART.
 */
#include <stdint.h>

#include "driver/gpio.h"
#include "driver/uart.h"
#include "esp_cpu.h"
#include "esp_private/esp_clk.h"
#include "esp_system.h"
#include "freertos/FreeRTOS.h"
#include "sdkconfig.h"

#include "tg_board.h"
#include "tg_port.h"
#include "tg_run.h"

#define TG_UART UART_NUM_0
#define TG_UART_RX_BUFFER 2048 /* the driver's ring buffer: a whole 255-byte command and more */
#define TG_UART_TX_BUFFER 1024 /* writes return once queued here */
#define TG_IDLE_SLICE_MS 1000u /* longest single wait for a byte: the counter is read this often */
#define TG_EXIT_FLUSH_MS 100u

static uint64_t tg_cycles; /* the 64-bit counter as of the last read */

void app_main(void)
{
    tg_run();
}

void tg_port_init(void)
{
    const uart_config_t config = {
        .baud_rate = (int)TG_BOARD_BAUD,
        .data_bits = UART_DATA_8_BITS,
        .parity = UART_PARITY_DISABLE,
        .stop_bits = UART_STOP_BITS_1,
        .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
        .source_clk = UART_SCLK_DEFAULT,
    };
    ESP_ERROR_CHECK(uart_param_config(TG_UART, &config));
    ESP_ERROR_CHECK(uart_driver_install(TG_UART, TG_UART_RX_BUFFER, TG_UART_TX_BUFFER, 0, NULL, 0));
#ifdef TG_BOARD_TIMESTAMP_GPIO
    const gpio_config_t pin = {
        .pin_bit_mask = 1ULL << TG_BOARD_TIMESTAMP_GPIO,
        .mode = GPIO_MODE_OUTPUT,
        .pull_up_en = GPIO_PULLUP_DISABLE,
        .pull_down_en = GPIO_PULLDOWN_DISABLE,
        .intr_type = GPIO_INTR_DISABLE,
    };
    ESP_ERROR_CHECK(gpio_set_level(TG_BOARD_TIMESTAMP_GPIO, 1));
    ESP_ERROR_CHECK(gpio_config(&pin));
#endif
    tg_cycles = esp_cpu_get_cycle_count();
}

/* A board file without [energy] (no free pin, e.g. the ESP32-S3-EYE): the pin is not driven. */
void tg_port_timestamp_pin(int high)
{
#ifdef TG_BOARD_TIMESTAMP_GPIO
    (void)gpio_set_level(TG_BOARD_TIMESTAMP_GPIO, high ? 1u : 0u);
#else
    (void)high;
#endif
}

uint64_t tg_port_counter(void)
{
    uint32_t now = (uint32_t)esp_cpu_get_cycle_count();
    tg_cycles += (uint32_t)(now - (uint32_t)tg_cycles); /* modulo 2^32: right across one wrap */
    return tg_cycles;
}

int tg_port_getc(uint32_t timeout_ms)
{
    for (;;) {
        uint32_t wait = (timeout_ms == 0u || timeout_ms > TG_IDLE_SLICE_MS) ? TG_IDLE_SLICE_MS : timeout_ms;
        uint8_t byte;
        TickType_t ticks = pdMS_TO_TICKS(wait);
        int got = uart_read_bytes(TG_UART, &byte, 1, ticks > 0 ? ticks : 1);
        (void)tg_port_counter(); /* keeps the 64-bit extension right while idle */
        if (got == 1) {
            return byte;
        }
        if (timeout_ms != 0u) {
            if (timeout_ms <= wait) {
                return -1;
            }
            timeout_ms -= wait;
        }
    }
}

void tg_port_write(const char *data, size_t len)
{
    while (len > 0) {
        int put = uart_write_bytes(TG_UART, data, len);
        if (put <= 0) {
            return; /* only with the driver not installed: nowhere to send it */
        }
        data += put;
        len -= (size_t)put;
    }
}

int tg_port_counter_kind(void)
{
    return TG_COUNTER_CYCLES;
}

uint32_t tg_port_clock_hz(void)
{
    return (uint32_t)esp_clk_cpu_freq();
}

const char *tg_port_name(void)
{
    return "esp-idf " CONFIG_IDF_TARGET;
}

void tg_port_exit(int code)
{
    (void)code; /* a board has no exit status: it restarts and boots again */
    uart_wait_tx_done(TG_UART, pdMS_TO_TICKS(TG_EXIT_FLUSH_MS));
    esp_restart();
}
