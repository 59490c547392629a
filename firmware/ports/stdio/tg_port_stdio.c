/*
 * stdio port: the firmware as a host process (`tg_device` in a host build),
 * speaking the protocol on stdin / stdout. The fastest way to test the
 * protocol, and what the harness drives for `--board host`.
 *
 * POSIX only: poll() and read() on fd 0, write() on fd 1, CLOCK_THREAD_CPUTIME_ID
 * for the counter, which counts nanoseconds (a process has no cycle counter) of
 * the CPU time this thread ran: time it waited for a CPU on a loaded host does
 * not count, so the counts do not change with the load.
 * End of input ends the process with status 0: the host closed the session.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tg_port.h"

/* Bytes read from stdin but not yet taken by tg_port_getc(). */
static unsigned char tg_rx[256];
static size_t tg_rx_len;
static size_t tg_rx_pos;

void tg_port_init(void)
{
}

/* Wait for stdin to become readable; 0 when `timeout_ms` passed first (0 waits forever). */
static int tg_wait_input(uint32_t timeout_ms)
{
    int timeout = timeout_ms == 0u ? -1 : timeout_ms > (uint32_t)INT_MAX ? INT_MAX : (int)timeout_ms;
    for (;;) {
        struct pollfd fd = {.fd = 0, .events = POLLIN, .revents = 0};
        int ready = poll(&fd, 1, timeout);
        if (ready >= 0) {
            return ready;
        }
        if (errno != EINTR) {
            exit(1);
        }
    }
}

int tg_port_getc(uint32_t timeout_ms)
{
    while (tg_rx_pos == tg_rx_len) {
        if (tg_wait_input(timeout_ms) == 0) {
            return -1;
        }
        ssize_t got = read(0, tg_rx, sizeof tg_rx);
        if (got == 0) {
            exit(0);
        }
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            exit(1);
        }
        tg_rx_len = (size_t)got;
        tg_rx_pos = 0;
    }
    return tg_rx[tg_rx_pos++];
}

void tg_port_write(const char *data, size_t len)
{
    while (len > 0) {
        ssize_t put = write(1, data, len);
        if (put < 0) {
            if (errno == EINTR) {
                continue;
            }
            exit(1); /* the host went away */
        }
        data += put;
        len -= (size_t)put;
    }
}

uint64_t tg_port_counter(void)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

int tg_port_counter_kind(void)
{
    return TG_COUNTER_NANOSECONDS;
}

uint32_t tg_port_clock_hz(void)
{
    return 0;
}

const char *tg_port_name(void)
{
    return "host stdio";
}

/* No timestamp pin on the host: the runtime counts the edges (`tg pin`). */
void tg_port_timestamp_pin(int high)
{
    (void)high;
}

void tg_port_exit(int code)
{
    exit(code);
}
