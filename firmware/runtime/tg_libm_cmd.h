/*
 * `tg libm` (PROTOCOL.md, "The C library's functions"): the device's own C library functions
 * that the model's float kernels call (expf, tanhf, ...), evaluated on float32 values a host
 * sends, so that the host's reference computes with this libm, not its own. Only in a firmware
 * whose kernels call libm (model.h defines TG_MODEL_LIBM and TG_MODEL_LIBM_FUNCTIONS; the
 * command is firmware/libm/tg_libm_cmd.c, which codegen compiles in then and only then).
 */
#ifndef TG_LIBM_CMD_H
#define TG_LIBM_CMD_H

#include "tg_protocol.h"

/* Most float32 values one request carries (4 bytes each): the command's static buffer. */
#define TG_LIBM_MAX_VALUES 256u

/* `tg libm%`: the functions; `tg libm FUNC N%` + N raw bytes: FUNC on N / 4 float32 values. */
void tg_cmd_libm(const tg_word *args, int nargs);

/* The entry tg_ext.c adds to the `tg` command table in a firmware with TG_MODEL_LIBM. */
#define TG_LIBM_COMMANDS \
    {"libm", 0, 2, tg_cmd_libm, "[FUNC N]", \
     "then N raw bytes: float32 values through this C library's FUNC (expf...), the results' bits"},

#endif /* TG_LIBM_CMD_H */
