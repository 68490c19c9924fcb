package dev.ferry.monitor.hmp;

/** Ferry's version as the build stamped it on the module ({@code info version}, QMP {@code query-version}). */
public final class Version {

    private Version() {
    }

    /** {@code 0.1.0-SNAPSHOT}, or {@code unknown} outside a module. */
    public static String number() {
        return Version.class.getModule().getDescriptor() == null ? "unknown"
                : Version.class.getModule().getDescriptor().rawVersion().orElse("unknown");
    }

    public static String text() {
        return number() + " (ferry)";
    }
}
