/* The `switch [K]` command (tg_switch.c). */
#ifndef TG_SWITCH_H
#define TG_SWITCH_H

#include "tg_protocol.h"

/* `switch%`: the current switch; `switch K%`: select switch K. Answers m-switch-[K,NAME,N]. */
void tg_cmd_switch(const tg_word *args, int nargs);

#endif /* TG_SWITCH_H */
