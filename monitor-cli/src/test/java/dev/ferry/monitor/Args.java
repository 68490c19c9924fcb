package dev.ferry.monitor;

import java.util.ArrayList;
import java.util.List;

/** Command lines the ITs build: a base line and what one case adds to it. */
final class Args {

    private Args() {
    }

    /** {@code first}, then {@code more}, as a new list. */
    static List<String> with(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }
}
