/*
 * tinygen host runner: runs a generated model on this computer.
 *
 *   tg_runner [INPUT]     read the int8 inputs (back to back, sizes from
 *                         model.h) from INPUT or stdin, run the model, and
 *                         write every output's bytes to stdout.
 *
 * Exit status: 0 on success, 1 on a short or oversized input, 2 on bad usage.
 */
#include <stdio.h>

#include "model.h"

int main(int argc, char **argv)
{
    FILE *in = stdin;
    if (argc > 2) {
        fprintf(stderr, "usage: %s [INPUT]\n", argv[0]);
        return 2;
    }
    if (argc == 2 && (in = fopen(argv[1], "rb")) == NULL) {
        perror(argv[1]);
        return 1;
    }
    tg_model_init();
    for (int i = 0; i < TG_MODEL_NUM_INPUTS; i++) {
        size_t want = (size_t)tg_model_input_size(i);
        if (fread(tg_model_input(i), 1, want, in) != want) {
            fprintf(stderr, "input %d: expected %zu bytes\n", i, want);
            return 1;
        }
    }
    if (fgetc(in) != EOF) {
        fprintf(stderr, "input: more bytes than the model takes\n");
        return 1;
    }
    tg_model_invoke();
    for (int i = 0; i < TG_MODEL_NUM_OUTPUTS; i++) {
        fwrite(tg_model_output(i), 1, (size_t)tg_model_output_size(i), stdout);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
