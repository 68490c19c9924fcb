package dev.ferry.monitor.hmp;

import java.util.Locale;
import java.util.Optional;

/**
 * One drive as {@code info block} and QMP {@code query-block} show it.
 *
 * @param writeObservers storage copies tracking its writes right now (0: dirty tracking off)
 */
public record DriveInfo(String id, String path, String format, long size, boolean readOnly, Optional<String> backing,
                        int writeObservers) {

    /** {@code vda: disk.qcow2 (qcow2, 1.0 GiB) backing base.raw, dirty tracking off}. */
    String line() {
        return String.format(Locale.ROOT, "%s: %s (%s, %s%s)%s, dirty tracking %s", id, path, format, Sizes.human(size),
                readOnly ? ", read-only" : "", backing.map(b -> " backing " + b).orElse(""),
                writeObservers == 0 ? "off" : "on (" + writeObservers + ")");
    }
}
