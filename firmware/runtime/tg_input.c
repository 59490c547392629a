/* The input staging buffer and the two ways to fill it: see tg_input.h. */
#include "tg_input.h"

#include "model.h"
#include "tg_io.h"
#include "tg_port.h"

#ifdef TG_MODEL_INPUT_STREAMED
/* The input streams in (camera frames into row bands, firmware/camera): the buffer holds one
   band's window of rows, never the whole input, so nothing may load or read it whole. */
#define TG_INPUT_STREAMED 1
#else
#define TG_INPUT_STREAMED 0
#endif
#define TG_STREAMED_TEXT                                                                                \
    "the input streams in: this firmware takes camera frames only (tg frame, tg chunk; the last chunk " \
    "answers the outputs, then tg out and results); build it with --whole-input to load whole inputs"

#ifdef TG_MODEL_INPUT_OUTSIDE_ARENA
/* The model reads its input rows straight from its own input buffer (row bands): that
   buffer is the staging buffer, so the input is held once. */
#define tg_staging ((uint8_t *)tg_model_input(0))
#else
static uint8_t tg_staging[TG_MODEL_INPUT_BYTES];
#endif
static uint32_t tg_staged;   /* bytes of the whole buffer received in order; all of them once every input is there */
static uint32_t tg_expected; /* size of the current upload; 0 before any `db load` */
static uint8_t tg_have[TG_MODEL_NUM_INPUTS]; /* input i present (whole upload, or `tg load N I`) */

static void tg_have_all(uint8_t value)
{
    for (int i = 0; i < TG_MODEL_NUM_INPUTS; i++) {
        tg_have[i] = value;
    }
}

/* Offset of model input `index` in the buffer. */
static uint32_t tg_input_offset(int index)
{
    uint32_t offset = 0;
    for (int i = 0; i < index; i++) {
        offset += (uint32_t)tg_model_input_size(i);
    }
    return offset;
}

static int tg_hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

void tg_input_db_load(const tg_word *n)
{
    if (TG_INPUT_STREAMED) {
        tg_error(TG_STREAMED_TEXT);
        return;
    }
    uint32_t want;
    if (tg_arg_u32(n, &want) != 0) {
        return;
    }
    if (want == 0 || want > TG_MODEL_INPUT_BYTES) {
        tg_io_str("e-[db load: N must be 1..");
        tg_io_u64(TG_MODEL_INPUT_BYTES);
        tg_io_str(", got ");
        tg_io_u64(want);
        tg_io_end_bracket();
        return;
    }
    tg_expected = want;
    tg_staged = 0;
    tg_have_all(0);
    tg_io_str("m-[Expecting ");
    tg_io_u64(want);
    tg_io_str(" bytes]");
    tg_io_end_line();
}

void tg_input_db_hex(const tg_word *hex)
{
    if (TG_INPUT_STREAMED) {
        tg_error(TG_STREAMED_TEXT);
        return;
    }
    if (tg_expected == 0) {
        tg_error("db: no buffer, send db load N first");
        return;
    }
    if (hex->n % 2 != 0) {
        tg_error("db: odd number of hex digits");
        return;
    }
    for (size_t i = 0; i < hex->n; i++) {
        if (tg_hex_digit(hex->s[i]) < 0) {
            tg_word bad = {hex->s + i, 1};
            tg_io_str("e-[db: bad hex digit '");
            tg_print_word(&bad);
            tg_io_char('\'');
            tg_io_end_bracket();
            return;
        }
    }
    uint32_t count = (uint32_t)(hex->n / 2);
    if (count > tg_expected - tg_staged) {
        tg_io_str("e-[db: ");
        tg_io_u64(count);
        tg_io_str(" bytes, but only ");
        tg_io_u64(tg_expected - tg_staged);
        tg_io_str(" more expected]");
        tg_io_end_line();
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        int hi = tg_hex_digit(hex->s[2 * i]);
        int lo = tg_hex_digit(hex->s[2 * i + 1]);
        tg_staging[tg_staged++] = (uint8_t)(hi << 4 | lo);
    }
    if (tg_staged == tg_expected) {
        tg_have_all(tg_staged == TG_MODEL_INPUT_BYTES);
        tg_io_line("m-load-done");
    }
}

void tg_input_db_print(void)
{
    for (uint32_t i = 0; i < tg_staged; i++) {
        tg_io_str(i % 8u == 0u ? "m-buffer-" : "-");
        tg_io_hex(&tg_staging[i], 1);
        if (i % 8u == 7u || i + 1 == tg_staged) {
            tg_io_end_line();
        }
    }
}

void tg_input_truncated(uint32_t got, uint32_t want)
{
    tg_io_str("e-[upload truncated: got ");
    tg_io_u64(got);
    tg_io_str(" of ");
    tg_io_u64(want);
    tg_io_str(" bytes]");
    tg_io_end_line();
}

uint32_t tg_input_receive(uint8_t *dst, uint32_t n)
{
    uint32_t got = 0;
    while (got < n) {
        int c = tg_port_getc(TG_UPLOAD_TIMEOUT_MS);
        if (c < 0) {
            break;
        }
        if (dst != NULL) {
            dst[got] = (uint8_t)c;
        }
        got++;
    }
    return got;
}

void tg_input_refuse(uint32_t n)
{
    uint32_t dropped = tg_input_receive(NULL, n);
    tg_io_str(" (discarded ");
    tg_io_u64(dropped);
    tg_io_str(" bytes)]");
    tg_io_end_line();
}

int tg_input_upload(const tg_word *n)
{
    uint32_t want;
    if (tg_arg_u32(n, &want) != 0) {
        return -1;
    }
    if (TG_INPUT_STREAMED) {
        tg_io_str("e-[" TG_STREAMED_TEXT);
        tg_input_refuse(want);
        return -1;
    }
    if (want != TG_MODEL_INPUT_BYTES) {
        tg_io_str("e-[upload of ");
        tg_io_u64(want);
        tg_io_str(" bytes, model takes ");
        tg_io_u64(TG_MODEL_INPUT_BYTES);
        tg_input_refuse(want);
        return -1;
    }
    tg_expected = want;
    tg_staged = tg_input_receive(tg_staging, want);
    if (tg_staged < want) {
        tg_input_truncated(tg_staged, want);
        tg_staged = 0;
        tg_expected = 0;
        tg_have_all(0);
        return -1;
    }
    tg_have_all(1);
    return 0;
}

int tg_input_upload_one(const tg_word *n, const tg_word *index)
{
    uint32_t want;
    uint32_t i;
    if (tg_arg_u32(n, &want) != 0) {
        return -1;
    }
    if (TG_INPUT_STREAMED) {
        tg_io_str("e-[" TG_STREAMED_TEXT);
        tg_input_refuse(want);
        return -1;
    }
    if (tg_word_u32(index, &i) != 0) {
        tg_io_str("e-[bad input index: ");
        tg_print_word(index);
        tg_input_refuse(want);
        return -1;
    }
    if (i >= (uint32_t)TG_MODEL_NUM_INPUTS) {
        tg_io_str("e-[input ");
        tg_io_u64(i);
        tg_io_str(" out of range: the model has ");
        tg_io_u64((uint64_t)TG_MODEL_NUM_INPUTS);
        tg_io_str(TG_MODEL_NUM_INPUTS == 1 ? " input" : " inputs");
        tg_input_refuse(want);
        return -1;
    }
    uint32_t size = (uint32_t)tg_model_input_size((int)i);
    if (want != size) {
        tg_io_str("e-[upload of ");
        tg_io_u64(want);
        tg_io_str(" bytes, input ");
        tg_io_u64(i);
        tg_io_str(" takes ");
        tg_io_u64(size);
        tg_input_refuse(want);
        return -1;
    }
    tg_expected = 0; /* ends a `db load` upload: `db HEX` needs a `db load` again */
    uint32_t got = tg_input_receive(tg_staging + tg_input_offset((int)i), want);
    tg_have[i] = (uint8_t)(got == want);
    int all = 1;
    for (int k = 0; k < TG_MODEL_NUM_INPUTS; k++) {
        all = all && tg_have[k];
    }
    tg_staged = all ? TG_MODEL_INPUT_BYTES : 0;
    if (got < want) {
        tg_input_truncated(got, want);
        return -1;
    }
    return 0;
}

int tg_input_check(void)
{
    if (TG_INPUT_STREAMED) {
        tg_error(TG_STREAMED_TEXT);
        return -1;
    }
    if (tg_staged == TG_MODEL_INPUT_BYTES) {
        return 0;
    }
    int some = 0;
    int missing = -1;
    for (int i = 0; i < TG_MODEL_NUM_INPUTS; i++) {
        if (tg_have[i]) {
            some = 1;
        } else if (missing < 0) {
            missing = i;
        }
    }
    if (some) { /* some inputs came one by one: name the first one missing */
        tg_io_str("e-[input ");
        tg_io_u64((uint64_t)missing);
        tg_io_str(" not loaded: send tg load ");
        tg_io_u64((uint64_t)tg_model_input_size(missing));
        tg_io_char(' ');
        tg_io_u64((uint64_t)missing);
        tg_io_str(" and its bytes]");
        tg_io_end_line();
        return -1;
    }
    tg_io_str("e-[input has ");
    tg_io_u64(tg_staged);
    tg_io_str(" bytes, model takes ");
    tg_io_u64(TG_MODEL_INPUT_BYTES);
    tg_io_end_bracket();
    return -1;
}

void tg_input_to_model(void)
{
    const uint8_t *src = tg_staging;
    for (int i = 0; i < TG_MODEL_NUM_INPUTS; i++) {
        int8_t *dst = tg_model_input(i);
        int32_t size = tg_model_input_size(i);
        for (int32_t k = 0; (const uint8_t *)dst != src && k < size; k++) {
            dst[k] = (int8_t)src[k];
        }
        src += size;
    }
}

uint8_t *tg_input_fill(void)
{
    tg_staged = 0;
    tg_expected = 0; /* `db HEX` needs a `db load` again */
    tg_have_all(0);
    return tg_staging;
}

void tg_input_filled(void)
{
    if (TG_INPUT_STREAMED) {
        return; /* the buffer holds the last band's rows, not the input */
    }
    tg_staged = TG_MODEL_INPUT_BYTES;
    tg_have_all(1);
}

uint32_t tg_input_staged(void)
{
    return tg_staged;
}

const uint8_t *tg_input_data(void)
{
    return tg_staging;
}
