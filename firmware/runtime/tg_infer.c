/* Running the model and reporting its outputs: see tg_infer.h. */
#include "tg_infer.h"

#include "model.h"
#include "tg_input.h"
#include "tg_io.h"
#include "tg_port.h"
#include "tg_protocol.h"
#include "tg_timestamp.h"

static int tg_outputs_valid;

uint64_t tg_infer_run(void)
{
    tg_input_to_model();
    uint64_t start = tg_port_counter();
    tg_model_invoke();
    uint64_t end = tg_port_counter();
    tg_outputs_valid = 1;
    return end - start;
}

void tg_infer_run_framed(void)
{
    tg_input_to_model();
    tg_timestamp_inference(1);
    tg_model_invoke();
    tg_timestamp_inference(0);
    tg_outputs_valid = 1;
}

void tg_infer_forget(void)
{
    tg_outputs_valid = 0;
}

void tg_infer_outputs_done(void)
{
    tg_outputs_valid = 1;
}

int tg_infer_check_outputs(void)
{
    if (tg_outputs_valid) {
        return 0;
    }
    tg_error("no outputs: run an inference first");
    return -1;
}

void tg_infer_print_out(void)
{
    tg_io_str("m-tg-out-[");
    for (int i = 0; i < TG_MODEL_NUM_OUTPUTS; i++) {
        tg_io_hex((const uint8_t *)tg_model_output(i), (size_t)tg_model_output_size(i));
    }
    tg_io_end_bracket();
}

void tg_infer_print_output(int index)
{
    tg_io_str("m-tg-output-[");
    tg_io_u64((uint64_t)index);
    tg_io_char(',');
    tg_io_hex((const uint8_t *)tg_model_output(index), (size_t)tg_model_output_size(index));
    tg_io_end_bracket();
}

void tg_infer_print_results(void)
{
    const char *sep = "";
    tg_io_str("m-results-[");
    for (int i = 0; i < TG_MODEL_NUM_OUTPUTS; i++) {
        const int8_t *q = tg_model_output(i);
        float scale = tg_model_output_scale(i);
        int32_t zero_point = tg_model_output_zero_point(i);
        for (int32_t k = 0; k < tg_model_output_size(i); k++) {
            tg_io_str(sep);
            tg_io_f3(scale * (float)((int32_t)q[k] - zero_point));
            sep = ",";
        }
    }
    tg_io_end_bracket();
}

void tg_infer_print_count(uint64_t count)
{
    tg_io_str("m-tg-count-[");
    tg_io_u64(count);
    tg_io_end_bracket();
}
