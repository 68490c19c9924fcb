/*
 * Ring-0 stub. On PVM every CPL0 instruction is emulated (slow, and only plain integer
 * instructions are supported), so this file does the minimum: GDT, TSS, IDT, then iretq into
 * ring 3 with IOPL=3, where the workload runs natively. Exceptions land here, are reported over
 * the UART and the exit port, and halt the vCPU.
 */
#include "layout.h"

        .section .header, "a"
        .ascii "FERRYGST"
        .long FERRY_VERSION
        .long HDR_BYTES
        .quad FERRY_LOAD_ADDRESS
        .quad _start
        .quad pml4
        .quad stack0_top
        .quad ferry_config_block
        .quad ferry_status_block
        .quad __image_end
        .quad FERRY_MAPPED_LIMIT

        .text
        .globl _start
_start:
        /* Entered in long mode, CPL0, paging on with CR3 = pml4, RSP = stack0_top. */
        lgdt gdt_ptr(%rip)
        mov $SEL_KDATA, %eax
        mov %eax, %ds
        mov %eax, %es
        mov %eax, %ss

        /* The TSS descriptor's base is split into bit fields no relocation can express. */
        lea tss(%rip), %rax
        lea gdt_tss(%rip), %rdi
        mov %ax, 2(%rdi)
        shr $16, %rax
        mov %al, 4(%rdi)
        mov %ah, 7(%rdi)
        shr $16, %rax
        mov %eax, 8(%rdi)
        mov $SEL_TSS, %eax
        ltr %ax

        /* Interrupt gates for the 32 exception vectors, same reason. NMI, #DF and #MC switch to
           their own stack (IST1), so a fault with a broken stack is still reported, not a
           triple fault. */
        lea idt(%rip), %rdi
        lea isr_table(%rip), %rsi
        xor %ecx, %ecx
1:      mov (%rsi,%rcx,8), %rax
        mov %ax, (%rdi)
        movw $SEL_KCODE, 2(%rdi)
        movw $0x8e00, 4(%rdi)
        cmp $2, %ecx
        je 8f
        cmp $8, %ecx
        je 8f
        cmp $18, %ecx
        jne 9f
8:      movb $1, 4(%rdi)
9:      shr $16, %rax
        mov %ax, 6(%rdi)
        shr $16, %rax
        mov %eax, 8(%rdi)
        movl $0, 12(%rdi)
        add $16, %rdi
        inc %ecx
        cmp $32, %ecx
        jne 1b
        lidt idt_ptr(%rip)

        /* To ring 3: IOPL=3 so in/out work there, IF=0 (the guest polls, it takes no interrupts). */
        pushq $(SEL_UDATA | 3)
        lea stack3_top-8(%rip), %rax
        push %rax
        pushq $0x3002
        pushq $(SEL_UCODE | 3)
        lea ring3_main(%rip), %rax
        push %rax
        iretq

        .macro isr vec
isr\vec:
        .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
        .else
        pushq $0
        .endif
        pushq $\vec
        jmp isr_common
        .endm

        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        isr \v
        .endr

/* Stack: vector, error code, rip, cs, rflags, rsp, ss. A #GP(0) from ring 3 at an `out` is a
   host that ignores IOPL=3 (PVM since late 2026 does): the stub does that `out` itself and
   returns past it. The guest only writes ports (outb/outl, port in DX or an 8-bit immediate).
   Anything else is a panic: the first six slots printed in that order, then CR2. */
isr_common:
        cmpq $13, (%rsp)
        jne panic
        cmpq $0, 8(%rsp)
        jne panic
        testb $3, 24(%rsp)
        jz panic
        push %rsi
        push %rcx
        push %rdx
        mov 40(%rsp), %rsi              /* the faulting RIP (three pushes above the vector) */
        movzbl (%rsi), %ecx
        mov $1, %esi                    /* instruction length */
        and $0xfe, %ecx                 /* 0xee/0xef: port in DX; 0xe6/0xe7: immediate port */
        cmp $0xee, %ecx
        je 1f
        cmp $0xe6, %ecx
        jne 9f
        mov 40(%rsp), %rdx
        movzbl 1(%rdx), %edx
        mov $2, %esi
1:      mov 40(%rsp), %rcx
        testb $1, (%rcx)
        jnz 2f
        out %al, %dx
        jmp 3f
2:      out %eax, %dx
3:      add %rsi, 40(%rsp)
        pop %rdx
        pop %rcx
        pop %rsi
        add $16, %rsp                   /* vector and error code */
        iretq
9:      pop %rdx
        pop %rcx
        pop %rsi
panic:
        mov (%rsp), %rbx
        lea ferry_status_block(%rip), %rdi
        movl $STATE_PANIC, 0x0c(%rdi)
        mov %rbx, 0x60(%rdi)
        mov 16(%rsp), %rax
        mov %rax, 0x68(%rdi)
        mov 8(%rsp), %rax
        mov %rax, 0x70(%rdi)
        xor %r12d, %r12d
7:      lea panic_labels(%rip), %rsi
        mov (%rsi,%r12,8), %rsi
        call puts0
        mov (%rsp,%r12,8), %rax
        call puthex0
        inc %r12
        cmp $6, %r12
        jne 7b
        lea msg_cr2(%rip), %rsi
        call puts0
        mov %cr2, %rax
        call puthex0
        lea msg_nl(%rip), %rsi
        call puts0
        mov %ebx, %eax
        shl $8, %eax
        or $EXIT_PANIC, %eax
        mov $FERRY_EXIT_PORT, %dx
        out %eax, %dx
2:      cli
        hlt
        jmp 2b

/* Writes the NUL-terminated string at %rsi to the UART. */
puts0:
        mov $FERRY_UART_PORT, %dx
3:      movb (%rsi), %al
        test %al, %al
        jz 4f
        out %al, %dx
        inc %rsi
        jmp 3b
4:      ret

/* Writes %rax as 16 hex digits to the UART (integer instructions only: this runs emulated). */
puthex0:
        mov %rax, %r8
        mov $60, %ecx
        mov $FERRY_UART_PORT, %dx
5:      mov %r8, %rax
        shr %cl, %rax
        and $15, %eax
        cmp $10, %eax
        jb 6f
        add $('a' - '0' - 10), %eax
6:      add $'0', %eax
        out %al, %dx
        sub $4, %ecx
        jns 5b
        ret

        .section .rodata
msg_panic: .asciz "ferry-guest: panic vector=0x"
msg_err:   .asciz " err=0x"
msg_rip:   .asciz " rip=0x"
msg_cs:    .asciz " cs=0x"
msg_flags: .asciz " rflags=0x"
msg_rsp:   .asciz " rsp=0x"
msg_cr2:   .asciz " cr2=0x"
msg_nl:    .asciz "\n"

        .balign 8
panic_labels:
        .quad msg_panic, msg_err, msg_rip, msg_cs, msg_flags, msg_rsp

        .balign 8
isr_table:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad isr\v
        .endr

        .data
        .balign 16
gdt:
        .quad 0                         /* null */
        .quad 0x00af9a000000ffff        /* 0x08 kernel code: 64-bit, DPL0 */
        .quad 0x00cf92000000ffff        /* 0x10 kernel data */
        .quad 0x00cff2000000ffff        /* 0x18 user data: DPL3 */
        .quad 0x00affa000000ffff        /* 0x20 user code: 64-bit, DPL3 */
gdt_tss:
        .quad 0x0000890000000067        /* 0x28 available 64-bit TSS, base filled at boot */
        .quad 0
gdt_end:

        .balign 8
        .word 0
gdt_ptr:
        .word gdt_end - gdt - 1
        .quad gdt

        .word 0, 0, 0
idt_ptr:
        .word 32 * 16 - 1
        .quad idt

        .balign 16
tss:
        .long 0
        .quad stack0_top                /* RSP0: exceptions from ring 3 switch to this stack */
        .quad 0, 0, 0                   /* RSP1, RSP2, reserved */
        .quad ist1_top                  /* IST1: NMI, #DF and #MC, whatever RSP was */
        .fill 0x68 - 0x2c, 1, 0

        /* Identity map of the low 4 GiB with 2 MiB user pages (P|RW|US|A|D|PS), so ring 3
           reaches all RAM and the MMIO window without faults or accessed-bit updates. */
        .section .pagetables, "aw"
        .balign 4096
pml4:
        .quad pdpt + 0x27
        .fill 511, 8, 0
pdpt:
        .quad pd + 0x27, pd + 0x1000 + 0x27, pd + 0x2000 + 0x27, pd + 0x3000 + 0x27
        .fill 508, 8, 0
pd:
        .set page, 0
        .rept 2048
        .quad (page << 21) | 0xe7
        .set page, page + 1
        .endr

        .section .bss.blocks, "aw", @nobits
        .balign 4096
        .globl ferry_config_block, ferry_status_block
ferry_config_block:
        .skip 4096
ferry_status_block:
        .skip 4096
idt:
        .skip 32 * 16
        .balign 4096
stack0:
        .skip 4096
stack0_top:
ist1:
        .skip 4096
ist1_top:
stack3:
        .skip 65536
stack3_top:

        .section .note.GNU-stack, "", @progbits
