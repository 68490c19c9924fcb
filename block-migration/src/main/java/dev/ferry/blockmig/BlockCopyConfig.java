package dev.ferry.blockmig;

import java.util.List;

/**
 * The configuration record of a {@link BlockCopy} stream: the drives it carries, in order. The
 * destination compares it with the drives it expects before any disk frame is read.
 */
record BlockCopyConfig(List<String> drives) {

    BlockCopyConfig {
        drives = List.copyOf(drives);
    }
}
