/*
 * What the float front end's Helium (MVE) stages share (the tg_*_f32_mve.c
 * files, for the Cortex-M55): the guard that keeps them bit-exact with the
 * scalar stages they replace.
 *
 * Each lane of a vector computes one output with exactly the scalar code's
 * float32 operations in its order (no fused multiply-add: the scalar build
 * is -std=c99, whose -ffp-contract=off keeps a * b + c as VMUL, VADD), so a
 * lane's result equals the scalar one, with one exception: MVE floating
 * point always runs with the "standard" FPSCR value, flush-to-zero on, where
 * the scalar FPU keeps subnormals (FPSCR.FZ = 0). The two differ only where an
 * operand or a result is subnormal, and a flush is never silent: an operand
 * flushed sets FPSCR.IDC, a result flushed FPSCR.UFC (the architecture's
 * cumulative flags, which MVE instructions update as the scalar ones do).
 *
 * So every stage clears the two flags, computes a group of lanes in
 * registers, reads the flags before it stores anything, and where one is set
 * recomputes that group with the scalar formula (subnormals and all) before
 * clearing them again. Which values can be subnormal cannot be bounded ahead
 * (the FFT's twiddles reach 6e-17 and its sums cancel), so the guard is
 * checked rather than argued; in speech, noise, silence and quiet input it
 * does not fire (tests/audio/test_audio_mve.py makes it fire on purpose).
 *
 * The asm statements clobber "memory" and take the group's results as
 * operands: no vector arithmetic of the group moves after the read, and
 * none of the next group's (its loads come after the clobber) before it.
 */
#ifndef TG_AUDIO_MVE_H
#define TG_AUDIO_MVE_H

#include <arm_mve.h>
#include <stdint.h>

#define TG_FPSCR_IDC (1u << 7)   /* an input was flushed to zero */
#define TG_FPSCR_UFC (1u << 3)   /* a result was flushed to zero (or, scalar, underflowed) */
#define TG_FPSCR_FLUSHED (TG_FPSCR_IDC | TG_FPSCR_UFC)

/* Clear the flush flags (FPSCR's other fields as they are). */
static inline __attribute__((always_inline)) void tg_mve_clear_flush(void)
{
    uint32_t s;
    __asm__ volatile("vmrs %0, fpscr\n\t"
                     "bic %0, %0, %1\n\t"
                     "vmsr fpscr, %0" : "=&r"(s) : "i"(TG_FPSCR_FLUSHED) : "memory");
}

/* Nonzero when a flush happened since the last clear, once a, b, c and d are computed. */
static inline __attribute__((always_inline)) uint32_t tg_mve_flushed4(float32x4_t a, float32x4_t b, float32x4_t c,
                                                                      float32x4_t d)
{
    uint32_t s;
    __asm__ volatile("vmrs %0, fpscr" : "=r"(s) : "w"(a), "w"(b), "w"(c), "w"(d) : "memory");
    return s & TG_FPSCR_FLUSHED;
}

#endif /* TG_AUDIO_MVE_H */
