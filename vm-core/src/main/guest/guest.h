/* Ring-3 helpers shared by the workload files. */
#ifndef FERRY_GUEST_H
#define FERRY_GUEST_H

#include <stdint.h>
#include "layout.h"

extern struct ferry_config ferry_config_block;
extern struct ferry_status ferry_status_block;
#define CFG (&ferry_config_block)
#define STATUS (&ferry_status_block)

#define barrier() __asm__ volatile("" ::: "memory")

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint32_t mmio_read32(uint64_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write32(uint64_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }

/* A strong 64-bit mixer (splitmix64 finaliser): content seeds and fingerprints. */
static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

#define WORD_STEP 0x9e3779b97f4a7c15ull

/* Fills n words with the pattern of seed s; returns nothing: the pattern is its own check. */
static inline void pattern_fill(uint64_t *w, uint64_t n, uint64_t s)
{
    for (uint64_t i = 0; i < n; i++) {
        w[i] = s ^ (i * WORD_STEP);
    }
}

static inline int pattern_matches(const uint64_t *w, uint64_t n, uint64_t s)
{
    uint64_t diff = 0;
    for (uint64_t i = 0; i < n; i++) {
        diff |= w[i] ^ (s ^ (i * WORD_STEP));
    }
    return diff == 0;
}

/* Paces work to a rate in bytes per second of TSC time. */
struct pacer {
    uint64_t start_tsc;
    uint64_t rate;
    uint64_t done;
};

void pacer_start(struct pacer *p, uint64_t rate, uint64_t now);
int pacer_due(struct pacer *p, uint64_t now, uint64_t bytes);

/* One UART line built in memory, then written with one out per byte. */
struct line {
    char buf[160];
    uint32_t n;
};

void line_str(struct line *l, const char *s);
void line_u64(struct line *l, uint64_t v);
void line_hex(struct line *l, uint64_t v);
void line_emit(struct line *l);
void say(const char *s);
void report(uint32_t kind, uint32_t arg);

void *memset(void *d, int c, uint64_t n);
void *memcpy(void *d, const void *s, uint64_t n);

/* Memory workload (mem.c). */
struct verify_result {
    uint64_t checked;
    uint64_t bad;
    uint64_t first_bad;
};
void mem_init(uint64_t base, uint64_t pages, uint32_t *generations, uint64_t seed);
int mem_step(uint64_t now);
void mem_verify(struct verify_result *r);

/* Disk workload (disk.c). */
int disk_probe(uint64_t mmio, uint64_t *blocks_out);
void disk_init(uint32_t *seqs, uint8_t *io, uint64_t seed);
int disk_step(uint64_t now);
void disk_flush(void);
void disk_verify(struct verify_result *r);

#endif
