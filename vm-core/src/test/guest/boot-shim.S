/*
 * Test-only firmware that lets QEMU (TCG, -machine microvm, -bios) run Ferry's guest without KVM.
 * QEMU starts the CPU in real mode at the reset vector; this code builds the entry state Ferry's
 * VMM gives a vCPU (vm-core/src/main/guest/README.md, "Entry state the VMM sets") and jumps to the
 * guest's entry. CR3, RSP and the entry come from the image header at FERRY_LOAD_ADDRESS, which
 * the test writes into guest RAM before QEMU starts. Linked at 0xffff0000: QEMU maps a 64 KiB
 * -bios image just below 4 GiB, so the reset vector is the last 16 bytes.
 */
#include "layout.h"

#define CR0_PE 0x1
#define CR0_MP 0x2
#define CR0_ET 0x10
#define CR0_NE 0x20
#define CR0_WP 0x10000
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define CR4_OSFXSR 0x200
#define CR4_OSXMMEXCPT 0x400
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define SEL_CODE32 0x18 /* the shim's own, for the step from real to long mode */

        .code16
        .text
        .globl _start
_start:
        cli
        cld
        /* Real mode: CS base is 0xffff0000, so offsets from _start address the shim. */
        lgdtl %cs:(gdt_ptr - _start)
        mov %cr0, %eax
        or $CR0_PE, %eax
        mov %eax, %cr0
        ljmpl $SEL_CODE32, $protected32

        .code32
protected32:
        mov $SEL_KDATA, %eax
        mov %eax, %ds
        mov %eax, %es
        mov %eax, %ss
        /* No guest image in RAM: say so on the UART instead of jumping into zeroes. */
        cmpl $0x52524546, FERRY_LOAD_ADDRESS   /* "FERR" */
        jne no_guest
        cmpl $0x54534759, FERRY_LOAD_ADDRESS + 4 /* "YGST" */
        jne no_guest
        mov $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
        mov %eax, %cr4
        mov FERRY_LOAD_ADDRESS + HDR_CR3, %eax
        mov %eax, %cr3
        mov $MSR_EFER, %ecx
        rdmsr
        or $EFER_LME, %eax
        wrmsr
        mov $(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG), %eax
        mov %eax, %cr0
        ljmp $SEL_KCODE, $long64

no_guest:
        mov $msg_no_guest, %esi
        mov $FERRY_UART_PORT, %dx
1:      lodsb
        test %al, %al
        jz 2f
        out %al, %dx
        jmp 1b
2:      hlt
        jmp 2b

        .code64
long64:
        mov $SEL_KDATA, %eax
        mov %eax, %ds
        mov %eax, %es
        mov %eax, %ss
        xor %eax, %eax
        mov %eax, %fs
        mov %eax, %gs
        mov FERRY_LOAD_ADDRESS + HDR_RSP, %rsp
        mov FERRY_LOAD_ADDRESS + HDR_ENTRY, %rax
        pushq $0x2
        popfq
        jmp *%rax

msg_no_guest:
        .asciz "boot-shim: no Ferry guest image (FERRYGST) at 0x100000\n"

        /* Selectors as the contract names them; accessed bits preset so the CPU never writes here. */
        .balign 16
gdt:
        .quad 0
        .quad 0x00af9b000000ffff        /* 0x08 SEL_KCODE: 64-bit code, DPL0 */
        .quad 0x00cf93000000ffff        /* 0x10 SEL_KDATA: flat data */
        .quad 0x00cf9b000000ffff        /* 0x18 SEL_CODE32: flat 32-bit code */
gdt_end:
        .balign 8
        .word 0
gdt_ptr:
        .word gdt_end - gdt - 1
        .long gdt

        /* The CPU's first instruction: 16 bytes below 4 GiB, the end of the 64 KiB image. */
        .org 0xfff0
        .code16
        jmp _start
        .org 0x10000

        .section .note.GNU-stack, "", @progbits
