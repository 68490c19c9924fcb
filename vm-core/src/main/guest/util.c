/* Output, pacing and the few libc routines the compiler may call. */
#include "guest.h"

void *memset(void *d, int c, uint64_t n)
{
    uint8_t *p = d;
    while (n--) {
        *p++ = (uint8_t)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, uint64_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--) {
        *p++ = *q++;
    }
    return d;
}

void pacer_start(struct pacer *p, uint64_t rate, uint64_t now)
{
    p->start_tsc = now;
    p->rate = rate;
    p->done = 0;
}

/*
 * True if `bytes` more may go now; counts them. A backlog (the vCPU was paused, say for a
 * migration's switch-over) is capped at 100 ms of work so the guest does not burst afterwards.
 */
int pacer_due(struct pacer *p, uint64_t now, uint64_t bytes)
{
    if (p->rate == 0) {
        return 0;
    }
    if (p->rate != UINT64_MAX) {
        uint64_t us = (now - p->start_tsc) * 1000 / CFG->tsc_khz;
        uint64_t allowed = (us / 1000000) * p->rate + (us % 1000000) * p->rate / 1000000;
        uint64_t cap = p->rate / 10;
        if (allowed > p->done + cap + bytes) {
            p->done = allowed - cap - bytes;
        }
        if (p->done + bytes > allowed) {
            return 0;
        }
    }
    p->done += bytes;
    return 1;
}

void line_str(struct line *l, const char *s)
{
    while (*s && l->n < sizeof(l->buf) - 1) {
        l->buf[l->n++] = *s++;
    }
}

void line_u64(struct line *l, uint64_t v)
{
    char tmp[20];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k && l->n < sizeof(l->buf) - 1) {
        l->buf[l->n++] = tmp[--k];
    }
}

void line_hex(struct line *l, uint64_t v)
{
    line_str(l, "0x");
    for (int shift = 60; shift >= 0 && l->n < sizeof(l->buf) - 1; shift -= 4) {
        l->buf[l->n++] = "0123456789abcdef"[(v >> shift) & 15];
    }
}

void line_emit(struct line *l)
{
    l->buf[l->n++] = '\n';
    for (uint32_t i = 0; i < l->n; i++) {
        outb(FERRY_UART_PORT, (uint8_t)l->buf[i]);
    }
    l->n = 0;
}

void say(const char *s)
{
    struct line l = {.n = 0};
    line_str(&l, "ferry-guest: ");
    line_str(&l, s);
    line_emit(&l);
}

void report(uint32_t kind, uint32_t arg)
{
    outl(FERRY_EXIT_PORT, (arg << 8) | kind);
}
