package dev.ferry.monitor;

import dev.ferry.vm.migration.RamCopyTraining;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleReader;
import java.lang.module.ResolvedModule;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The entry point of the AOT caches' training runs (src/build/aot-cache), in Main's place: it
 * loads every class of Ferry's own modules, then runs the ferry command as Main does. The training
 * is a {@code ferry demo --machine none}, since the build has no KVM, so the caches held none of
 * the KVM machine's classes (machine, devices, vCPU and VM state records, ioctls): a Linux guest's
 * destination loaded them from the image while it checked the source's configuration, parsing and
 * verifying each, which under an emulated CPU costs milliseconds a class. A cache keeps every
 * class loaded in training, whether it ran or not; loading runs no static initializer. For the
 * same reason it first migrates guest RAM inside the process ({@link RamCopyTraining}), so that
 * the caches hold the method profiles of the RAM copy, which the disk-only training never runs.
 */
public final class AotTraining {

    /** Ferry's own modules: what the image holds besides the JDK and the libraries. */
    static final String MODULE_PREFIX = "dev.ferry.";

    private AotTraining() {
    }

    public static void main(String[] args) throws IOException {
        loadFerryClasses();
        RamCopyTraining.run();
        Main.main(args);
    }

    /**
     * Loads, without initializing, every class of the boot layer's Ferry modules.
     *
     * @return the classes loaded, in module then resource order
     */
    static List<Class<?>> loadFerryClasses() {
        List<Class<?>> loaded = new ArrayList<>();
        for (ResolvedModule resolved : ModuleLayer.boot().configuration().modules()) {
            if (!resolved.name().startsWith(MODULE_PREFIX)) {
                continue;
            }
            Module module = ModuleLayer.boot().findModule(resolved.name()).orElseThrow();
            try (ModuleReader reader = resolved.reference().open(); Stream<String> resources = reader.list()) {
                resources.map(AotTraining::className).flatMap(Stream::ofNullable)
                        .map(name -> Class.forName(module, name)).flatMap(Stream::ofNullable).forEach(loaded::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list module " + resolved.name(), e);
            }
        }
        return loaded;
    }

    /** The binary name of a class file resource; null for other resources and module-info/package-info. */
    static String className(String resource) {
        if (!resource.endsWith(".class") || resource.endsWith("module-info.class") || resource.endsWith("package-info.class")) {
            return null;
        }
        return resource.substring(0, resource.length() - ".class".length()).replace('/', '.');
    }
}
