/* The tinygen extensions, `tg SUBCOMMAND ...` (PROTOCOL.md, "tinygen extensions"). */
#include "model.h"
#include "tg_audio_cmd.h"
#include "tg_board.h"
#include "tg_infer.h"
#include "tg_input.h"
#include "tg_io.h"
#include "tg_lap.h"
#include "tg_libm_cmd.h"
#include "tg_port.h"
#include "tg_protocol.h"
#include "tg_timestamp.h"
#ifdef TG_MODEL_CAMERA
#include "tg_camera.h" /* built with --camera: the frame commands (firmware/camera) */
#endif

/* Exit codes `tg exit` accepts: what a process exit status can carry everywhere. */
#define TG_EXIT_CODE_MAX 255u

static const char *tg_counter_name(void)
{
    switch (tg_port_counter_kind()) {
    case TG_COUNTER_CYCLES: return "cycles";
    case TG_COUNTER_INSTRUCTIONS: return "instructions";
    case TG_COUNTER_NANOSECONDS: return "ns";
    default: return "unknown";
    }
}

static void tg_info_key(const char *key)
{
    tg_io_char(',');
    tg_io_str(key);
    tg_io_char('=');
}

static void tg_info_u64(const char *key, uint64_t value)
{
    tg_info_key(key);
    tg_io_u64(value);
}

/* "a/b/..." sizes of the model's inputs or outputs. */
static void tg_info_sizes(const char *key, int count, int32_t (*size)(int))
{
    tg_info_key(key);
    for (int i = 0; i < count; i++) {
        if (i > 0) {
            tg_io_char('/');
        }
        tg_io_u64((uint64_t)size(i));
    }
}

static void tg_cmd_info(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    tg_io_str("m-tg-info-[version=" TG_MODEL_TINYGEN_VERSION ",model=" TG_MODEL_NAME ",id=" TG_MODEL_ID
              ",hash=" TG_MODEL_HASH);
    tg_info_key("port");
    tg_io_str(tg_port_name());
    tg_info_key("counter");
    tg_io_str(tg_counter_name());
    tg_info_u64("clock_hz", tg_port_clock_hz());
    tg_info_key("lap");
    tg_io_str(tg_lap_unit());
    tg_info_u64("board_clock_hz", TG_BOARD_CLOCK_HZ);
    tg_info_u64("arena", TG_MODEL_ARENA_SIZE);
    tg_info_u64("weights", TG_MODEL_WEIGHT_BYTES);
    tg_info_u64("layers", (uint64_t)tg_model_num_layers());
    tg_info_sizes("inputs", TG_MODEL_NUM_INPUTS, tg_model_input_size);
    tg_info_sizes("outputs", TG_MODEL_NUM_OUTPUTS, tg_model_output_size);
    tg_info_u64("max_upload", TG_MODEL_INPUT_BYTES);
    tg_info_u64("cmd_max", TG_CMD_MAX);
    tg_info_u64("switches", TG_MODEL_NUM_SWITCHES);
    tg_info_u64("switch", (uint64_t)tg_get_switch());
    tg_info_key("frontend");
    tg_io_str(tg_audio_frontend());
    tg_io_end_bracket();
}

static void tg_cmd_load(const tg_word *args, int nargs)
{
    int done = nargs == 2 ? tg_input_upload_one(&args[0], &args[1]) : tg_input_upload(&args[0]);
    if (done == 0) {
        tg_io_line("m-load-done");
    }
}

static void tg_invoke_and_report(void)
{
    uint64_t count = tg_infer_run();
    tg_infer_print_out();
    tg_infer_print_count(count);
}

static void tg_cmd_run(const tg_word *args, int nargs)
{
    (void)nargs;
    if (tg_input_upload(&args[0]) == 0) {
        tg_invoke_and_report();
    }
}

static void tg_cmd_invoke(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    if (tg_input_check() == 0) {
        tg_invoke_and_report();
    }
}

static void tg_cmd_out(const tg_word *args, int nargs)
{
    uint32_t index = 0;
    if (nargs == 1) {
        if (tg_arg_u32(&args[0], &index) != 0) {
            return;
        }
        if (index >= (uint32_t)TG_MODEL_NUM_OUTPUTS) {
            tg_io_str("e-[output ");
            tg_io_u64(index);
            tg_io_str(" out of range: the model has ");
            tg_io_u64((uint64_t)TG_MODEL_NUM_OUTPUTS);
            tg_io_str(TG_MODEL_NUM_OUTPUTS == 1 ? " output]" : " outputs]");
            tg_io_end_line();
            return;
        }
    }
    if (tg_infer_check_outputs() != 0) {
        return;
    }
    if (nargs == 1) {
        tg_infer_print_output((int)index);
    } else {
        tg_infer_print_out();
    }
}

/* Dynamic inference of the last inference: the exit that answered, then each gate's kept channels (-1: not run). */
static void tg_cmd_dyn(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    if (tg_infer_check_outputs() != 0) {
        return;
    }
    tg_io_str("m-tg-dyn-[");
    tg_io_u64((uint64_t)tg_model_exit());
    for (int g = 0; g < TG_MODEL_NUM_GATES; g++) {
        const int32_t kept = tg_model_gate_kept(g);
        tg_io_char(',');
        if (kept < 0) {
            tg_io_char('-');
        }
        tg_io_u64((uint64_t)(kept < 0 ? -kept : kept));
    }
    tg_io_end_bracket();
}

/* Recurrent layers: their state back to its initial value (tg_model_reset_state); a new sequence starts. */
static void tg_cmd_reset(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    tg_model_reset_state();
    tg_io_str("m-tg-reset-[");
    tg_io_u64((uint64_t)TG_MODEL_STATE_BYTES);
    tg_io_char(',');
    tg_io_u64((uint64_t)TG_MODEL_STATEFUL);
    tg_io_end_bracket();
}

static void tg_cmd_layers(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    if (tg_input_check() != 0) {
        return;
    }
    tg_input_to_model();
    uint64_t total = 0;
    for (int i = 0; i < tg_model_num_layers(); i++) {
        uint64_t start = tg_port_counter();
        tg_model_invoke_layer(i);
        uint64_t count = tg_port_counter() - start;
        total += count;
        tg_io_str("m-tg-layer-[");
        tg_io_u64((uint64_t)i);
        tg_io_char(',');
        tg_io_str(tg_model_layer_name(i));
        tg_io_char(',');
        tg_io_u64(count);
        tg_io_end_bracket();
    }
    tg_infer_outputs_done();
    tg_infer_print_out();
    tg_infer_print_count(total);
}

static void tg_cmd_layer_out(const tg_word *args, int nargs)
{
    (void)nargs;
    uint32_t layer;
    if (tg_arg_u32(&args[0], &layer) != 0) {
        return;
    }
    if (layer >= (uint32_t)tg_model_num_layers()) {
        tg_io_str("e-[layer ");
        tg_io_u64(layer);
        tg_io_str(" out of range: the model has ");
        tg_io_u64((uint64_t)tg_model_num_layers());
        tg_io_str(" layers]");
        tg_io_end_line();
        return;
    }
    if (tg_input_check() != 0) {
        return;
    }
    tg_input_to_model();
    for (int i = 0; i <= (int)layer; i++) {
        tg_model_invoke_layer(i);
    }
    tg_infer_forget();
    tg_io_str("m-tg-layer-out-[");
    tg_io_u64(layer);
    tg_io_char(',');
    tg_io_hex((const uint8_t *)tg_model_layer_output((int)layer), (size_t)tg_model_layer_output_size((int)layer));
    tg_io_end_bracket();
}

static void tg_cmd_exit(const tg_word *args, int nargs)
{
    (void)nargs;
    uint32_t code;
    if (tg_arg_u32(&args[0], &code) != 0) {
        return;
    }
    if (code > TG_EXIT_CODE_MAX) {
        tg_error("exit code must be 0..255");
        return;
    }
    tg_io_str("m-tg-exit-[");
    tg_io_u64(code);
    tg_io_end_bracket();
    tg_port_exit((int)code);
}

const tg_command tg_ext_commands[] = {
    {"info", 0, 0, tg_cmd_info, "", "model, port and counter as key=value"},
    {"load", 1, 2, tg_cmd_load, "N [I]", "then N raw bytes: the whole input, or model input I alone"},
    {"run", 1, 1, tg_cmd_run, "N", "then N raw bytes; one inference, its outputs and count"},
    {"invoke", 0, 0, tg_cmd_invoke, "", "one inference on the loaded input"},
    {"out", 0, 1, tg_cmd_out, "[I]", "the outputs of the last inference (or output I alone), hex"},
    {"dyn", 0, 0, tg_cmd_dyn, "", "the last inference's exit and each gate's kept channels (-1: not run)"},
    {"layers", 0, 0, tg_cmd_layers, "", "one inference layer by layer, a count per layer"},
    {"reset", 0, 0, tg_cmd_reset, "", "the recurrent layers' state to its initial value (a new sequence)"},
    {"layer-out", 1, 1, tg_cmd_layer_out, "I", "run layers 0..I, print layer I's output"},
    {"lap", 0, 1, tg_cmd_lap, "[us|instr]",
     "unit of lap lines; stand-ins: instr (default) or us = instructions at the board's clock"},
    {"audio", 1, 1, tg_cmd_audio, "N", "then N raw bytes of 16 kHz int16 audio; its features, outputs, counts"},
    {"stream", 1, 7, tg_cmd_stream, "start HOP SMOOTH THRESHOLD REFRACTORY [VERBOSE [MASK]] | N | stop",
     "keyword detection on streamed audio (N raw bytes a chunk)"},
    {"pin", 0, 1, tg_cmd_pin, "[off|each|eembc]", "energy mode: how the timestamp pin frames infer's runs; edges"},
    {"exit", 1, 1, tg_cmd_exit, "CODE", "leave the firmware (0..255; stand-ins exit)"},
#ifdef TG_MODEL_CAMERA
    TG_CAMERA_COMMANDS
#endif
#ifdef TG_MODEL_LIBM
    TG_LIBM_COMMANDS /* kernels calling the C library's expf, tanhf...: tg libm (firmware/libm) */
#endif
};
const int tg_ext_command_count = (int)(sizeof tg_ext_commands / sizeof tg_ext_commands[0]);
