/*
 * tg_detection_postprocess_f32: TFLite Micro's DETECTION_POSTPROCESS on float32 (an SSD
 * detector's end). The box encodings are decoded against the anchors (centres and half sizes in
 * double, with the C library's double exp, rounded to float once; the corners in float), then
 * non-max suppression picks the detections: fast (one NMS over each anchor's best class score,
 * that anchor's best classes written for each pick) or regular (one NMS per class, the picks of
 * all classes merged by score). Orders: boxes above the score threshold by decreasing score, ties
 * in index order; each anchor's classes and the merged picks by decreasing score, ties to the
 * lower index. Output packed: [slots][4] boxes, [slots] classes, [slots] scores, the count.
 * numpy twin: tinygen.ref.detection.detection_postprocess_f32.
 */
#include <math.h>
#include <string.h>

#include "tg_kernels_detection.h"

/* order[0..n) = 0..n-1 sorted by decreasing values[], ties kept in index order (a stable
 * bottom-up merge sort; tmp holds n entries) */
static void tg_detection_order(const float *values, int32_t n, int32_t *order, int32_t *tmp)
{
    int32_t width, i;

    for (i = 0; i < n; ++i) {
        order[i] = i;
    }
    for (width = 1; width < n; width *= 2) {
        int32_t start;
        for (start = 0; start < n; start += 2 * width) {
            const int32_t mid = start + width < n ? start + width : n;
            const int32_t end = start + 2 * width < n ? start + 2 * width : n;
            int32_t left = start, right = mid, k = start;
            while (k < end) {
                /* the right run's entry first only when strictly greater: stable */
                if (left >= mid || (right < end && values[order[right]] > values[order[left]])) {
                    tmp[k++] = order[right++];
                } else {
                    tmp[k++] = order[left++];
                }
            }
        }
        memcpy(order, tmp, (size_t)n * sizeof(int32_t));
    }
}

/* TFLite's intersection over union of decoded boxes i and j, in float */
static float tg_detection_iou(const float *boxes, int32_t i, int32_t j)
{
    const float *a = boxes + 4 * i, *b = boxes + 4 * j;
    const float area_a = (a[2] - a[0]) * (a[3] - a[1]);
    const float area_b = (b[2] - b[0]) * (b[3] - b[1]);
    float ymin, xmin, ymax, xmax, dy, dx, inter;

    if (area_a <= 0.0f || area_b <= 0.0f) {
        return 0.0f;
    }
    ymin = a[0] < b[0] ? b[0] : a[0];      /* std::max(a, b) */
    xmin = a[1] < b[1] ? b[1] : a[1];
    ymax = b[2] < a[2] ? b[2] : a[2];      /* std::min(a, b) */
    xmax = b[3] < a[3] ? b[3] : a[3];
    dy = ymax - ymin;
    dx = xmax - xmin;
    inter = (dy < 0.0f ? 0.0f : dy) * (dx < 0.0f ? 0.0f : dx);
    return inter / (area_a + area_b - inter);
}

typedef struct {
    float *decoded, *keep_scores, *column;
    int32_t *keep, *selected, *active, *order, *tmp;
} tg_detection_scratch_t;

/* NMS over one score per anchor: the anchors selected (at most max_out), best first */
static int32_t tg_detection_nms(const tg_detection_postprocess_f32_params_t *p, const tg_detection_scratch_t *s,
                                const float *scores, int32_t max_out)
{
    int32_t kept = 0, remaining, selected = 0, out_size, i, j;

    for (i = 0; i < p->num_boxes; ++i) {
        if (scores[i] >= p->score_threshold) {
            s->keep_scores[kept] = scores[i];
            s->keep[kept++] = i;
        }
    }
    tg_detection_order(s->keep_scores, kept, s->order, s->tmp);
    out_size = kept < max_out ? kept : max_out;
    for (i = 0; i < kept; ++i) {
        s->active[i] = 1;
    }
    remaining = kept;
    for (i = 0; i < kept; ++i) {
        const int32_t box = s->keep[s->order[i]];
        if (remaining == 0 || selected >= out_size) {
            break;
        }
        if (!s->active[i]) {
            continue;
        }
        s->selected[selected++] = box;
        s->active[i] = 0;
        --remaining;
        for (j = i + 1; j < kept; ++j) {
            if (s->active[j] && tg_detection_iou(s->decoded, box, s->keep[s->order[j]]) > p->iou_threshold) {
                s->active[j] = 0;
                --remaining;
            }
        }
    }
    return selected;
}

static void tg_detection_write(const tg_detection_postprocess_f32_params_t *p, const float *decoded, float *output,
                               int32_t slot, int32_t anchor, int32_t cls, float score)
{
    memcpy(output + 4 * slot, decoded + 4 * anchor, 4 * sizeof(float));
    output[4 * p->slots + slot] = (float)cls;
    output[5 * p->slots + slot] = score;
}

/* the first `count` of order[0..n) by decreasing values[], ties to the lower index (a partial sort) */
static void tg_detection_top(const float *values, int32_t n, int32_t count, int32_t *order)
{
    int32_t r, k;

    for (k = 0; k < n; ++k) {
        order[k] = k;
    }
    for (r = 0; r < count; ++r) {
        int32_t best = r;
        for (k = r + 1; k < n; ++k) {
            const float a = values[order[k]], b = values[order[best]];
            if (a > b || (!(b > a) && order[k] < order[best])) {
                best = k;
            }
        }
        k = order[r];
        order[r] = order[best];
        order[best] = k;
    }
}

void tg_detection_postprocess_f32(const tg_detection_postprocess_f32_params_t *p, const float *boxes,
                                  const float *scores, const float *anchors, int8_t *scratch, float *output)
{
    const int32_t n = p->num_boxes, big = p->max_detections + n, stride = p->classes_with_background;
    const int32_t offset = stride - p->num_classes;
    float *const words = (float *)(void *)scratch;
    tg_detection_scratch_t s;
    int32_t i, count = 0;

    s.decoded = words;
    s.keep_scores = words + 4 * n;
    s.column = words + 5 * n;
    s.keep = (int32_t *)(void *)(words + 6 * n);
    s.selected = s.keep + n;
    s.active = s.selected + n;
    s.order = s.active + n;
    s.tmp = s.order + big;
    memset(output, 0, (size_t)(6 * p->slots + 1) * sizeof(float));

    for (i = 0; i < n; ++i) {
        const float *e = boxes + i * p->box_stride, *a = anchors + 4 * i;
        const float yc = (float)((double)e[0] / (double)p->y_scale * (double)a[2] + (double)a[0]);
        const float xc = (float)((double)e[1] / (double)p->x_scale * (double)a[3] + (double)a[1]);
        const float hh = (float)(0.5 * exp((double)e[2] / (double)p->h_scale) * (double)a[2]);
        const float hw = (float)(0.5 * exp((double)e[3] / (double)p->w_scale) * (double)a[3]);
        float *d = s.decoded + 4 * i;
        d[0] = yc - hh;
        d[1] = xc - hw;
        d[2] = yc + hh;
        d[3] = xc + hw;
        if (d[0] >= d[2] || d[1] >= d[3]) {
            return;                     /* TFLite Micro's ValidateBoxes fails the inference */
        }
    }

    if (p->regular) {
        int32_t *const index = s.tmp + big, *const moved = index + big;
        float *const value = (float *)(void *)(moved + big), *const moved_value = value + big;
        int32_t col, size = 0;
        for (col = 0; col < p->num_classes; ++col) {
            int32_t picked, k;
            for (i = 0; i < n; ++i) {
                s.column[i] = scores[i * stride + col + offset];
            }
            picked = tg_detection_nms(p, &s, s.column, p->detections_per_class);
            for (k = 0; k < picked; ++k) {
                index[size + k] = s.selected[k] * stride + col + offset;
                value[size + k] = s.column[s.selected[k]];
            }
            k = size + picked < p->max_detections ? size + picked : p->max_detections;
            tg_detection_top(value, size + picked, k, s.order);
            for (i = 0; i < k; ++i) {
                moved[i] = index[s.order[i]];
                moved_value[i] = value[s.order[i]];
            }
            memcpy(index, moved, (size_t)k * sizeof(int32_t));
            memcpy(value, moved_value, (size_t)k * sizeof(float));
            size = k;
        }
        for (i = 0; i < size; ++i) {
            const int32_t anchor = index[i] / stride;
            tg_detection_write(p, s.decoded, output, i, anchor, index[i] - anchor * stride - offset, value[i]);
        }
        count = size;
    } else {
        const int32_t per_anchor = p->max_classes_per_detection < p->num_classes ? p->max_classes_per_detection
                                                                                 : p->num_classes;
        int32_t *const best = s.tmp + big, *const row_order = best + n * per_anchor;
        int32_t picked, k, col;
        for (i = 0; i < n; ++i) {
            const float *row = scores + i * stride + offset;
            tg_detection_top(row, p->num_classes, per_anchor, row_order);
            memcpy(best + i * per_anchor, row_order, (size_t)per_anchor * sizeof(int32_t));
            s.column[i] = row[row_order[0]];
        }
        picked = tg_detection_nms(p, &s, s.column, p->max_detections);
        for (k = 0; k < picked; ++k) {
            const int32_t anchor = s.selected[k];
            for (col = 0; col < per_anchor; ++col) {
                const int32_t cls = best[anchor * per_anchor + col];
                /* TFLite Micro's slot: per_anchor * (the running count) + col */
                tg_detection_write(p, s.decoded, output, per_anchor * count + col, anchor, cls,
                                   scores[anchor * stride + offset + cls]);
                ++count;
            }
        }
    }
    output[6 * p->slots] = (float)count;
}
