/*
 * The tinygen runtime's entry point: set up the port and the model, then
 * serve the protocol (PROTOCOL.md) forever. Called from main() (tg_main.c)
 * or, under ESP-IDF, from app_main().
 */
#ifndef TG_RUN_H
#define TG_RUN_H

#ifdef __cplusplus
extern "C" {
#endif

void tg_run(void) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* TG_RUN_H */
