/*
 * The EEMBC EnergyRunner / MLPerf Tiny performance-mode commands
 * (PROTOCOL.md, "EEMBC / MLPerf Tiny commands").
 */
#include "model.h"
#include "tg_infer.h"
#include "tg_input.h"
#include "tg_io.h"
#include "tg_lap.h"
#include "tg_port.h"
#include "tg_protocol.h"
#include "tg_switch.h"
#include "tg_timestamp.h"

/* `infer` without arguments: one run after ten warm-ups, as EEMBC's firmware does. */
#define TG_INFER_DEFAULT_RUNS 1u
#define TG_INFER_DEFAULT_WARMUPS 10u

#define TG_DB_ARGS "load N | db HEX | db print"

static void tg_cmd_name(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    tg_io_line("m-name-dut-[tinygen]");
}

static void tg_cmd_profile(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    tg_io_str("m-profile-[tinygen " TG_MODEL_TINYGEN_VERSION);
    tg_lap_print_profile_note();
    tg_io_end_bracket();
    tg_io_line("m-model-[" TG_MODEL_ID "]");
}

static void tg_help_table(const tg_command *table, int count, const char *prefix)
{
    for (int i = 0; i < count; i++) {
        tg_io_str("m-help-[");
        tg_io_str(prefix);
        tg_io_str(table[i].name);
        if (table[i].args[0] != '\0') {
            tg_io_char(' ');
            tg_io_str(table[i].args);
        }
        tg_io_str(": ");
        tg_io_str(table[i].help);
        tg_io_end_bracket();
    }
}

static void tg_cmd_help(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    tg_io_line("m-help-[tinygen " TG_MODEL_TINYGEN_VERSION ": commands end with %, see PROTOCOL.md]");
    tg_help_table(tg_eembc_commands, tg_eembc_command_count, "");
    tg_help_table(tg_ext_commands, tg_ext_command_count, "tg ");
}

static void tg_cmd_timestamp(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    tg_timestamp_mark();
    tg_lap_print(tg_port_counter());
}

static void tg_cmd_db(const tg_word *args, int nargs)
{
    if (tg_word_is(&args[0], "load")) {
        if (nargs != 2) {
            tg_error("usage: db load N");
            return;
        }
        tg_input_db_load(&args[1]);
    } else if (nargs != 1) {
        tg_error("usage: db " TG_DB_ARGS);
    } else if (tg_word_is(&args[0], "print")) {
        tg_input_db_print();
    } else {
        tg_input_db_hex(&args[0]);
    }
}

static void tg_cmd_infer(const tg_word *args, int nargs)
{
    uint32_t runs = TG_INFER_DEFAULT_RUNS;
    uint32_t warmups = TG_INFER_DEFAULT_WARMUPS;
    if (nargs >= 1 && tg_arg_u32(&args[0], &runs) != 0) {
        return;
    }
    if (runs == 0u) {
        tg_error("Inference iterations must be >0");
        return;
    }
    if (nargs >= 2 && tg_arg_u32(&args[1], &warmups) != 0) {
        return;
    }
    if (tg_input_check() != 0) {
        return;
    }
    tg_io_str("m-warmup-start-");
    tg_io_u64(warmups);
    tg_io_end_line();
    for (uint32_t i = 0; i < warmups; i++) {
        (void)tg_infer_run();
    }
    tg_io_line("m-warmup-done");
    tg_io_str("m-infer-start-");
    tg_io_u64(runs);
    tg_io_end_line();
    /* both laps printed after the runs, so that printing the first is not timed */
    tg_timestamp_mark();
    uint64_t start = tg_port_counter();
    if (tg_timestamp_each()) { /* energy mode: the pin frames each run */
        for (uint32_t i = 0; i < runs; i++) {
            tg_infer_run_framed();
        }
    } else { /* performance mode: the runs as they always were */
        for (uint32_t i = 0; i < runs; i++) {
            (void)tg_infer_run(); /* copies the input each time: the arena is reused */
        }
    }
    uint64_t end = tg_port_counter();
    tg_timestamp_mark();
    tg_lap_print(start);
    tg_lap_print(end);
    tg_io_line("m-infer-done");
    tg_infer_print_results();
}

static void tg_cmd_results(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    if (tg_infer_check_outputs() == 0) {
        tg_infer_print_results();
    }
}

const tg_command tg_eembc_commands[] = {
    {"name", 0, 0, tg_cmd_name, "", "the device name"},
    {"profile", 0, 0, tg_cmd_profile, "", "firmware (emulated: what laps count) and model id"},
    {"help", 0, 0, tg_cmd_help, "", "this list"},
    {"timestamp", 0, 0, tg_cmd_timestamp, "", "a lap line (m-lap-us or m-lap-instr); tg pin eembc: a pin pulse"},
    {"db", 1, 2, tg_cmd_db, TG_DB_ARGS, "fill the input buffer in hex"},
    {"infer", 0, 2, tg_cmd_infer, "[N=1] [W=10]", "W warm-up runs, N timed runs, results"},
    {"results", 0, 0, tg_cmd_results, "", "the last outputs, dequantized"},
    {"switch", 0, 1, tg_cmd_switch, "[K]", "select precision switch K (switchable models); the current one"},
};
const int tg_eembc_command_count = (int)(sizeof tg_eembc_commands / sizeof tg_eembc_commands[0]);
