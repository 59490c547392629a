@ Microbenchmarks for the cycle models (tests/cycles/test_cycles.py): straight runs whose
@ Cortex-M4 cycle counts follow from the TRM's Table 3-1 and 3.3.2. Each bench_*
@ is called from _start, then bench_done marks the end of its segment.
    .syntax unified
    .thumb
    .section .vectors, "a"
    .word 0x20010000                @ initial stack pointer
    .word _start + 1                @ reset handler (Thumb)

    .text
    .thumb_func
    .global _start
_start:
    ldr r0, =data
    bl bench_smlad
    bl bench_done
    ldr r0, =data
    bl bench_ldr
    bl bench_done
    ldr r0, =data
    bl bench_ldr_chain
    bl bench_done
    ldr r0, =data
    bl bench_loop
    bl bench_done
    movs r0, #0x18                  @ semihosting SYS_EXIT, ADP_Stopped_ApplicationExit
    ldr r1, =0x20026
    bkpt 0xab
1:  b 1b

    .thumb_func
bench_smlad:                        @ 100 SMLAD: 1 cycle each
    .rept 100
    smlad r2, r3, r4, r2
    .endr
    bx lr

    .thumb_func
bench_ldr:                          @ 100 LDR from one base: 2, then 1 each pipelined
    .rept 50
    ldr r1, [r0]
    ldr r2, [r0, #4]
    .endr
    bx lr

    .thumb_func
bench_ldr_chain:                    @ 100 LDR, each the base of the next: 2 each, no pipelining
    add r1, r0, #0
    .rept 100
    ldr r1, [r1]
    .endr
    bx lr

    .thumb_func
bench_loop:                         @ 10 x (SMLAD, SUBS, BNE): the branch taken 9 times
    movs r5, #10
2:  smlad r2, r3, r4, r2
    subs r5, r5, #1
    bne 2b
    bx lr

    .thumb_func
bench_done:
    bx lr

    .data
    .align 2
data:
    .word data                      @ points at itself: the chain of loads stays on it
    .word 0
