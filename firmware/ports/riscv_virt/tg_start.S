/*
 * Reset entry of the RISC-V virt stand-in (qemu-system-riscv32 -M virt
 * -bios none starts the hart in machine mode at 0x80000000, where the linker
 * script puts .text.start): stack, global pointer, .data copied from its load
 * address, .bss zeroed, then main(). If main returns, its value is the exit
 * status.
 */
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax             /* gp is not set yet: no gp-relative relaxation here */
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top__

    la      a0, __data_load__
    la      a1, __data_start__
    la      a2, __data_end__
1:  bgeu    a1, a2, 2f          /* copy .data, a word at a time (the script aligns it to 4) */
    lw      t0, 0(a0)
    sw      t0, 0(a1)
    addi    a0, a0, 4
    addi    a1, a1, 4
    j       1b

2:  la      a0, __bss_start__
    la      a1, __bss_end__
3:  bgeu    a0, a1, 4f          /* zero .bss */
    sw      zero, 0(a0)
    addi    a0, a0, 4
    j       3b

4:  call    main
    call    tg_port_exit        /* a0: main's return value */
5:  j       5b
