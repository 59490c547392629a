/*
 * tinygen kernels: the simpler operators users' models bring, normalization, attention and the ONNX front end's requantizing average pool and softmax.
 *
 * Part of tg_kernels.h's API, which includes this file: include tg_kernels.h, not this.
 */
#ifndef TG_KERNELS_OPS_H
#define TG_KERNELS_OPS_H

#ifndef TG_KERNELS_H
#error "include tg_kernels.h, which includes this header"
#endif

/* ---------------------------------------------------------------------- */
/* The simpler operators users' models bring: table lookups (logistic,    */
/* tanh, GELU, hard sigmoid), tanh, PReLU, strided slices, mirror padding */
/* (SUM runs tg_mean_s8 with tinygen.quant.op_params.sum_params)          */
/* ---------------------------------------------------------------------- */

typedef struct {
    int32_t size;                   /* elements */
} tg_lut_params_t;

/*
 * An int8 -> int8 elementwise function by a 256-byte table: output[i] =
 * table[(uint8_t)input[i]] (TFLite's table order: the entry for q at index q & 255).
 * The table is built at compile time (tinygen.kernels.lut): LOGISTIC's and TANH's
 * from their fixed-point kernels, GELU's as TFLite builds it, the hard sigmoid's
 * exactly. May run in place.
 */
void tg_lut_s8(const tg_lut_params_t *p, const int8_t *input, const int8_t *table, int8_t *output);

typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t input_range_radius;     /* |x - zero point| at or beyond it saturates */
    int32_t input_multiplier;       /* input scale * 2^27 (into Q4) */
    int32_t input_left_shift;       /* >= 0 */
} tg_tanh_params_t;

/*
 * tanh, TFLite int8 reference algorithm (gemmlowp fixed point): int8 output of
 * scale 1/128, zero point 0. Parameters: tinygen.quant.op_params.tanh_params.
 * May run in place.
 */
void tg_tanh_s8(const tg_tanh_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t shape[4];               /* output shape, as for tg_mul_params_t */
    int32_t input1_strides[4];      /* the input's element strides (the output's shape) */
    int32_t input2_strides[4];      /* alpha's, 0 where alpha is broadcast */
    int32_t input_offset, alpha_offset;     /* -zero points */
    int32_t output_offset;
    int32_t positive_multiplier, positive_shift;   /* input_scale / output_scale */
    int32_t negative_multiplier, negative_shift;   /* input_scale * alpha_scale / output_scale */
} tg_prelu_params_t;

/*
 * PReLU (TFLite int8 PRELU, BroadcastPrelu4DSlow): x = in + input_offset;
 * out = requant+(x) for x >= 0, requant-(x * (alpha + alpha_offset)) for x < 0,
 * plus output_offset, clamped to int8. alpha: int8, read through input2_strides.
 * Parameters: tinygen.quant.op_params.prelu_params. May run in place.
 */
void tg_prelu_s8(const tg_prelu_params_t *p, const int8_t *input, const int8_t *alpha, int8_t *output);

typedef struct {
    int32_t out_shape[4];           /* output shape, collapsed to rank 4 */
    int32_t step[4];                /* input elements between neighbours along each output dim, any sign */
    int32_t offset;                 /* the input element output element 0 copies */
} tg_strided_slice_params_t;

/*
 * Strided slice (TFLite STRIDED_SLICE / SLICE, torch slicing with steps, select,
 * flip): output (i0, i1, i2, i3) copies input[offset + sum_k i_k * step[k]].
 * Not in place.
 */
void tg_strided_slice_s8(const tg_strided_slice_params_t *p, const int8_t *input, int8_t *output);

enum {
    TG_PAD_REFLECT = 0,             /* the edge left out (TFLite MIRROR_PAD REFLECT) */
    TG_PAD_SYMMETRIC = 1,           /* the edge repeated (MIRROR_PAD SYMMETRIC) */
    TG_PAD_REPLICATE = 2,           /* the edge value (torch 'replicate') */
    TG_PAD_CIRCULAR = 3             /* the other end (torch 'circular') */
};

typedef struct {
    int32_t in_shape[4];            /* input shape, collapsed to rank 4 */
    int32_t out_shape[4];           /* in_shape + padding before + padding after */
    int32_t pad_before[4];          /* >= 0; REFLECT: at most in - 1, others at most in */
    int32_t mode;                   /* TG_PAD_* */
} tg_mirror_pad_params_t;

/*
 * tg_mean_s8 (MEAN, and SUM with op_params.sum_params) for Cortex-M4/M7: USADA8 over
 * contiguous reductions (inner == 1), SXTAB16 lanes over four channels at a time
 * (inner >= 4). Not in place.
 */
void tg_mean_s8_dsp(const tg_mean_params_t *p, const int8_t *input, int8_t *output);

/*
 * Padding with the input's own values (TFLite MIRROR_PAD, torch reflect /
 * replicate / circular padding): every padded position copies the input element
 * its mode names per dimension. Not in place.
 */
void tg_mirror_pad_s8(const tg_mirror_pad_params_t *p, const int8_t *input, int8_t *output);

/* ---- Transposed convolution (PyTorch ConvTranspose2d, TFLite TRANSPOSE_CONV) ---- */

/*
 * Geometry and quantization of a transposed convolution: input pixel (iy, ix) reaches
 * output pixel (iy * stride_h - pad_top + ky * dilation_h, ix * stride_w - pad_left +
 * kx * dilation_w) through tap (ky, kx), where that lies in the output; the output's
 * size is out_h x out_w (the padding after the last row and column follows from it, and
 * output pixels no tap reaches hold the requantized bias).
 */
typedef struct {
    int32_t in_h, in_w, in_c;       /* input [in_h][in_w][in_c] */
    int32_t out_h, out_w, out_c;    /* output [out_h][out_w][out_c] */
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;      /* >= 0: scattered rows / columns before output row / column 0 */
    int32_t input_offset;           /* -input zero point, in [-127, 128] */
    int32_t output_offset;          /* output zero point, in [-128, 127] */
    int32_t act_min, act_max;       /* output clamp, within [-128, 127] */
} tg_transpose_conv2d_params_t;

/*
 * Transposed 2-D convolution, groups = 1: TFLite Micro's reference TransposeConv (int32
 * sums, then per output channel bias, requantization and clamp). weights: int8
 * [out_c][kernel_h][kernel_w][in_c]; bias (NULL: none), multiplier, shift: [out_c].
 * No scratch. The output must not overlap the input.
 */
void tg_transpose_conv2d_s8(const tg_transpose_conv2d_params_t *p, const int8_t *input,
                            const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                            const int8_t *shift, int8_t *output);

/*
 * tg_transpose_conv2d_s8 for ARMv7E-M (DSP extension), phase by phase (tg_transpose_conv2d.h)
 * with SMLAD. packed: the weights of each phase in turn, [out_c][taps_h][taps_w][in_c]
 * (tinygen.kernels.transpose_conv.phase_weights). scratch:
 * tg_transpose_conv2d_s8_dsp_buffer_size(p) bytes, 8-byte aligned. Same results.
 */
void tg_transpose_conv2d_s8_dsp(const tg_transpose_conv2d_params_t *p, const int8_t *input,
                                const int8_t *packed, const int32_t *bias, const int32_t *multiplier,
                                const int8_t *shift, int8_t *scratch, int8_t *output);

/*
 * tg_transpose_conv2d_s8 for RV32IM, phase by phase, 4 output channels x up to 3 output
 * pixels per step. packed: per phase and block of 4 output channels the folded biases, then
 * the weights interleaved (tinygen.kernels.transpose_conv.phase_rv32_weights), int32 words.
 * Same results; no scratch.
 */
void tg_transpose_conv2d_s8_rv32(const tg_transpose_conv2d_params_t *p, const int8_t *input,
                                 const int32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                 const int8_t *shift, int8_t *output);

/* ---- Normalization and attention (firmware/kernels/norm/, matmul/; tinygen/kernels/attention.py) ---- */

/* The integer layer norms over the last axis (the arithmetic: norm/tg_norm_s8.h). */
typedef struct {
    int32_t rows, depth;            /* input, output: int8 [rows][depth], depth <= 32767 */
    int32_t input_zero_point, output_zero_point;
    int32_t eps_term;               /* round(depth^2 * eps / input_scale^2), >= 0 */
    int32_t norm_shift;             /* fraction bits of the normalized values, in [0, 16] */
    int32_t output_multiplier, output_shift;  /* gamma_scale * 2^-norm_shift / output_scale */
} tg_norm_params_t;

/*
 * Layer norm: (x - mean) / sqrt(var + eps) * gamma + beta per row, the integer arithmetic of
 * tg_norm_s8.h. gamma: int16 [depth] (one scale); beta: int32 [depth] on gamma_scale *
 * 2^-norm_shift. Parameters: tinygen.kernels.params_attention. May not run in place.
 */
void tg_layer_norm_s8(const tg_norm_params_t *p, const int8_t *input, const int16_t *gamma,
                      const int32_t *beta, int8_t *output);

/* RMS norm: x / sqrt(mean(x^2) + eps) * gamma per row, as tg_layer_norm_s8 without the mean and beta. */
void tg_rms_norm_s8(const tg_norm_params_t *p, const int8_t *input, const int16_t *gamma, int8_t *output);

typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;      /* 1 / (sqrt(input_scale) * output_scale); shift - 20 in [-31, 31] */
} tg_rsqrt_params_t;

/* 1 / sqrt(x), TFLite Micro's int8 RSQRT; an input at or below the zero point gives 127. */
void tg_rsqrt_s8(const tg_rsqrt_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t batch_shape[3];         /* output batch dims (broadcast, merged), leading 1s */
    int32_t lhs_batch_strides[3];   /* element stride of each operand's matrix per batch dim, */
    int32_t rhs_batch_strides[3];   /* 0 where it is broadcast */
    int32_t rows, cols, depth;      /* output [rows][cols] per batch, depth summed */
    int32_t lhs_row_stride, lhs_depth_stride;   /* lhs[i][k] at i * row + k * depth stride */
    int32_t rhs_col_stride, rhs_depth_stride;   /* rhs[j][k] at j * col + k * depth stride */
    int32_t lhs_offset, rhs_offset, output_offset;   /* -zero points, output zero point */
    int32_t output_multiplier, output_shift;    /* lhs_scale * rhs_scale / output_scale */
    int32_t act_min, act_max;
} tg_batch_matmul_params_t;

/*
 * Batch matrix product (TFLite int8 BATCH_MATMUL): for each batch, out[i][j] =
 * requant(sum_k (lhs[i][k] + lhs_offset) * (rhs[j][k] + rhs_offset)), the output contiguous
 * [batches][rows][cols]; depth * 255 * 255 < 2^31. Not in place.
 */
void tg_batch_matmul_s8(const tg_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs, int8_t *output);

/* Bytes of tg_batch_matmul_s8_dsp's two lhs rows widened to int16 (tg_widen_rows_s8's layout), 8-aligned. */
static inline int32_t tg_batch_matmul_s8_dsp_widened_bytes(int32_t depth)
{
    return (2 * 2 * (depth & ~3) + 2 * 8 + 7) / 8 * 8;
}

/* Scratch bytes of tg_batch_matmul_s8_dsp: the widened rows, two lhs rows gathered where the
 * lhs is adjoint, the rhs transposed to [cols][depth] where its depth is not contiguous
 * (tinygen.kernels.attention.batch_matmul_dsp_scratch computes the same). */
static inline int32_t tg_batch_matmul_s8_dsp_buffer_size(const tg_batch_matmul_params_t *p)
{
    return tg_batch_matmul_s8_dsp_widened_bytes(p->depth) + (p->lhs_depth_stride != 1 ? 2 * p->depth : 0) +
           (p->rhs_depth_stride != 1 || p->rhs_col_stride != p->depth ? p->cols * p->depth : 0);
}

/* tg_batch_matmul_s8 for ARMv7E-M (DSP extension): same parameters and results, the FC kernels'
 * 2 x 2 SMLAD products over lhs rows widened to int16. scratch:
 * tg_batch_matmul_s8_dsp_buffer_size(p) bytes, 8-byte aligned. Not in place. */
void tg_batch_matmul_s8_dsp(const tg_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                            int8_t *scratch, int8_t *output);

/* Scratch bytes of tg_batch_matmul_s8_rv32: the rhs column sums (int32), two lhs rows gathered
 * where the lhs is adjoint, the rhs transposed to [cols][depth] where its depth is not
 * contiguous (tinygen.kernels.attention.batch_matmul_rv32_scratch computes the same). */
static inline int32_t tg_batch_matmul_s8_rv32_buffer_size(const tg_batch_matmul_params_t *p)
{
    return 4 * p->cols + (p->lhs_depth_stride != 1 ? 2 * p->depth : 0) +
           (p->rhs_depth_stride != 1 || p->rhs_col_stride != p->depth ? p->cols * p->depth : 0);
}

/* tg_batch_matmul_s8 for RV32IM (ESP32-C3): same parameters and results; raw int8 products in
 * 2 x 2 output blocks, the offsets through row and column sums. scratch:
 * tg_batch_matmul_s8_rv32_buffer_size(p) bytes, 4-byte aligned. Not in place. */
void tg_batch_matmul_s8_rv32(const tg_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                             int8_t *scratch, int8_t *output);

/* a - b with broadcasting (TFLite int8 SUB): tg_add_broadcast_s8's struct and walk, the
 * parameters of tinygen.quant.attention_params.sub_params. Not in place. */
void tg_sub_s8(const tg_add_broadcast_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/* (a - b)^2 with broadcasting (TFLite Micro int8 SQUARED_DIFFERENCE, left shift 7). Not in place. */
void tg_squared_difference_s8(const tg_add_broadcast_params_t *p, const int8_t *input1, const int8_t *input2,
                              int8_t *output);

typedef struct {
    int32_t rows, depth;            /* softmax over the last axis (depth) of each row */
    int32_t input_multiplier, input_left_shift;
    int32_t diff_min;
    int32_t block_rows;             /* rows of each [block_rows][depth] matrix */
} tg_softmax_causal_params_t;

/* Softmax with PyTorch's causal mask: row i of each matrix over its first min(i + 1, depth)
 * values (tg_softmax_s8's arithmetic), -128 after them. Not in place. */
void tg_softmax_causal_s8(const tg_softmax_causal_params_t *p, const int8_t *input, int8_t *output);

/* tg_softmax_causal_s8 for ARMv7E-M: each row through tg_softmax_s8_dsp with its exp table
 * (tinygen.kernels.lut.softmax_exp_table). Not in place. */
void tg_softmax_causal_s8_dsp(const tg_softmax_causal_params_t *p, const int8_t *input, const int32_t *table,
                              int8_t *output);



/* -- average pooling as onnxruntime rounds it (ONNX front end: QLinearAveragePool) -- */

typedef struct {
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t count_include_pad;      /* 1: every window counts kernel_h*kernel_w elements, padded
                                       positions holding real 0; 0: its in-bounds elements */
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;      /* input scale / output scale = multiplier * 2^(shift - 31),
                                       multiplier in [2^30, 2^31), shift in [-15, 9] */
    int32_t act_min, act_max;
} tg_avg_pool2d_requant_params_t;

/*
 * Average pooling onto the output's grid (another than the input's, or the same): each
 * window's sum of (x - input_zero_point) times the scale ratio over its element count, one
 * exact division rounded half to even, plus output_zero_point. Window area up to 4096.
 */
void tg_avg_pool2d_requant_s8(const tg_avg_pool2d_requant_params_t *p, const int8_t *input, int8_t *output);

/* -- softmax onto a quantized ONNX model's own output grid (ONNX front end) -- */

typedef struct {
    int32_t rows, depth;            /* softmax over the last axis (depth) of each row */
    int32_t input_multiplier, input_left_shift;
    int32_t diff_min;
    int32_t output_multiplier;      /* the output codes per unit of probability (0 .. 2^24) */
    int32_t output_zero_point;
} tg_softmax_scaled_params_t;

/*
 * tg_softmax_s8's fixed-point probability p of each element, output round(p *
 * output_multiplier) + output_zero_point, rounded once. table: tg_softmax_s8_dsp's exps
 * (tinygen.kernels.lut.softmax_exp_table). depth in [1, 4095]. May run in place.
 */
void tg_softmax_scaled_s8(const tg_softmax_scaled_params_t *p, const int8_t *input, const int32_t *table,
                          int8_t *output);

#endif /* TG_KERNELS_OPS_H */
