/*
 * Disk workload: a polling virtio-blk driver over virtio-mmio (split virtqueue, no interrupts)
 * that writes self-describing blocks (magic, block, seq, checksum, then a pattern seeded by
 * (block, seq)) at random blocks and reads back blocks it wrote, checking them. Requests go in
 * batches with one notify each: a notify is an exit.
 */
#include "guest.h"

#define QSIZE 128
#define MAX_BATCH 32

/* virtio-mmio registers (virtio 1.x, "modern" layout). */
#define VM_MAGIC 0x000
#define VM_VERSION 0x004
#define VM_DEVICE_ID 0x008
#define VM_DEVICE_FEATURES 0x010
#define VM_DEVICE_FEATURES_SEL 0x014
#define VM_DRIVER_FEATURES 0x020
#define VM_DRIVER_FEATURES_SEL 0x024
#define VM_QUEUE_SEL 0x030
#define VM_QUEUE_NUM_MAX 0x034
#define VM_QUEUE_NUM 0x038
#define VM_QUEUE_READY 0x044
#define VM_QUEUE_NOTIFY 0x050
#define VM_STATUS 0x070
#define VM_QUEUE_DESC 0x080
#define VM_QUEUE_DRIVER 0x090
#define VM_QUEUE_DEVICE 0x0a0
#define VM_CONFIG 0x100

#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8

#define F_RO 5
#define F_FLUSH 9
#define F_VERSION_1 32

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8

#define D_NEXT 1
#define D_WRITE 2

#define BLK_MAGIC 0x4b4c425952524546ull /* "FERRYBLK" */
#define HDR_WORDS 4

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct req_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

static struct {
    struct desc desc[QSIZE];
    uint16_t avail_flags;
    volatile uint16_t avail_idx;
    uint16_t avail_ring[QSIZE];
    uint16_t used_event;
} __attribute__((aligned(4096))) vq_driver;

static struct {
    uint16_t flags;
    volatile uint16_t idx;
    struct {
        uint32_t id;
        uint32_t len;
    } ring[QSIZE];
    uint16_t avail_event;
} __attribute__((aligned(4096))) vq_device;

static struct req_hdr hdrs[MAX_BATCH];
static volatile uint8_t req_status[MAX_BATCH];
static char device_id[24];

static uint64_t mmio;
static uint64_t blocks;
static uint32_t block_size;
static uint32_t *seqs;
static uint8_t *io;
static uint64_t disk_seed;
static uint64_t disk_rng;
static uint32_t next_seq;
static uint16_t next_avail;
static uint16_t last_used;
static int read_only;
static struct pacer disk_pacer;

/* One queued request of the current batch. */
struct slot {
    uint64_t block;
    uint32_t seq; /* written or expected */
    int write;
};
static struct slot slots[MAX_BATCH];
static uint32_t nslots;

static uint32_t reg(uint32_t off) { return mmio_read32(mmio + off); }
static void set_reg(uint32_t off, uint32_t v) { mmio_write32(mmio + off, v); }

static void set_queue_address(uint32_t off, const void *p)
{
    set_reg(off, (uint32_t)(uint64_t)p);
    set_reg(off + 4, (uint32_t)((uint64_t)p >> 32));
}

/* Returns 0 and the disk's size in bytes, or a negative code naming what was wrong. */
int disk_probe(uint64_t base, uint64_t *bytes_out)
{
    mmio = base;
    if (reg(VM_MAGIC) != 0x74726976 || reg(VM_VERSION) != 2 || reg(VM_DEVICE_ID) != 2) {
        return -1;
    }
    set_reg(VM_STATUS, 0);
    set_reg(VM_STATUS, S_ACKNOWLEDGE);
    set_reg(VM_STATUS, S_ACKNOWLEDGE | S_DRIVER);
    set_reg(VM_DEVICE_FEATURES_SEL, 0);
    uint32_t low = reg(VM_DEVICE_FEATURES);
    set_reg(VM_DEVICE_FEATURES_SEL, 1);
    uint32_t high = reg(VM_DEVICE_FEATURES);
    if (!(high & (1u << (F_VERSION_1 - 32)))) {
        return -2;
    }
    read_only = (low >> F_RO) & 1;
    set_reg(VM_DRIVER_FEATURES_SEL, 0);
    set_reg(VM_DRIVER_FEATURES, low & ((1u << F_RO) | (1u << F_FLUSH)));
    set_reg(VM_DRIVER_FEATURES_SEL, 1);
    set_reg(VM_DRIVER_FEATURES, 1u << (F_VERSION_1 - 32));
    set_reg(VM_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
    if (!(reg(VM_STATUS) & S_FEATURES_OK)) {
        return -3;
    }
    set_reg(VM_QUEUE_SEL, 0);
    if (reg(VM_QUEUE_NUM_MAX) < QSIZE) {
        return -4;
    }
    set_reg(VM_QUEUE_NUM, QSIZE);
    set_queue_address(VM_QUEUE_DESC, &vq_driver.desc);
    set_queue_address(VM_QUEUE_DRIVER, &vq_driver.avail_flags);
    set_queue_address(VM_QUEUE_DEVICE, &vq_device);
    set_reg(VM_QUEUE_READY, 1);
    set_reg(VM_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    uint64_t sectors = reg(VM_CONFIG) | ((uint64_t)reg(VM_CONFIG + 4) << 32);
    STATUS->disk_capacity = sectors;
    *bytes_out = sectors * 512;
    return 0;
}

/* Queues a request in slot i: header, optional data, status. */
static void queue(uint32_t i, uint32_t type, uint64_t sector, void *data, uint32_t len, int device_writes)
{
    uint16_t d = (uint16_t)(i * 3);
    hdrs[i].type = type;
    hdrs[i].reserved = 0;
    hdrs[i].sector = sector;
    req_status[i] = 0xff;
    vq_driver.desc[d] = (struct desc){(uint64_t)&hdrs[i], sizeof(struct req_hdr), D_NEXT, (uint16_t)(d + 1)};
    if (len) {
        vq_driver.desc[d + 1] = (struct desc){(uint64_t)data, len, (uint16_t)(D_NEXT | (device_writes ? D_WRITE : 0)), (uint16_t)(d + 2)};
        vq_driver.desc[d + 2] = (struct desc){(uint64_t)&req_status[i], 1, D_WRITE, 0};
    } else {
        vq_driver.desc[d].next = (uint16_t)(d + 2);
        vq_driver.desc[d + 2] = (struct desc){(uint64_t)&req_status[i], 1, D_WRITE, 0};
    }
    vq_driver.avail_ring[next_avail++ % QSIZE] = d;
}

/* Publishes the queued requests, notifies once and waits for all of them. */
static void submit(uint32_t count)
{
    barrier();
    vq_driver.avail_idx = next_avail;
    barrier();
    set_reg(VM_QUEUE_NOTIFY, 0);
    while ((uint16_t)(vq_device.idx - last_used) < count) {
        cpu_relax();
    }
    barrier();
    last_used = (uint16_t)(last_used + count);
}

static uint64_t block_seed(uint64_t block, uint32_t seq)
{
    return mix64(disk_seed ^ (block << 24) ^ seq);
}

static uint64_t block_fingerprint(uint64_t block, uint32_t seq)
{
    return seq ? mix64(block_seed(block, seq) + 2) : 0;
}

/* Payload checksum a reader of the raw image can recompute: sum of word * (2i + 1). */
static uint64_t payload_checksum(const uint64_t *w, uint64_t n)
{
    uint64_t sum = 0;
    for (uint64_t i = HDR_WORDS; i < n; i++) {
        sum += w[i] * (2 * i + 1);
    }
    return sum;
}

static void block_fill(uint64_t *w, uint64_t block, uint32_t seq)
{
    uint64_t n = block_size / 8;
    pattern_fill(w + HDR_WORDS, n - HDR_WORDS, block_seed(block, seq));
    w[0] = BLK_MAGIC;
    w[1] = block;
    w[2] = seq;
    w[3] = payload_checksum(w, n);
}

static int block_matches(const uint64_t *w, uint64_t block, uint32_t seq)
{
    uint64_t n = block_size / 8;
    return w[0] == BLK_MAGIC && w[1] == block && w[2] == seq
        && pattern_matches(w + HDR_WORDS, n - HDR_WORDS, block_seed(block, seq))
        && w[3] == payload_checksum(w, n);
}

void disk_init(uint32_t *seq_table, uint8_t *io_area, uint64_t seed)
{
    blocks = CFG->disk_blocks;
    block_size = CFG->block_size;
    seqs = seq_table;
    io = io_area;
    disk_seed = mix64(seed ^ 0x6469736b);
    disk_rng = disk_seed | 1;
    next_seq = 1;
    queue(0, T_GET_ID, 0, device_id, 20, 1);
    submit(1);
    struct line l = {.n = 0};
    line_str(&l, "ferry-guest: disk id=");
    line_str(&l, req_status[0] == 0 ? device_id : "?");
    line_str(&l, " blocks=");
    line_u64(&l, blocks);
    line_str(&l, read_only ? " ro" : " rw");
    line_emit(&l);
    pacer_start(&disk_pacer, read_only ? 0 : CFG->disk_rate, rdtsc());
}

static int in_batch(uint64_t block)
{
    for (uint32_t i = 0; i < nslots; i++) {
        if (slots[i].block == block) {
            return 1;
        }
    }
    return 0;
}

static uint64_t random_block(void)
{
    disk_rng ^= disk_rng << 13;
    disk_rng ^= disk_rng >> 7;
    disk_rng ^= disk_rng << 17;
    return disk_rng % blocks;
}

/* Checks the finished batch: reads must match the expected block, every status must be OK. */
static void complete_batch(struct verify_result *r)
{
    for (uint32_t i = 0; i < nslots; i++) {
        struct slot *s = &slots[i];
        int ok = req_status[i] == 0;
        if (s->write) {
            if (ok) {
                uint64_t before = block_fingerprint(s->block, seqs[s->block]);
                seqs[s->block] = s->seq;
                STATUS->disk_checksum += block_fingerprint(s->block, s->seq) - before;
                STATUS->blocks_written++;
            }
        } else {
            STATUS->blocks_read++;
            ok = ok && block_matches((const uint64_t *)(io + (uint64_t)i * block_size), s->block, s->seq);
            if (ok) {
                STATUS->blocks_verified++;
            }
            if (r) {
                r->checked++;
            }
        }
        if (!ok && r) {
            /* verify() adds what it found to the error count; counting here too would double it */
            if (r->bad++ == 0) {
                r->first_bad = s->block;
            }
        } else if (!ok) {
            STATUS->errors++;
        }
    }
    nslots = 0;
}

static void queue_read(uint64_t block)
{
    uint32_t i = nslots++;
    slots[i] = (struct slot){block, seqs[block], 0};
    queue(i, T_IN, block * (block_size / 512), io + (uint64_t)i * block_size, block_size, 1);
}

/* Sends the batch of requests due now, if one is; returns whether it did. */
int disk_step(uint64_t now)
{
    uint32_t batch = CFG->batch;
    if (!pacer_due(&disk_pacer, now, (uint64_t)batch * block_size)) {
        return 0;
    }
    for (uint32_t k = 0; k < batch; k++) {
        uint64_t block = random_block();
        if (in_batch(block)) {
            continue;
        }
        int read = seqs[block] != 0 && (disk_rng >> 33) % 100 < CFG->read_percent;
        if (read) {
            queue_read(block);
        } else {
            uint32_t i = nslots++;
            uint32_t seq = next_seq++;
            uint8_t *data = io + (uint64_t)i * block_size;
            block_fill((uint64_t *)data, block, seq);
            slots[i] = (struct slot){block, seq, 1};
            queue(i, T_OUT, block * (block_size / 512), data, block_size, 0);
        }
    }
    if (nslots) {
        uint32_t n = nslots;
        submit(n);
        complete_batch(0);
    }
    return 1;
}

void disk_flush(void)
{
    if (read_only) {
        return;
    }
    queue(0, T_FLUSH, 0, 0, 0, 0);
    submit(1);
    if (req_status[0] != 0) {
        STATUS->errors++;
    }
}

void disk_verify(struct verify_result *r)
{
    uint64_t sum = 0;
    for (uint64_t block = 0; block < blocks; block++) {
        if (seqs[block] == 0) {
            continue;
        }
        sum += block_fingerprint(block, seqs[block]);
        queue_read(block);
        if (nslots == CFG->batch) {
            submit(nslots);
            complete_batch(r);
        }
    }
    if (nslots) {
        submit(nslots);
        complete_batch(r);
    }
    if (sum != STATUS->disk_checksum && r->bad++ == 0) {
        r->first_bad = UINT64_MAX;
    }
}
