/*
 * tg_kernels_detection.h: TFLite Micro's DETECTION_POSTPROCESS (the custom operator
 * "TFLite_Detection_PostProcess" that ends an SSD detector) on float32.
 * numpy twin: tinygen/ref/detection.py (detection_postprocess_f32).
 */
#ifndef TG_KERNELS_DETECTION_H
#define TG_KERNELS_DETECTION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t num_boxes;              /* anchors N */
    int32_t box_stride;             /* floats per box encoding (>= 4: y, x, h, w first) */
    int32_t classes_with_background;/* scores per anchor */
    int32_t num_classes;            /* the last num_classes of them are the classes (0 or 1 background) */
    int32_t max_detections;
    int32_t max_classes_per_detection;  /* fast NMS: classes kept per anchor */
    int32_t detections_per_class;   /* regular NMS: detections kept per class */
    int32_t regular;                /* 1: one NMS per class; 0: one NMS over each anchor's best score */
    int32_t slots;                  /* detection slots of the outputs */
    float score_threshold, iou_threshold;
    float y_scale, x_scale, h_scale, w_scale;
} tg_detection_postprocess_f32_params_t;

/*
 * boxes: float [N][box_stride] centre-size encodings; scores: float [N][classes_with_background];
 * anchors: float [N][4] (y, x, h, w). output: float [6 * slots + 1], packed as
 * [slots][4] boxes (ymin, xmin, ymax, xmax), [slots] classes, [slots] scores, the number of
 * detections; slots TFLite Micro leaves unwritten are 0. Where TFLite Micro fails the inference
 * (a decoded box with ymin >= ymax or xmin >= xmax) every output value is 0. scratch: 4-byte
 * aligned, (9 N + 2 K + (regular ? 4 K : N min(max_classes_per_detection, num_classes) +
 * num_classes)) * 4 bytes, K = max_detections + N (tinygen.kernels.params_detection). Scores are
 * not NaN (TFLite Micro's sorts are undefined on them). Not in place.
 */
void tg_detection_postprocess_f32(const tg_detection_postprocess_f32_params_t *p, const float *boxes,
                                  const float *scores, const float *anchors, int8_t *scratch, float *output);

#ifdef __cplusplus
}
#endif

#endif
