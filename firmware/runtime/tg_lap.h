/*
 * Lap lines, the counter readings of `timestamp` and `infer` (PROTOCOL.md,
 * "Lap lines"), and `tg lap`, which picks their unit on stand-ins.
 */
#ifndef TG_LAP_H
#define TG_LAP_H

#include <stdint.h>

#include "tg_protocol.h"

/* A lap line for a reading of tg_port_counter(): m-lap-us-N or m-lap-instr-N. */
void tg_lap_print(uint64_t count);

/* "us" or "instr": the unit of the lap lines printed now. */
const char *tg_lap_unit(void);

/*
 * After `m-profile-[tinygen VERSION` on a stand-in: ", emulated: ..." saying
 * what its lap lines count; nothing on real boards and the stdio port.
 */
void tg_lap_print_profile_note(void);

/* `tg lap [us|instr]%`: answers m-tg-lap-[UNIT] (the unit now in use). */
void tg_cmd_lap(const tg_word *args, int nargs);

#endif /* TG_LAP_H */
