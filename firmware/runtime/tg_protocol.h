/*
 * The on-device protocol (PROTOCOL.md): command reading, words, dispatch.
 * Internal to the runtime; a firmware only calls tg_run() (tg_run.h).
 */
#ifndef TG_PROTOCOL_H
#define TG_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

/* Longest command, without its `%`. Longer ones are discarded and reported. */
#define TG_CMD_MAX 255

/* A raw upload stops when no byte arrives for this long. */
#define TG_UPLOAD_TIMEOUT_MS 500u

/* Most words the dispatcher looks at; more words are an error. */
#define TG_MAX_WORDS 9

/* A word of a command: bytes of the command buffer (not NUL-terminated). */
typedef struct {
    const char *s;
    size_t n;
} tg_word;

/* In a handler that takes no arguments. */
#define TG_NO_ARGS() ((void)args, (void)nargs)

/* Words of one command; `count` may exceed TG_MAX_WORDS (only those are kept). */
typedef struct {
    tg_word w[TG_MAX_WORDS];
    int count;
} tg_words;

/* A command: its name, how many words follow it, and its handler. */
typedef struct {
    const char *name;
    uint8_t min_args;
    uint8_t max_args;
    void (*run)(const tg_word *args, int nargs);
    const char *args; /* the arguments, for usage errors and help ("N", "" for none) */
    const char *help; /* what it does, for help */
} tg_command;

/* The EEMBC / MLPerf Tiny commands (tg_eembc.c) and the `tg` extensions (tg_ext.c). */
extern const tg_command tg_eembc_commands[];
extern const int tg_eembc_command_count;
extern const tg_command tg_ext_commands[];
extern const int tg_ext_command_count;

/* Read one command (up to its `%`), run it, and answer `m-ready`. */
void tg_protocol_step(void);

/*
 * Run `words[first..]` against a table; prints errors for unknown or misused
 * commands (a usage error names the words before `first` too: "tg load N").
 */
void tg_protocol_dispatch(const tg_command *table, int count, const tg_words *words, int first,
                          const char *unknown_what);

/* 1 if `w` is exactly the string `lit`. */
int tg_word_is(const tg_word *w, const char *lit);

/* Parse a decimal number (digits only, at most 4294967295) into *out; 0 on success, -1 otherwise. */
int tg_word_u32(const tg_word *w, uint32_t *out);

/* Print `w` for an error message: at most 32 bytes, bytes outside printable ASCII as '?'. */
void tg_print_word(const tg_word *w);

/* Parse a number argument, or print `e-[bad number: W]` and return -1. */
int tg_arg_u32(const tg_word *w, uint32_t *out);

/* e-[TEXT] as one line. */
void tg_error(const char *text);

#endif /* TG_PROTOCOL_H */
