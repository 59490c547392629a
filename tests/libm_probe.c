/*
 * libm_probe: the C library's float functions on the inputs in in.bin (float32, little
 * endian), their results written to expf.bin, tanhf.bin, ... (float32 each), so that one
 * libm can be compared with another bit for bit (benchmarks/libm_agreement.py). Built for the
 * host (stdio, glibc's libm) or bare metal on the f746zg stand-in (-DTG_PROBE_SEMIHOSTING:
 * newlib's libm, files through QEMU's semihosting).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define CHUNK 4096

#ifdef TG_PROBE_SEMIHOSTING
static int32_t semihost(int32_t op, void *arg)
{
    register int32_t r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
static intptr_t open_file(const char *name, int write)
{
    uint32_t a[3] = {(uint32_t)name, write ? 5u : 1u, strlen(name)};   /* "wb" or "rb" */
    return semihost(0x01, a);
}
static uint32_t read_file(intptr_t h, void *p, uint32_t n)
{
    uint32_t a[3] = {(uint32_t)h, (uint32_t)p, n};
    return n - (uint32_t)semihost(0x06, a);       /* SYS_READ returns the bytes not read */
}
static void write_file(intptr_t h, const void *p, uint32_t n)
{
    uint32_t a[3] = {(uint32_t)h, (uint32_t)p, n};
    semihost(0x05, a);
}
static void close_file(intptr_t h)
{
    uint32_t a[1] = {(uint32_t)h};
    semihost(0x02, a);
}
static void leave(int32_t code)
{
    uint32_t a[2] = {0x20026, (uint32_t)code};    /* ADP_Stopped_ApplicationExit */
    semihost(0x20, a);
    for (;;) {
    }
}
#else
#include <stdio.h>
static intptr_t open_file(const char *name, int write) { return (intptr_t)fopen(name, write ? "wb" : "rb"); }
static uint32_t read_file(intptr_t h, void *p, uint32_t n) { return (uint32_t)fread(p, 1, n, (FILE *)h); }
static void write_file(intptr_t h, const void *p, uint32_t n) { fwrite(p, 1, n, (FILE *)h); }
static void close_file(intptr_t h) { fclose((FILE *)h); }
static void leave(int32_t code) { (void)code; }
#endif

typedef float (*unary_t)(float);
static float f_expf(float x) { return expf(x); }
static float f_tanhf(float x) { return tanhf(x); }
static float f_expm1f(float x) { return expm1f(x); }
static float f_logf(float x) { return logf(x); }
static float f_sqrtf(float x) { return sqrtf(x); }
static float f_erff(float x) { return erff(x); }
static float f_cosf(float x) { return cosf(x); }
static float f_sinf(float x) { return sinf(x); }
static const unary_t FUNCTIONS[] = {f_expf, f_tanhf, f_expm1f, f_logf, f_sqrtf, f_erff, f_cosf, f_sinf};
static const char *const OUTPUTS[] = {"expf.bin", "tanhf.bin", "expm1f.bin", "logf.bin", "sqrtf.bin", "erff.bin",
                                      "cosf.bin", "sinf.bin"};

static float in_chunk[CHUNK];
static float out_chunk[CHUNK];

int main(void)
{
    uint32_t f, i, n;

    for (f = 0; f < sizeof FUNCTIONS / sizeof FUNCTIONS[0]; ++f) {
        const intptr_t in = open_file("in.bin", 0);
        const intptr_t out = open_file(OUTPUTS[f], 1);
        if (in <= 0 || out <= 0) {
            leave(2);
        }
        while ((n = read_file(in, in_chunk, sizeof in_chunk) / sizeof(float)) > 0) {
            for (i = 0; i < n; ++i) {
                out_chunk[i] = FUNCTIONS[f](in_chunk[i]);
            }
            write_file(out, out_chunk, n * sizeof(float));
        }
        close_file(in);
        close_file(out);
    }
    leave(0);
    return 0;
}

#ifdef TG_PROBE_SEMIHOSTING
extern uint32_t _estack;
void tg_probe_reset(void)
{
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;     /* CPACR: CP10, CP11 full access (the FPU) */
    __asm__ volatile("dsb\n\tisb");
    main();
}
void tg_probe_fault(void) { leave(3); }
__attribute__((section(".vectors"), used)) static const void *const VECTORS[16] = {
    &_estack, tg_probe_reset, tg_probe_fault, tg_probe_fault, tg_probe_fault, tg_probe_fault, tg_probe_fault};
#endif
