/*
 * Memory workload: rewrites random 4 KiB pages of the arena at the configured rate. A page's
 * content is a pattern seeded by (page, generation); the generation table lives in guest RAM too,
 * so a migrated guest can verify every page it ever wrote.
 */
#include "guest.h"

#define PAGE 4096
#define WORDS (PAGE / 8)
#define PAGES_PER_TURN 256

static uint64_t mem_base;
static uint64_t mem_pages;
static uint32_t *mem_gen;
static uint64_t mem_seed;
static uint64_t mem_rng;
static struct pacer mem_pacer;

static uint64_t page_seed(uint64_t page, uint32_t gen)
{
    return mix64(mem_seed ^ (page << 24) ^ gen);
}

/* What the status checksum sums per page; 0 for a page never written. */
static uint64_t page_fingerprint(uint64_t page, uint32_t gen)
{
    return gen ? mix64(page_seed(page, gen) + 1) : 0;
}

void mem_init(uint64_t base, uint64_t pages, uint32_t *generations, uint64_t seed)
{
    mem_base = base;
    mem_pages = pages;
    mem_gen = generations;
    mem_seed = mix64(seed ^ 0x6d656d);
    mem_rng = mem_seed | 1;
    pacer_start(&mem_pacer, pages ? CFG->mem_rate : 0, rdtsc());
}

/* Rewrites the pages due now (at most PAGES_PER_TURN); returns how many. */
int mem_step(uint64_t now)
{
    int k = 0;
    for (; k < PAGES_PER_TURN && pacer_due(&mem_pacer, now, PAGE); k++) {
        mem_rng ^= mem_rng << 13;
        mem_rng ^= mem_rng >> 7;
        mem_rng ^= mem_rng << 17;
        uint64_t page = mem_rng % mem_pages;
        uint32_t old = mem_gen[page];
        uint32_t gen = old + 1 ? old + 1 : 1;
        pattern_fill((uint64_t *)(mem_base + page * PAGE), WORDS, page_seed(page, gen));
        mem_gen[page] = gen;
        STATUS->mem_checksum += page_fingerprint(page, gen) - page_fingerprint(page, old);
        STATUS->pages_written++;
    }
    return k;
}

void mem_verify(struct verify_result *r)
{
    uint64_t sum = 0;
    for (uint64_t page = 0; page < mem_pages; page++) {
        uint32_t gen = mem_gen[page];
        if (gen == 0) {
            continue;
        }
        r->checked++;
        sum += page_fingerprint(page, gen);
        if (!pattern_matches((const uint64_t *)(mem_base + page * PAGE), WORDS, page_seed(page, gen))) {
            if (r->bad++ == 0) {
                r->first_bad = mem_base + page * PAGE;
            }
        }
    }
    if (sum != STATUS->mem_checksum && r->bad++ == 0) {
        r->first_bad = (uint64_t)&STATUS->mem_checksum;
    }
}
