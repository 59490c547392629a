/*
 * tg_kernels_variable.h: TFLite's resource variables (READ_VARIABLE, ASSIGN_VARIABLE), whose
 * bytes live in the arena's persistent region, carried over invocations; tg_model_reset_state()
 * puts each variable's initial value back (its init subgraph's constant, or every byte `fill`).
 * The bytes are copied as they are, whatever the tensor's type.
 * numpy twins: tinygen/ref/variable.py (named like the kernel minus tg_).
 */
#ifndef TG_KERNELS_VARIABLE_H
#define TG_KERNELS_VARIABLE_H

#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t bytes;                  /* the variable's size in bytes */
    int32_t fill;                   /* its every byte without an initial value (0..255: TFLite Micro's zero point cast to int8) */
    int32_t owner;                  /* 1: this layer's state slot holds the bytes; 0: another layer's (the read's) */
} tg_variable_params_t;

/* READ_VARIABLE: output = the variable's bytes (state: p->bytes bytes) */
void tg_read_variable(const tg_variable_params_t *p, const uint8_t *state, uint8_t *output);

/* ASSIGN_VARIABLE: the variable's bytes = value's (value and state: p->bytes bytes each); *done = 1,
 * the node's one-byte output, which only places it in the schedule */
void tg_assign_variable(const tg_variable_params_t *p, const uint8_t *value, uint8_t *state, uint8_t *done);

/* the variable back to its initial value: `initial`'s bytes (flash), or every byte p->fill where it is NULL */
void tg_variable_reset(const tg_variable_params_t *p, const uint8_t *initial, uint8_t *state);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_VARIABLE_H */
