/*
 * Running the model on the staged input, and what the last run produced.
 * Outputs count as valid only after a complete inference: a partial run
 * (`tg layer-out`) leaves the output buffers half written.
 */
#ifndef TG_INFER_H
#define TG_INFER_H

#include <stdint.h>

/* Copy the staged input into the model and invoke it; returns the counter units the invoke took. */
uint64_t tg_infer_run(void);

/* One timed run of EEMBC `infer`: as tg_infer_run, the model call framed by the timestamp pin (tg_timestamp.h). */
void tg_infer_run_framed(void);

/* Forget the last outputs (after running only some layers). */
void tg_infer_forget(void);

/* Mark the outputs valid (after running every layer one by one). */
void tg_infer_outputs_done(void);

/* 0 if an inference completed since boot (or the last partial run); else prints e- and returns -1. */
int tg_infer_check_outputs(void);

/* m-tg-out-[HEX]: every output's raw int8 bytes, back to back. */
void tg_infer_print_out(void);

/* m-tg-output-[I,HEX]: model output `index`'s raw int8 bytes (0 <= index < TG_MODEL_NUM_OUTPUTS). */
void tg_infer_print_output(int index);

/* m-results-[f,...]: every output dequantized, three decimals (tg_io_f3). */
void tg_infer_print_results(void);

/* m-tg-count-[C] */
void tg_infer_print_count(uint64_t count);

#endif /* TG_INFER_H */
