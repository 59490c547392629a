/*
 * The audio commands of a firmware built without a front end: an upload's
 * bytes are read and dropped (so that they are not taken for commands), then
 * e-[no audio front end ...]. See tg_audio_cmd.h.
 */
#include "tg_audio_cmd.h"
#include "tg_input.h"
#include "tg_io.h"

static void tg_audio_none(const tg_word *n)
{
    uint32_t bytes;
    uint32_t dropped = 0u;
    if (n != NULL && tg_word_u32(n, &bytes) == 0) {
        dropped = tg_input_receive(NULL, bytes);
    }
    tg_io_str("e-[no audio front end in this firmware: build it with --frontend mfcc");
    if (n != NULL) {
        tg_io_str(" (discarded ");
        tg_io_u64(dropped);
        tg_io_str(" bytes)");
    }
    tg_io_end_bracket();
}

void tg_cmd_audio(const tg_word *args, int nargs)
{
    (void)nargs;
    tg_audio_none(&args[0]);
}

void tg_cmd_stream(const tg_word *args, int nargs)
{
    int upload = nargs == 1 && !tg_word_is(&args[0], "start") && !tg_word_is(&args[0], "stop");
    tg_audio_none(upload ? &args[0] : NULL);
}

const char *tg_audio_frontend(void)
{
    return "none";
}
