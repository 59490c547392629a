/*
 * tg_avg_pool2d_requant_s8: average pooling as onnxruntime's QLinearAveragePool rounds it (a
 * quantized ONNX model's AveragePool): the window's real average quantized on the output grid
 * once, half to even. Each window's sum S of (x - input_zero_point) over its in-bounds
 * elements (count of them; with count_include_pad the kernel's area, padded positions holding
 * real 0) becomes round(S * multiplier * 2^shift / (count * 2^31)), multiplier * 2^(shift - 31)
 * being input scale / output scale, as one exact division rounded half to even, plus
 * output_zero_point. tg_avg_pool2d_s8 (TFLite) rounds halves away from zero and divides on the
 * input's own grid, which a change of grid would round a second time.
 * Parameters: tinygen.kernels.params_conv (avg_pool2d with the node attribute requant).
 * numpy twin: tinygen.ref.kernels.avg_pool2d_requant_s8.
 */
#include "tg_kernels.h"

/*
 * num / (count * 2^e) rounded to the nearest integer, halves to even, without a 64-bit division:
 * t = floor(num / 2^e), then t / count in 32 bits (|t| < 2^28: windows up to 4096 elements of
 * |x - zero point| <= 255, scale ratios below 2^8), the remainder weighed against half the divisor.
 */
static int32_t divide_half_even(int64_t num, int32_t count, int32_t e)
{
    const int64_t t = num >= 0 ? num >> e : -((-num - 1) >> e) - 1;
    const int64_t low = num - t * ((int64_t)1 << e);           /* in [0, 2^e) */
    int32_t q = (int32_t)t / count;
    int32_t r = (int32_t)t - q * count;
    int64_t twice;
    if (r < 0) {        /* C truncates toward zero: floor instead */
        q -= 1;
        r += count;
    }
    twice = 2 * (((int64_t)r << e) + low);
    if (twice > ((int64_t)count << e) || (twice == ((int64_t)count << e) && (q & 1) != 0)) {
        q += 1;
    }
    return q;
}

void tg_avg_pool2d_requant_s8(const tg_avg_pool2d_requant_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t out_y, out_x, c, ky, kx;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
        const int32_t ky_start = in_y_origin < 0 ? -in_y_origin : 0;
        const int32_t ky_end = p->in_h - in_y_origin < p->kernel_h ? p->in_h - in_y_origin : p->kernel_h;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            const int32_t kx_start = in_x_origin < 0 ? -in_x_origin : 0;
            const int32_t kx_end = p->in_w - in_x_origin < p->kernel_w ? p->in_w - in_x_origin : p->kernel_w;
            const int32_t count = p->count_include_pad ? p->kernel_h * p->kernel_w
                                                       : (ky_end - ky_start) * (kx_end - kx_start);
            int8_t *out = &output[(out_y * p->out_w + out_x) * p->channels];
            for (c = 0; c < p->channels; ++c) {
                int32_t sum = 0;
                int32_t avg = p->output_zero_point;
                for (ky = ky_start; ky < ky_end; ++ky) {
                    const int32_t row = (in_y_origin + ky) * p->in_w + in_x_origin;
                    for (kx = kx_start; kx < kx_end; ++kx) {
                        sum += input[(row + kx) * p->channels + c] - p->input_zero_point;
                    }
                }
                if (count > 0) {
                    avg += divide_half_even((int64_t)sum * p->multiplier, count, 31 - p->shift);
                }
                avg = avg < p->act_min ? p->act_min : avg;
                out[c] = (int8_t)(avg > p->act_max ? p->act_max : avg);
            }
        }
    }
}
