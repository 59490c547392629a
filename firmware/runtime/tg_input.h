/*
 * The input staging buffer: TG_MODEL_INPUT_BYTES bytes (every model input back
 * to back), filled by `db load` + `db HEX` or by a raw `tg load` / `tg run`
 * upload (the whole buffer), or one model input at a time (`tg load N I`), and
 * copied into the model's inputs before each inference. It is separate from
 * the model's arena, which activations overwrite.
 *
 * A model whose input streams in (TG_MODEL_INPUT_STREAMED: camera frames into row bands)
 * has only one band's window of input rows here: the loads, tg_input_check and so every
 * command needing the whole input answer an e- line saying so (PROTOCOL.md); the camera
 * front end (firmware/camera) writes the rows through tg_input_fill().
 */
#ifndef TG_INPUT_H
#define TG_INPUT_H

#include <stdint.h>

#include "tg_protocol.h"

/* `db load N`: start a hex upload of N bytes (1..TG_MODEL_INPUT_BYTES). */
void tg_input_db_load(const tg_word *n);

/* `db HEX`: append hex bytes to the upload started by `db load`. */
void tg_input_db_hex(const tg_word *hex);

/* `db print`: the bytes received so far, 8 to a line. */
void tg_input_db_print(void);

/*
 * Raw upload of `n` bytes (`tg load N` / `tg run N`). A wrong N (not the
 * model's input bytes) is reported after reading and discarding what the host
 * sends, so that its bytes are not taken for commands. Returns 0 when the
 * buffer holds a complete input, -1 after printing an e- line.
 */
int tg_input_upload(const tg_word *n);

/*
 * Raw upload of `n` bytes into model input `index` alone (`tg load N I`); the
 * other inputs keep their bytes. A bad index or a wrong N (not that input's
 * bytes) is reported after reading and discarding what the host sends.
 * Returns 0 when the input arrived, -1 after printing an e- line.
 */
int tg_input_upload_one(const tg_word *n, const tg_word *index);

/*
 * Read up to `n` raw bytes of an upload into `dst` (or discard them: dst NULL),
 * stopping early when none arrives for TG_UPLOAD_TIMEOUT_MS; returns how many came.
 */
uint32_t tg_input_receive(uint8_t *dst, uint32_t n);

/* e-[upload truncated: got K of N bytes], a whole line. */
void tg_input_truncated(uint32_t got, uint32_t want);

/*
 * The end of an e- line refusing an upload of `n` bytes: reads and drops them (or until they
 * stop for TG_UPLOAD_TIMEOUT_MS), then prints " (discarded K bytes)]" and ends the line. The
 * caller printed "e-[" and the reason.
 */
void tg_input_refuse(uint32_t n);

/* 0 if the buffer holds every model input; else prints an e- line and returns -1 (always when
   the input streams in). */
int tg_input_check(void);

/* Copy the staged input into tg_model_input(0..) (call tg_input_check() first). */
void tg_input_to_model(void);

/*
 * For a front end that writes the model's input itself (the camera's frames,
 * firmware/camera): tg_input_fill() empties the buffer and returns it
 * (TG_MODEL_INPUT_BYTES bytes); tg_input_filled() marks it complete.
 */
uint8_t *tg_input_fill(void);
void tg_input_filled(void);

/* Bytes in the buffer now, and the buffer itself. */
uint32_t tg_input_staged(void);
const uint8_t *tg_input_data(void);

#endif /* TG_INPUT_H */
