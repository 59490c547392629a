/*
 * tg_kernels_moves.h: data movement on elements of any size (1, 2, 4 or 8 bytes), one
 * kernel per operation whatever the element type: what TFLite's UNPACK, SPLIT, SPLIT_V,
 * REVERSE_V2, BROADCAST_TO, DEPTH_TO_SPACE, SPACE_TO_DEPTH, BATCH_TO_SPACE_ND,
 * SPACE_TO_BATCH_ND, RESIZE_NEAREST_NEIGHBOR (tg_strided_copy) and GATHER, GATHER_ND,
 * EMBEDDING_LOOKUP (tg_gather) compute. The bytes are copied as they are, as TFLite Micro's
 * kernels do whatever the two tensors' quantization.
 * numpy twins: tinygen/ref/moves.py (named like the kernel minus tg_).
 */
#ifndef TG_KERNELS_MOVES_H
#define TG_KERNELS_MOVES_H

#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_COPY_RANK 6

typedef struct {
    int32_t elem_size;              /* bytes per element: 1, 2, 4 or 8 */
    int32_t count[TG_COPY_RANK];    /* the output as nested runs, outermost first */
    int32_t step[TG_COPY_RANK];     /* input elements between neighbours of each run, any sign */
    int32_t offset;                 /* the input element output element 0 copies */
} tg_strided_copy_params_t;

/*
 * Strided copy: output element (i0, ..., i5) of count[] (row-major) copies input element
 * offset + sum_d i_d * step[d]; a step of 0 repeats an element, a negative one walks
 * backwards. Not in place.
 */
void tg_strided_copy(const tg_strided_copy_params_t *p, const void *input, void *output);

#define TG_GATHER_MAX_DIMS 4

typedef struct {
    int32_t elem_size;              /* bytes per element: 1, 2, 4 or 8 */
    int32_t outer;                  /* values viewed as [outer, rows, inner] */
    int32_t rows;                   /* product of index_dims[0 .. depth - 1] */
    int32_t inner;                  /* elements per row */
    int32_t count;                  /* rows gathered per outer slice */
    int32_t depth;                  /* coordinates per index: 1 .. TG_GATHER_MAX_DIMS */
    int32_t index_dims[TG_GATHER_MAX_DIMS];  /* the indexed dimensions of the values */
} tg_gather_params_t;

/*
 * Gather: output [outer, count, inner] row (o, k) copies values row (o, r), r the row of
 * coordinates indices[k * depth .. k * depth + depth - 1] in index_dims (row-major); a
 * coordinate outside its dimension gives a row of zeros. values and indices may lie in
 * flash or in the arena. Not in place.
 */
void tg_gather(const tg_gather_params_t *p, const void *values, const int32_t *indices, void *output);

#define TG_UPDATE_RANK 4

typedef struct {
    int32_t elem_size;                      /* bytes per element: 1, 2, 4 or 8 */
    int32_t rank;                           /* the operand's own rank, 1 .. TG_UPDATE_RANK */
    int32_t shape[TG_UPDATE_RANK];          /* the operand (and output), 1s before its own dimensions */
    int32_t update_shape[TG_UPDATE_RANK];   /* the update, likewise */
    int32_t start[TG_UPDATE_RANK];          /* the start where it is a constant (start pointer NULL) */
} tg_dynamic_update_slice_params_t;

/*
 * Dynamic update slice: the output is the operand with the update written from the start
 * indices, each clamped to [0, shape - update_shape] (TFLite's DYNAMIC_UPDATE_SLICE). start:
 * rank int32 indices in the arena, or NULL for p->start. May run in place (output == operand).
 */
void tg_dynamic_update_slice(const tg_dynamic_update_slice_params_t *p, const void *operand, const void *update,
                             const int32_t *start, void *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_MOVES_H */
