package dev.ferry.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Where and how a bench run starts its processes.
 *
 * @param java      the JVM that runs the raw copier (the one running the bench)
 * @param classPath the class path holding {@link RawCopy}
 * @param ferry     the {@code ferry} launcher of the jlink image
 * @param work      scratch space for images (removed at the end)
 * @param logs      where each run's stdout and stderr go
 * @param env       added to every child's environment (e.g. JDK_JAVA_OPTIONS for JFR)
 * @param timeout   the most one run may take before it is killed and counted as failed
 */
record BenchContext(Path java, String classPath, Path ferry, Path work, Path logs, Map<String, String> env,
                    Duration timeout) {
}
