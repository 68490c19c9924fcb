/*
 * Ring-3 entry: checks the config block, lays out the arena, then loops: memory workload, disk
 * workload, progress line, commands from the VMM. Everything here runs natively on PVM.
 */
#include "guest.h"

#define CFG_MAGIC 0x4746435952524546ull /* "FERRYCFG" */
#define STATUS_MAGIC 0x4154535952524546ull /* "FERRYSTA" */
#define PAGE 4096
/*
 * A turn with nothing due hands the vCPU back to the host for this long instead of spinning: the
 * pacers let the work due meanwhile go in the next turn (their backlog cap is 100 ms), and a
 * command posted meanwhile ends the wait early (the VMM wakes the vCPU).
 */
#define IDLE_US 20000

extern char __image_end[];

static int have_disk;
static uint32_t progress_lines;

static uint64_t align_page(uint64_t v) { return (v + PAGE - 1) & ~(uint64_t)(PAGE - 1); }

/* Stops with a config error naming the field (by its offset in the config block). */
static void config_error(const char *what, uint32_t field)
{
    struct line l = {.n = 0};
    line_str(&l, "ferry-guest: config error: ");
    line_str(&l, what);
    line_emit(&l);
    STATUS->state = STATE_CONFIG_ERROR;
    report(EXIT_CONFIG_ERROR, field);
    for (;;) {
        cpu_relax();
    }
}

#define FIELD(f) ((uint32_t)__builtin_offsetof(struct ferry_config, f))

static void check_config(void)
{
    const struct ferry_config *c = CFG;
    if (c->magic != CFG_MAGIC) {
        config_error("magic is not FERRYCFG", FIELD(magic));
    }
    if (c->version != FERRY_VERSION) {
        config_error("unsupported version", FIELD(version));
    }
    if (c->tsc_khz == 0 && (c->mem_rate || c->disk_rate || c->progress_ms)) {
        config_error("tsc_khz is 0 but a rate or progress period is set", FIELD(tsc_khz));
    }
    if (c->arena_base < (uint64_t)__image_end || c->arena_base % PAGE) {
        config_error("arena_base overlaps the image or is not page aligned", FIELD(arena_base));
    }
    if (c->arena_size > FERRY_MAPPED_LIMIT - c->arena_base) {
        config_error("arena ends beyond the identity map", FIELD(arena_size));
    }
    if (c->block_size < 512 || c->block_size > 65536 || c->block_size % 512) {
        config_error("block_size must be a multiple of 512 in 512..65536", FIELD(block_size));
    }
    if (c->read_percent > 100) {
        config_error("read_percent above 100", FIELD(read_percent));
    }
    if (c->batch < 1 || c->batch > 32) {
        config_error("batch must be 1..32", FIELD(batch));
    }
}

/* Arena: disk seq table, disk I/O buffers, page generation table, then the pages. */
static void layout(void)
{
    const struct ferry_config *c = CFG;
    uint64_t base = c->arena_base;
    uint64_t end = base + c->arena_size;
    uint32_t *seqs = (uint32_t *)base;
    uint8_t *io = 0;
    if (have_disk) {
        base = align_page(base + CFG->disk_blocks * 4);
        io = (uint8_t *)base;
        base += (uint64_t)c->batch * c->block_size;
    }
    if (base > end) {
        config_error("arena too small for the disk tables", FIELD(arena_size));
    }
    uint32_t *gen = (uint32_t *)base;
    uint64_t pages = (end - base) / (PAGE + 4);
    uint64_t first = align_page(base + pages * 4);
    while (pages && first + pages * PAGE > end) {
        pages--;
    }
    mem_init(first, pages, gen, c->seed);
    if (have_disk) {
        disk_init(seqs, io, c->seed);
    }
    struct line l = {.n = 0};
    line_str(&l, "ferry-guest: ready pages=");
    line_u64(&l, pages);
    line_str(&l, " at ");
    line_hex(&l, first);
    line_emit(&l);
}

static void progress(void)
{
    struct line l = {.n = 0};
    line_str(&l, "ferry-guest: progress pages=");
    line_u64(&l, STATUS->pages_written);
    line_str(&l, " blocks=");
    line_u64(&l, STATUS->blocks_written);
    line_str(&l, "/");
    line_u64(&l, STATUS->blocks_read);
    line_str(&l, " errors=");
    line_u64(&l, STATUS->errors);
    line_emit(&l);
    report(EXIT_PROGRESS, ++progress_lines & 0xffffff);
}

static void verify(void)
{
    uint32_t before = STATUS->state;
    STATUS->state = STATE_VERIFYING;
    struct verify_result mem = {0, 0, 0}, disk = {0, 0, 0};
    mem_verify(&mem);
    if (have_disk) {
        disk_verify(&disk);
    }
    int ok = mem.bad == 0 && disk.bad == 0;
    struct line l = {.n = 0};
    line_str(&l, ok ? "ferry-guest: verify ok pages=" : "ferry-guest: verify FAILED pages=");
    line_u64(&l, mem.checked);
    line_str(&l, " blocks=");
    line_u64(&l, disk.checked);
    if (!ok) {
        line_str(&l, " bad_pages=");
        line_u64(&l, mem.bad);
        line_str(&l, " bad_blocks=");
        line_u64(&l, disk.bad);
        line_str(&l, " first=");
        line_hex(&l, mem.bad ? mem.first_bad : disk.first_bad);
    }
    line_emit(&l);
    STATUS->errors += mem.bad + disk.bad;
    STATUS->last_verify = ok ? VERIFY_OK : VERIFY_FAILED;
    STATUS->state = before;
    report(ok ? EXIT_VERIFY_OK : EXIT_VERIFY_FAILED, 0);
}

static void stop(void)
{
    if (have_disk) {
        disk_flush();
    }
    STATUS->state = STATE_STOPPED;
    struct line l = {.n = 0};
    line_str(&l, "ferry-guest: stopped pages=");
    line_u64(&l, STATUS->pages_written);
    line_str(&l, " blocks=");
    line_u64(&l, STATUS->blocks_written);
    line_str(&l, " errors=");
    line_u64(&l, STATUS->errors);
    line_emit(&l);
    report(EXIT_STOP, 0);
}

static void poll_command(void)
{
    uint32_t seq = CFG->command_seq;
    if (seq == STATUS->command_done) {
        return;
    }
    barrier();
    uint32_t command = CFG->command;
    if (command == CMD_VERIFY) {
        verify();
    } else if (command == CMD_STOP) {
        stop();
    }
    STATUS->command_done = seq;
}

void ring3_main(void)
{
    STATUS->magic = STATUS_MAGIC;
    STATUS->version = FERRY_VERSION;
    say("ring 3 up");
    check_config();
    if (CFG->disk_mmio) {
        uint64_t bytes = 0;
        int rc = disk_probe(CFG->disk_mmio, &bytes);
        if (rc < 0) {
            config_error("disk_mmio: no usable virtio-blk device there", FIELD(disk_mmio));
        }
        uint64_t fit = bytes / CFG->block_size;
        if (CFG->disk_blocks == 0 || CFG->disk_blocks > fit) {
            CFG->disk_blocks = fit;
        }
        have_disk = CFG->disk_blocks > 0;
    }
    layout();
    STATUS->state = STATE_RUNNING;
    report(EXIT_READY, 0);

    uint64_t period = CFG->tsc_khz * CFG->progress_ms;
    uint64_t next_progress = rdtsc() + period;
    for (;;) {
        uint64_t now = rdtsc();
        STATUS->heartbeat_tsc = now;
        STATUS->iterations++;
        poll_command();
        int busy = 0;
        if (STATUS->state == STATE_RUNNING) {
            busy = mem_step(now);
            if (have_disk) {
                busy |= disk_step(now);
            }
        }
        if (period && now >= next_progress) {
            next_progress = now + period;
            if (STATUS->state == STATE_RUNNING) {
                if (have_disk) {
                    disk_flush();
                }
                progress();
            }
        }
        if (busy) {
            cpu_relax();
        } else {
            report(EXIT_IDLE, IDLE_US);
        }
    }
}
