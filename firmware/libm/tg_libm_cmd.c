/*
 * `tg libm` (PROTOCOL.md, "The C library's functions"; tg_libm_cmd.h): the C library's float
 * functions the model's kernels call, on float32 values from the host, results as bit patterns.
 * C libraries round some results of expf, tanhf, logf... differently (newlib on Cortex-M, glibc on
 * a Linux host): a host that computes its reference with these values checks the device bit for
 * bit. model.h lists the functions (TG_MODEL_LIBM_FUNCTIONS, one TG_LIBM_FUNCTION(name) each).
 */
#include <math.h>
#include <stdint.h>

#include "model.h"
#include "tg_input.h"
#include "tg_io.h"
#include "tg_libm_cmd.h"

typedef struct {
    const char *name;
    float (*fn)(float);
} tg_libm_function;

/* The same functions the kernels call: the C library's, by name. */
#define TG_LIBM_FUNCTION(f) {#f, f},
static const tg_libm_function tg_libm_functions[] = {TG_MODEL_LIBM_FUNCTIONS};
#undef TG_LIBM_FUNCTION
#define TG_LIBM_FUNCTION_COUNT (sizeof tg_libm_functions / sizeof tg_libm_functions[0])

/* One request's values, replaced by their results in place. */
static float tg_libm_values[TG_LIBM_MAX_VALUES];

/* The functions' names, separated by `sep`. */
static void tg_libm_names(const char *sep)
{
    for (uint32_t i = 0; i < TG_LIBM_FUNCTION_COUNT; i++) {
        if (i > 0) {
            tg_io_str(sep);
        }
        tg_io_str(tg_libm_functions[i].name);
    }
}

static const tg_libm_function *tg_libm_find(const tg_word *name)
{
    for (uint32_t i = 0; i < TG_LIBM_FUNCTION_COUNT; i++) {
        if (tg_word_is(name, tg_libm_functions[i].name)) {
            return &tg_libm_functions[i];
        }
    }
    return NULL;
}

void tg_cmd_libm(const tg_word *args, int nargs)
{
    uint32_t n;
    if (nargs == 0) { /* m-tg-libm-functions-[expf/tanhf,MAX]: what this firmware evaluates, bytes a request */
        tg_io_str("m-tg-libm-functions-[");
        tg_libm_names("/");
        tg_io_char(',');
        tg_io_u64(4u * TG_LIBM_MAX_VALUES);
        tg_io_end_bracket();
        return;
    }
    if (nargs != 2) {
        tg_error("usage: tg libm [FUNC N]");
        return;
    }
    if (tg_arg_u32(&args[1], &n) != 0) {
        return;
    }
    const tg_libm_function *f = tg_libm_find(&args[0]);
    if (f == NULL) {
        tg_io_str("e-[libm: no function ");
        tg_print_word(&args[0]);
        tg_io_str(" in this firmware (it has ");
        tg_libm_names(", ");
        tg_io_char(')');
        tg_input_refuse(n);
        return;
    }
    if (n == 0u || n % 4u != 0u || n > 4u * TG_LIBM_MAX_VALUES) {
        tg_io_str("e-[libm: ");
        tg_io_u64(n);
        tg_io_str(" bytes: send 4 to ");
        tg_io_u64(4u * TG_LIBM_MAX_VALUES);
        tg_io_str(", a whole number of float32 values");
        tg_input_refuse(n);
        return;
    }
    uint32_t got = tg_input_receive((uint8_t *)tg_libm_values, n);
    if (got < n) {
        tg_input_truncated(got, n);
        return;
    }
    for (uint32_t i = 0; i < n / 4u; i++) {
        tg_libm_values[i] = f->fn(tg_libm_values[i]);
    }
    tg_io_str("m-tg-libm-[");
    tg_io_str(f->name);
    tg_io_char(',');
    tg_io_hex((const uint8_t *)tg_libm_values, n);
    tg_io_end_bracket();
}
