/* tg_run(): boot messages, then one command after another. */
#include "tg_run.h"

#include "model.h"
#include "tg_io.h"
#include "tg_port.h"
#include "tg_protocol.h"

void tg_run(void)
{
    tg_port_init();
    tg_model_init();
    tg_io_line("m-init-done");
    tg_io_line("m-ready");
    for (;;) {
        tg_protocol_step();
    }
}
