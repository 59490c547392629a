"""The ESP-IDF port (firmware/ports/espidf/tg_port_espidf.c) against stub headers.

ESP-IDF and its Xtensa / RISC-V compilers cannot be installed here, so this
checks C syntax and types only, NOT ESP-IDF itself: the port is compiled
(-Wall -Wextra -Werror) against the minimal declarations below, written to
mirror ESP-IDF v5's (driver/uart.h, esp_cpu.h, esp_private/esp_clk.h,
esp_system.h, FreeRTOS ticks), with the host compiler and, when installed, a
32-bit RISC-V compiler (the ESP32 parts are 32-bit). It also checks that the
object defines every function of tg_port.h plus app_main, and that an ESP-IDF
project gets the runtime without tg_main.c.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tinygen.codegen.firmware_files import MAIN, runtime_files
from tinygen.resources import data_dir

FIRMWARE = data_dir("firmware")
PORT = FIRMWARE / "ports" / "espidf" / "tg_port_espidf.c"
WARNINGS = ["-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wdouble-promotion"]

STUBS = {
    "sdkconfig.h": """
#define CONFIG_IDF_TARGET "esp32c3"
#define CONFIG_FREERTOS_HZ 100
""",
    "esp_err.h": """
#pragma once
typedef int esp_err_t;
#define ESP_OK 0
void _esp_error_check_failed(esp_err_t rc, const char *file, int line, const char *function, const char *expression)
    __attribute__((__noreturn__));
#define ESP_ERROR_CHECK(x) do { esp_err_t err_rc_ = (x); \\
    if (err_rc_ != ESP_OK) { _esp_error_check_failed(err_rc_, __FILE__, __LINE__, __func__, #x); } } while (0)
""",
    "freertos/FreeRTOS.h": """
#pragma once
#include <stdint.h>
#include "sdkconfig.h"
typedef uint32_t TickType_t;
#define configTICK_RATE_HZ CONFIG_FREERTOS_HZ
#define pdMS_TO_TICKS(xTimeInMs) ((TickType_t)(((TickType_t)(xTimeInMs) * (TickType_t)configTICK_RATE_HZ) / (TickType_t)1000U))
typedef struct QueueDefinition *QueueHandle_t;
""",
    "driver/uart.h": """
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "esp_err.h"
#include "freertos/FreeRTOS.h"
typedef int uart_port_t;
#define UART_NUM_0 (0)
typedef enum { UART_DATA_5_BITS, UART_DATA_6_BITS, UART_DATA_7_BITS, UART_DATA_8_BITS } uart_word_length_t;
typedef enum { UART_PARITY_DISABLE = 0, UART_PARITY_EVEN = 2, UART_PARITY_ODD = 3 } uart_parity_t;
typedef enum { UART_STOP_BITS_1 = 1, UART_STOP_BITS_1_5 = 2, UART_STOP_BITS_2 = 3 } uart_stop_bits_t;
typedef enum { UART_HW_FLOWCTRL_DISABLE = 0, UART_HW_FLOWCTRL_RTS = 1 } uart_hw_flowcontrol_t;
typedef enum { UART_SCLK_APB = 1, UART_SCLK_DEFAULT = 1 } uart_sclk_t;
typedef struct {
    int baud_rate;
    uart_word_length_t data_bits;
    uart_parity_t parity;
    uart_stop_bits_t stop_bits;
    uart_hw_flowcontrol_t flow_ctrl;
    uint8_t rx_flow_ctrl_thresh;
    union { uart_sclk_t source_clk; };
    struct { uint32_t allow_pd : 1; uint32_t backup_before_sleep : 1; } flags;
} uart_config_t;
esp_err_t uart_param_config(uart_port_t uart_num, const uart_config_t *uart_config);
esp_err_t uart_driver_install(uart_port_t uart_num, int rx_buffer_size, int tx_buffer_size, int queue_size,
                              QueueHandle_t *uart_queue, int intr_alloc_flags);
int uart_read_bytes(uart_port_t uart_num, void *buf, uint32_t length, TickType_t ticks_to_wait);
int uart_write_bytes(uart_port_t uart_num, const void *src, size_t size);
esp_err_t uart_wait_tx_done(uart_port_t uart_num, TickType_t ticks_to_wait);
""",
    "driver/gpio.h": """
#pragma once
#include <stdint.h>
#include "esp_err.h"
typedef int gpio_num_t;
typedef enum { GPIO_MODE_DISABLE = 0, GPIO_MODE_INPUT = 1, GPIO_MODE_OUTPUT = 2 } gpio_mode_t;
typedef enum { GPIO_PULLUP_DISABLE = 0, GPIO_PULLUP_ENABLE = 1 } gpio_pullup_t;
typedef enum { GPIO_PULLDOWN_DISABLE = 0, GPIO_PULLDOWN_ENABLE = 1 } gpio_pulldown_t;
typedef enum { GPIO_INTR_DISABLE = 0 } gpio_int_type_t;
typedef struct {
    uint64_t pin_bit_mask;
    gpio_mode_t mode;
    gpio_pullup_t pull_up_en;
    gpio_pulldown_t pull_down_en;
    gpio_int_type_t intr_type;
} gpio_config_t;
esp_err_t gpio_config(const gpio_config_t *pGPIOConfig);
esp_err_t gpio_set_level(gpio_num_t gpio_num, uint32_t level);
""",
    "tg_board.h": """
#pragma once
#define TG_BOARD_CLOCK_HZ 160000000u
#define TG_BOARD_TIMESTAMP_GPIO 4
#define TG_BOARD_BAUD 115200u
#define TG_BOARD_ENERGY_RUNNER 0
""",
    "esp_cpu.h": """
#pragma once
#include <stdint.h>
typedef uint32_t esp_cpu_cycle_count_t;
static inline __attribute__((always_inline)) esp_cpu_cycle_count_t esp_cpu_get_cycle_count(void)
{
    extern volatile uint32_t stub_cycle_register;
    return stub_cycle_register;
}
""",
    "esp_private/esp_clk.h": """
#pragma once
int esp_clk_cpu_freq(void);
""",
    "esp_system.h": """
#pragma once
#include "esp_err.h"
void esp_restart(void) __attribute__((__noreturn__));
""",
}

PORT_FUNCTIONS = ("tg_port_init", "tg_port_getc", "tg_port_write", "tg_port_counter", "tg_port_counter_kind",
                  "tg_port_clock_hz", "tg_port_name", "tg_port_exit", "tg_port_timestamp_pin", "app_main")


@pytest.fixture(scope="module")
def stubs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("idf_stubs")
    for name, text in STUBS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.lstrip())
    return root


def compile_port(cc: list[str], stubs: Path, out: Path) -> None:
    proc = subprocess.run([*cc, "-std=gnu17", "-O2", *WARNINGS, f"-I{stubs}", f"-I{FIRMWARE / 'runtime'}",
                           "-c", str(PORT), "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_espidf_port_compiles_against_stubs_host(stubs, tmp_path):
    obj = tmp_path / "port.o"
    compile_port(["gcc"], stubs, obj)
    symbols = subprocess.run(["nm", "--defined-only", str(obj)], capture_output=True, text=True, check=True).stdout
    defined = {line.split()[-1] for line in symbols.splitlines() if " T " in line}
    missing = [f for f in PORT_FUNCTIONS if f not in defined]
    assert not missing, f"the ESP-IDF port does not define {missing}"


def test_espidf_port_compiles_against_stubs_rv32(stubs, tmp_path):
    cc = "riscv64-unknown-elf-gcc"
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} not installed: sudo apt-get install -y --no-install-recommends gcc-riscv64-unknown-elf")
    compile_port([cc, "-march=rv32imc_zicsr", "-mabi=ilp32", "-ffreestanding"], stubs, tmp_path / "port.o")


def test_espidf_runtime_files_leave_main_out():
    files = runtime_files("espidf", with_main=False)
    assert MAIN not in files and "ports/espidf/tg_port_espidf.c" in files
    assert "runtime/tg_run.c" in files and MAIN in runtime_files("espidf")
