/* `switch [K]`: the precision switch of a switchable-precision model (PROTOCOL.md). */
#include "model.h"
#include "tg_infer.h"
#include "tg_io.h"
#include "tg_protocol.h"
#include "tg_switch.h"

static void tg_switch_report(void)
{
    const int k = tg_get_switch();
    tg_io_str("m-switch-[");
    tg_io_u64((uint64_t)k);
    tg_io_char(',');
    tg_io_str(tg_switch_name(k));
    tg_io_char(',');
    tg_io_u64(TG_MODEL_NUM_SWITCHES);
    tg_io_end_bracket();
}

void tg_cmd_switch(const tg_word *args, int nargs)
{
    if (nargs == 1) {
        uint32_t k;
        if (tg_arg_u32(&args[0], &k) != 0) {
            return;
        }
        if (k >= (uint32_t)TG_MODEL_NUM_SWITCHES) {
            tg_io_str("e-[switch ");
            tg_io_u64(k);
            tg_io_str(" out of range: the model has ");
            tg_io_u64(TG_MODEL_NUM_SWITCHES);
            tg_io_str(TG_MODEL_NUM_SWITCHES == 1 ? " switch]" : " switches]");
            tg_io_end_line();
            return;
        }
        if ((int)k != tg_get_switch()) {
            tg_set_switch((int)k);
            tg_infer_forget(); /* the last outputs were another switch's */
        }
    }
    tg_switch_report();
}
