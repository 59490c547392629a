/*
 * The audio commands (PROTOCOL.md, "Audio front end"): clips through the
 * front end and the model (`tg audio`), and streaming keyword detection
 * (`tg stream`), whose host reference is tinygen.audio.stream.run_stream.
 *
 * Audio arrives as raw little-endian int16 uploads of at most one clip
 * (TG_AUDIO_MAX_BYTES) into one buffer. Stream mode cuts the samples into
 * frames as they come (480 every 320), computes each frame's coefficients
 * once into the front end's ring, and every HOP frames, once 49 are there,
 * runs the network on the ring's window and the detector on its outputs.
 */
#include "model.h"
#include "tg_audio_cmd.h"
#include "tg_detector.h"
#include "tg_frontend.h"
#include "tg_infer.h"
#include "tg_input.h"
#include "tg_io.h"
#include "tg_port.h"
#include "tg_protocol.h"

#define TG_AUDIO_MAX_BYTES (2u * TG_MFCC_CLIP_SAMPLES)   /* one clip: 32,000 bytes */
#define TG_STREAM_VERBOSE_MAX 2u                        /* 1: sums per inference, 2: and the window */
#define TG_STREAM_NOT_KEYWORDS 2                        /* default mask: all but the last two classes */
#define TG_STREAM_CARRY (TG_MFCC_FRAME_LENGTH - TG_MFCC_FRAME_STEP)   /* samples frames overlap by */

/* The model this front end feeds: [1, 49, 10, 1] int8 in, at most 32 classes out (checked when building). */
typedef char tg_audio_input_is_features[TG_MODEL_INPUT0_SIZE == TG_MFCC_FEATURES ? 1 : -1];
typedef char tg_audio_output_fits_detector[TG_MODEL_OUTPUT0_SIZE <= TG_DETECTOR_CLASSES_MAX ? 1 : -1];

static int16_t tg_audio_buffer[TG_MFCC_CLIP_SAMPLES];   /* the upload: a clip or a stream chunk */
static int8_t tg_audio_features[TG_MFCC_FEATURES];      /* the last features / window, kept for printing */

typedef struct {
    int started;
    uint32_t hop;
    uint32_t verbose;
    uint64_t samples;        /* received since `tg stream start` */
    uint32_t frames;         /* computed since then */
    uint32_t inferences;
    uint32_t events;
    int16_t pending[TG_MFCC_FRAME_LENGTH];   /* the next frame's samples so far */
    int32_t fill;
    tg_detector detector;
} tg_audio_stream_state;

static tg_audio_stream_state tg_audio_stream;

const char *tg_audio_frontend(void)
{
    return tg_frontend_name();
}

/* Read an upload of n bytes into tg_audio_buffer as samples; -1 (after e-) when it was cut short. */
static int tg_audio_receive(uint32_t n)
{
    uint8_t *bytes = (uint8_t *)tg_audio_buffer;
    uint32_t got = tg_input_receive(bytes, n);
    if (got < n) {
        tg_io_str("e-[upload truncated: got ");
        tg_io_u64(got);
        tg_io_str(" of ");
        tg_io_u64(n);
        tg_io_str(" bytes]");
        tg_io_end_line();
        return -1;
    }
    for (uint32_t i = 0; i < n / 2u; i++) {   /* little-endian on any host */
        uint16_t u = (uint16_t)(bytes[2u * i] | (uint16_t)(bytes[2u * i + 1u] << 8));
        tg_audio_buffer[i] = (int16_t)u;
    }
    return 0;
}

/* An upload the command cannot take: read and drop its bytes, then e-[WHAT (discarded K bytes)]. */
static void tg_audio_refuse(uint32_t n, const char *what, uint32_t value, const char *rest)
{
    uint32_t dropped = tg_input_receive(NULL, n);
    tg_io_str("e-[");
    tg_io_str(what);
    tg_io_u64(value);
    tg_io_str(rest);
    tg_io_str(" (discarded ");
    tg_io_u64(dropped);
    tg_io_str(" bytes)]");
    tg_io_end_line();
}

/* N must be even and at most one clip; else its bytes are dropped. 0 when it is. */
static int tg_audio_check_size(uint32_t n, const char *what)
{
    if (n > TG_AUDIO_MAX_BYTES) {
        tg_audio_refuse(n, what, n, " bytes: more than one clip (32000 bytes, 1 s of 16 kHz int16)");
        return -1;
    }
    if (n % 2u != 0u) {
        tg_audio_refuse(n, what, n, " bytes: odd, but samples are int16 (2 bytes)");
        return -1;
    }
    return 0;
}

static void tg_audio_print_counts(uint64_t frontend, uint64_t network)
{
    tg_infer_print_count(frontend + network);
    tg_io_str("m-tg-split-[");
    tg_io_u64(frontend);
    tg_io_char(',');
    tg_io_u64(network);
    tg_io_end_bracket();
}

/* The features into the model's input, one invoke; returns its count. */
static uint64_t tg_audio_invoke(void)
{
    int8_t *input = tg_model_input(0);
    for (int32_t i = 0; i < TG_MFCC_FEATURES; i++) {
        input[i] = tg_audio_features[i];
    }
    uint64_t start = tg_port_counter();
    tg_model_invoke();
    uint64_t count = tg_port_counter() - start;
    tg_infer_outputs_done();
    return count;
}

void tg_cmd_audio(const tg_word *args, int nargs)
{
    (void)nargs;
    uint32_t n;
    if (tg_arg_u32(&args[0], &n) != 0 || tg_audio_check_size(n, "audio clip of ") != 0
        || tg_audio_receive(n) != 0) {
        return;
    }
    for (uint32_t i = n / 2u; i < TG_MFCC_CLIP_SAMPLES; i++) {   /* a shorter clip is zero-padded */
        tg_audio_buffer[i] = 0;
    }
    uint64_t start = tg_port_counter();
    tg_frontend_clip(tg_audio_buffer, tg_audio_features);
    uint64_t frontend = tg_port_counter() - start;
    uint64_t network = tg_audio_invoke();
    tg_io_str("m-tg-features-[");
    tg_io_hex((const uint8_t *)tg_audio_features, TG_MFCC_FEATURES);
    tg_io_end_bracket();
    tg_infer_print_out();
    tg_audio_print_counts(frontend, network);
}

/* ---- stream mode ---------------------------------------------------------------------- */

static void tg_stream_start(const tg_word *args, int nargs)
{
    uint32_t v[6];
    uint32_t classes = (uint32_t)TG_MODEL_OUTPUT0_SIZE;
    v[4] = 0u;
    v[5] = classes > TG_STREAM_NOT_KEYWORDS ? (1u << (classes - TG_STREAM_NOT_KEYWORDS)) - 1u : 0u;
    if (nargs < 5) {
        tg_error("usage: tg stream start HOP SMOOTH THRESHOLD REFRACTORY [VERBOSE [MASK]]");
        return;
    }
    for (int i = 1; i < nargs; i++) {
        if (tg_arg_u32(&args[i], &v[i - 1]) != 0) {
            return;
        }
    }
    if (v[0] == 0u) {
        tg_error("stream: HOP must be at least 1 (frames between inferences)");
        return;
    }
    if (v[1] == 0u || v[1] > TG_DETECTOR_SMOOTH_MAX) {
        tg_error("stream: SMOOTH must be 1..16 (inferences averaged)");
        return;
    }
    if (v[4] > TG_STREAM_VERBOSE_MAX) {
        tg_error("stream: VERBOSE must be 0, 1 (sums per inference) or 2 (and the window)");
        return;
    }
    if (classes < 32u && (v[5] >> classes) != 0u) {
        tg_io_str("e-[stream: MASK names classes beyond the model's ");
        tg_io_u64(classes);
        tg_io_str(" outputs]");
        tg_io_end_line();
        return;
    }
    tg_audio_stream_state *s = &tg_audio_stream;
    s->started = 1;
    s->hop = v[0];
    s->verbose = v[4];
    s->samples = 0u;
    s->frames = 0u;
    s->inferences = 0u;
    s->events = 0u;
    s->fill = 0;
    tg_detector_init(&s->detector, (int32_t)classes, (int32_t)v[1], v[2], v[3], v[5]);
    tg_io_str("m-tg-stream-start-[");
    for (int i = 0; i < 6; i++) {
        if (i > 0) {
            tg_io_char(',');
        }
        tg_io_u64(v[i]);
    }
    tg_io_end_bracket();
}

static void tg_stream_totals(const char *what)
{
    tg_audio_stream_state *s = &tg_audio_stream;
    tg_io_str(what);
    tg_io_u64(s->samples);
    tg_io_char(',');
    tg_io_u64(s->frames);
    tg_io_char(',');
    tg_io_u64(s->inferences);
    tg_io_char(',');
    tg_io_u64(s->events);
    tg_io_end_bracket();
}

static void tg_stream_stop(void)
{
    if (!tg_audio_stream.started) {
        tg_error("stream: not started (tg stream start HOP SMOOTH THRESHOLD REFRACTORY first)");
        return;
    }
    tg_stream_totals("m-tg-stream-stop-[");
    tg_audio_stream.started = 0;
}

/* The network and the detector on the ring's window, the window ending at sample `end`;
 * the window's normalisation and quantization counted into *windows. */
static uint64_t tg_stream_infer(uint64_t end, uint64_t *windows)
{
    tg_audio_stream_state *s = &tg_audio_stream;
    uint64_t start = tg_port_counter();
    tg_frontend_stream_window((int32_t)(s->frames % TG_MFCC_NUM_FRAMES), tg_audio_features);
    *windows += tg_port_counter() - start;
    uint64_t network = tg_audio_invoke();
    s->inferences++;
    tg_detector_event event;
    int fired = tg_detector_step(&s->detector, tg_model_output(0), TG_MODEL_OUTPUT0_ZERO_POINT, end, &event);
    if (s->verbose >= 1u) {
        tg_io_str("m-tg-inf-[");
        tg_io_u64(end);
        for (int32_t c = 0; c < s->detector.classes; c++) {
            tg_io_char(',');
            tg_io_i64(s->detector.sums[c]);
        }
        tg_io_end_bracket();
    }
    if (s->verbose >= 2u) {
        tg_io_str("m-tg-window-[");
        tg_io_hex((const uint8_t *)tg_audio_features, TG_MFCC_FEATURES);
        tg_io_end_bracket();
    }
    if (fired) {
        s->events++;
        tg_io_str("m-tg-event-[");
        tg_io_u64((uint64_t)event.label);
        tg_io_char(',');
        tg_io_u64(event.sample);
        tg_io_char(',');
        tg_io_i64(event.score);
        tg_io_end_bracket();
    }
    return network;
}

static void tg_stream_chunk(const tg_word *n_word)
{
    uint32_t n;
    if (tg_arg_u32(n_word, &n) != 0) {
        return;
    }
    if (!tg_audio_stream.started) {
        tg_audio_refuse(n, "stream: not started, send tg stream start first; a chunk of ", n, " bytes");
        return;
    }
    if (tg_audio_check_size(n, "stream chunk of ") != 0 || tg_audio_receive(n) != 0) {
        return;
    }
    tg_audio_stream_state *s = &tg_audio_stream;
    uint64_t frontend = 0u;   /* the frames' MFCCs */
    uint64_t windows = 0u;    /* the windows' normalisation and quantization, once per inference */
    uint64_t network = 0u;
    for (uint32_t i = 0; i < n / 2u; i++) {
        s->pending[s->fill++] = tg_audio_buffer[i];
        if (s->fill < TG_MFCC_FRAME_LENGTH) {
            continue;
        }
        uint64_t start = tg_port_counter();
        tg_frontend_stream_frame(s->pending, (int32_t)(s->frames % TG_MFCC_NUM_FRAMES));
        frontend += tg_port_counter() - start;
        s->frames++;
        for (int32_t k = 0; k < TG_STREAM_CARRY; k++) {
            s->pending[k] = s->pending[k + TG_MFCC_FRAME_STEP];
        }
        s->fill = TG_STREAM_CARRY;
        if (s->frames >= TG_MFCC_NUM_FRAMES && (s->frames - TG_MFCC_NUM_FRAMES) % s->hop == 0u) {
            uint64_t end = (uint64_t)(s->frames - 1u) * TG_MFCC_FRAME_STEP + TG_MFCC_FRAME_LENGTH;
            network += tg_stream_infer(end, &windows);
        }
    }
    s->samples += n / 2u;
    tg_stream_totals("m-tg-stream-[");
    tg_audio_print_counts(frontend + windows, network);
    tg_io_str("m-tg-windows-[");
    tg_io_u64(windows);
    tg_io_end_bracket();
}

void tg_cmd_stream(const tg_word *args, int nargs)
{
    if (tg_word_is(&args[0], "start")) {
        tg_stream_start(args, nargs);
    } else if (tg_word_is(&args[0], "stop")) {
        if (nargs != 1) {
            tg_error("usage: tg stream stop");
            return;
        }
        tg_stream_stop();
    } else if (nargs != 1) {
        tg_error("usage: tg stream N (then N raw bytes)");
    } else {
        tg_stream_chunk(&args[0]);
    }
}
