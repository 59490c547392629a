/*
 * The energy-mode timestamp pin (EEMBC EnergyRunner / MLPerf Tiny): a GPIO
 * that an energy meter records beside the current, so that it knows when an
 * inference ran. The pin idles high; how it frames the timed runs of
 * `infer` is set by `tg pin` (PROTOCOL.md, "tinygen extensions"):
 *
 *   each   low for exactly each timed inference (falling edge as it starts,
 *          rising as it ends): tinygen's host cuts the trace per inference
 *   eembc  a low pulse of at least TG_TIMESTAMP_PULSE_US where the EEMBC
 *          firmware calls th_timestamp(): before the first and after the
 *          last timed run, and on `timestamp%`
 *
 * Lap lines (m-lap-us) are printed in every mode, unchanged.
 */
#ifndef TG_TIMESTAMP_H
#define TG_TIMESTAMP_H

#include <stdint.h>

#include "tg_protocol.h"

/* EEMBC's th_timestamp() holds the pin low at least this long (its porting guide: >= 1 us). */
#define TG_TIMESTAMP_PULSE_US 2u

/* Drive the pin (1 high, 0 low) through the port; counts the edges. */
void tg_timestamp_level(int high);

/* eembc framing: one low pulse (start or end of the timed runs, `timestamp%`); nothing in each framing. */
void tg_timestamp_mark(void);

/* 1 in each framing: `infer` then runs tg_infer_run_framed() instead of tg_infer_run(). */
int tg_timestamp_each(void);

/* each framing: the pin low (start != 0) or high around one timed inference; nothing in eembc framing. */
void tg_timestamp_inference(int start);

/* `tg pin [off|each|eembc]%`: answers m-tg-pin-[MODE,edges=N] (N: edges driven since boot). */
void tg_cmd_pin(const tg_word *args, int nargs);

#endif /* TG_TIMESTAMP_H */
