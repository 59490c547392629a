/*
 * The audio commands `tg audio` and `tg stream` (PROTOCOL.md, "Audio front
 * end"). A firmware built with a front end (tinygen build --frontend mfcc)
 * has them in firmware/audio/tg_audio_cmd.c; any other firmware has
 * firmware/audio/tg_audio_none.c, which reads and drops an upload's bytes and
 * answers that there is no front end.
 */
#ifndef TG_AUDIO_CMD_H
#define TG_AUDIO_CMD_H

#include "tg_protocol.h"

/* `tg audio N%` + N raw bytes: one clip through the front end and the model. */
void tg_cmd_audio(const tg_word *args, int nargs);

/* `tg stream start ...%`, `tg stream N%` + N raw bytes, `tg stream stop%`. */
void tg_cmd_stream(const tg_word *args, int nargs);

/* The front end in this firmware, as `tg info` reports it: "mfcc-f32", "mfcc-q31" or "none". */
const char *tg_audio_frontend(void);

#endif /* TG_AUDIO_CMD_H */
