/*
 * tg_image_planar_area_plan (tg_image.h) on a core without a planar area path: it takes no
 * frame, and the general path (unpack, tg_image_hscale_area, the area rows of tg_image_row)
 * serves YUYV and gray frames. The Cortex-M55's Helium version is tg_image_planar_area_mve.c.
 */
#include <stddef.h>

#include "tg_image.h"

tg_image_row_fn tg_image_planar_area_plan(tg_image_state *s)
{
    (void)s;
    return NULL;
}
