/* Command reading, words and dispatch (PROTOCOL.md, "Framing"). */
#include "tg_protocol.h"

#include "tg_io.h"
#include "tg_port.h"

/* Longest word echoed back in an error message. */
#define TG_WORD_ECHO_MAX 32

static char tg_cmd[TG_CMD_MAX];

int tg_word_is(const tg_word *w, const char *lit)
{
    size_t i = 0;
    for (; i < w->n; i++) {
        if (lit[i] == '\0' || lit[i] != w->s[i]) {
            return 0;
        }
    }
    return lit[i] == '\0';
}

int tg_word_u32(const tg_word *w, uint32_t *out)
{
    uint32_t v = 0;
    if (w->n == 0) {
        return -1;
    }
    for (size_t i = 0; i < w->n; i++) {
        char c = w->s[i];
        if (c < '0' || c > '9') {
            return -1;
        }
        uint32_t d = (uint32_t)(c - '0');
        if (v > (UINT32_MAX - d) / 10u) {
            return -1;
        }
        v = v * 10u + d;
    }
    *out = v;
    return 0;
}

void tg_print_word(const tg_word *w)
{
    size_t n = w->n < TG_WORD_ECHO_MAX ? w->n : TG_WORD_ECHO_MAX;
    for (size_t i = 0; i < n; i++) {
        char c = w->s[i];
        tg_io_char(c >= ' ' && c <= '~' ? c : '?');
    }
}

void tg_error(const char *text)
{
    tg_io_str("e-[");
    tg_io_str(text);
    tg_io_end_bracket();
}

int tg_arg_u32(const tg_word *w, uint32_t *out)
{
    if (tg_word_u32(w, out) == 0) {
        return 0;
    }
    tg_io_str("e-[bad number: ");
    tg_print_word(w);
    tg_io_end_bracket();
    return -1;
}

/*
 * Read up to the next `%`. Returns the command's length, or -1 when it was
 * longer than TG_CMD_MAX (the rest was discarded up to its `%`).
 */
static int tg_read_command(void)
{
    size_t len = 0;
    int too_long = 0;
    for (;;) {
        int c = tg_port_getc(0);
        if (c < 0 || c == '\r' || c == '\n') {
            continue;
        }
        if (c == '%') {
            return too_long ? -1 : (int)len;
        }
        if (len == 0 && c == ' ') {
            continue;
        }
        if (len == TG_CMD_MAX) {
            too_long = 1;
        } else {
            tg_cmd[len++] = (char)c;
        }
    }
}

static void tg_split(size_t len, tg_words *words)
{
    words->count = 0;
    size_t i = 0;
    while (i < len) {
        if (tg_cmd[i] == ' ') {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && tg_cmd[i] != ' ') {
            i++;
        }
        if (words->count < TG_MAX_WORDS) {
            words->w[words->count].s = tg_cmd + start;
            words->w[words->count].n = i - start;
        }
        words->count++;
    }
}

static void tg_usage(const tg_command *cmd, const tg_words *words, int first)
{
    tg_io_str("e-[usage: ");
    for (int i = 0; i < first; i++) {
        tg_print_word(&words->w[i]);
        tg_io_char(' ');
    }
    tg_io_str(cmd->name);
    if (cmd->args[0] != '\0') {
        tg_io_char(' ');
        tg_io_str(cmd->args);
    }
    tg_io_end_bracket();
}

void tg_protocol_dispatch(const tg_command *table, int count, const tg_words *words, int first,
                          const char *unknown_what)
{
    const tg_word *name = &words->w[first];
    for (int i = 0; i < count; i++) {
        const tg_command *cmd = &table[i];
        if (!tg_word_is(name, cmd->name)) {
            continue;
        }
        int nargs = words->count - first - 1;
        if (nargs < cmd->min_args || nargs > cmd->max_args) {
            tg_usage(cmd, words, first);
        } else {
            cmd->run(&words->w[first + 1], nargs);
        }
        return;
    }
    tg_io_str("e-[");
    tg_io_str(unknown_what);
    tg_io_str(": ");
    tg_print_word(name);
    tg_io_end_bracket();
}

void tg_protocol_step(void)
{
    int len = tg_read_command();
    tg_words words;
    if (len < 0) {
        tg_error("command too long: max 255 bytes"); /* 255 is TG_CMD_MAX */
    } else {
        tg_split((size_t)len, &words);
        if (words.count == 0) {
            tg_error("empty command");
        } else if (words.count > TG_MAX_WORDS) {
            tg_error("too many words in command");
        } else if (!tg_word_is(&words.w[0], "tg")) {
            tg_protocol_dispatch(tg_eembc_commands, tg_eembc_command_count, &words, 0, "Unknown command");
        } else if (words.count == 1) {
            tg_error("usage: tg SUBCOMMAND (help lists them)");
        } else {
            tg_protocol_dispatch(tg_ext_commands, tg_ext_command_count, &words, 1, "Unknown tg command");
        }
    }
    tg_io_line("m-ready");
}
