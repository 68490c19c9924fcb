/*
 * Guest/VMM contract: addresses, ports and the layouts of the header, config and status blocks.
 * README.md in this directory is the prose version; GuestImage/GuestConfig/GuestStatus in
 * dev.ferry.vm.guest are the Java side. Change all three together and bump the version.
 */
#ifndef FERRY_GUEST_LAYOUT_H
#define FERRY_GUEST_LAYOUT_H

#define FERRY_LOAD_ADDRESS   0x100000
#define FERRY_MAPPED_LIMIT   0x100000000 /* identity map, 2 MiB pages, user-accessible */

#define FERRY_UART_PORT      0x3f8
#define FERRY_EXIT_PORT      0x501

/* GDT selectors the stub installs; the VMM enters with CS=KCODE, other segments KDATA. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x18
#define SEL_UCODE 0x20
#define SEL_TSS   0x28

/* Codes written (32-bit) to the exit port: low byte kind, upper 24 bits argument. */
#define EXIT_READY          0x01 /* ring 3 reached and config accepted */
#define EXIT_PROGRESS       0x02 /* arg: progress line number */
#define EXIT_VERIFY_OK      0x03
#define EXIT_VERIFY_FAILED  0x04
#define EXIT_PANIC          0x05 /* arg: exception vector */
#define EXIT_STOP           0x06 /* the guest asks the VMM to stop it */
#define EXIT_CONFIG_ERROR   0x07 /* arg: offset of the rejected config field */
#define EXIT_IDLE           0x08 /* arg: microseconds with nothing to do; the VMM may return sooner */

/* Header offsets (the image's first bytes). */
#define HDR_MAGIC        0x00 /* "FERRYGST" */
#define HDR_VERSION      0x08 /* u32 */
#define HDR_SIZE         0x0c /* u32 header bytes */
#define HDR_LOAD         0x10
#define HDR_ENTRY        0x18
#define HDR_CR3          0x20
#define HDR_RSP          0x28
#define HDR_CONFIG       0x30
#define HDR_STATUS       0x38
#define HDR_IMAGE_END    0x40 /* first byte after the guest's own memory (image + zeroed stacks) */
#define HDR_MAPPED_LIMIT 0x48
#define HDR_BYTES        0x50

#define FERRY_VERSION 1

#define CMD_NONE   0
#define CMD_VERIFY 1
#define CMD_STOP   2

#define STATE_BOOTING      0
#define STATE_RUNNING      1
#define STATE_VERIFYING    2
#define STATE_STOPPED      3
#define STATE_PANIC        4
#define STATE_CONFIG_ERROR 5

#define VERIFY_NONE   0
#define VERIFY_OK     1
#define VERIFY_FAILED 2

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Written by the VMM before the first instruction; command/command_seq at any time. */
struct ferry_config {
    uint64_t magic;           /* 0x00 "FERRYCFG" */
    uint32_t version;         /* 0x08 */
    uint32_t reserved0;       /* 0x0c */
    uint64_t tsc_khz;         /* 0x10 */
    uint64_t arena_base;      /* 0x18 RAM the workload owns: metadata, then pages */
    uint64_t arena_size;      /* 0x20 */
    uint64_t mem_rate;        /* 0x28 bytes/s the guest dirties; 0 = off */
    uint64_t disk_mmio;       /* 0x30 virtio-mmio base of the disk; 0 = no disk */
    uint64_t disk_rate;       /* 0x38 bytes/s written+read; 0 = off */
    uint64_t disk_blocks;     /* 0x40 blocks used from the disk's start; 0 = whole disk */
    uint32_t block_size;      /* 0x48 bytes, multiple of 512, 512..65536 */
    uint32_t read_percent;    /* 0x4c share of requests that read and verify, 0..100 */
    uint32_t batch;           /* 0x50 requests per notify, 1..32 */
    uint32_t progress_ms;     /* 0x54 progress line period; 0 = none */
    uint64_t seed;            /* 0x58 */
    volatile uint32_t command;     /* 0x60 CMD_* */
    volatile uint32_t command_seq; /* 0x64 the VMM bumps it to post a command */
};

/* Written by the guest; the VMM reads it without exits. */
struct ferry_status {
    uint64_t magic;            /* 0x00 "FERRYSTA" */
    uint32_t version;          /* 0x08 */
    uint32_t state;            /* 0x0c STATE_* */
    uint64_t iterations;       /* 0x10 workload loop turns */
    uint64_t pages_written;    /* 0x18 */
    uint64_t blocks_written;   /* 0x20 */
    uint64_t blocks_read;      /* 0x28 */
    uint64_t blocks_verified;  /* 0x30 */
    uint64_t errors;           /* 0x38 */
    uint64_t mem_checksum;     /* 0x40 sum of fingerprint(page, generation) over pages */
    uint64_t disk_checksum;    /* 0x48 sum of fingerprint(block, seq) over blocks */
    uint32_t command_done;     /* 0x50 command_seq of the last finished command */
    uint32_t last_verify;      /* 0x54 VERIFY_* */
    uint64_t heartbeat_tsc;    /* 0x58 rdtsc at the last loop turn */
    uint64_t panic_vector;     /* 0x60 */
    uint64_t panic_rip;        /* 0x68 */
    uint64_t panic_error;      /* 0x70 */
    uint64_t disk_capacity;    /* 0x78 sectors the device reported */
};
#endif
#endif
