package dev.ferry.monitor;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageCheck;
import dev.ferry.vm.block.IncompleteMark;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry img check [-f FMT] [--output=human|json] FILE}: qemu-img check's counts, words, keys
 * and exit statuses. Beyond qemu-img it reports Ferry's incomplete mark (a half-copied migration
 * destination, exit 2 whatever the refcounts say) and the qcow2 corrupt bit.
 */
@Command(name = "check", description = {"Check an image's metadata as qemu-img check (read-only).",
        "Exit status: 0 clean; 1 the check could not finish;",
        "2 corruptions (or Ferry's incomplete mark); 3 leaked clusters only;",
        "63 the format has no checks (raw)."})
final class ImgCheck implements Callable<Integer> {

    static final int UNSUPPORTED = 63;

    @Mixin
    ImgReportOptions report;

    @Parameters(paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws IOException {
        boolean json = report.json();
        Optional<ImageCheck> result = BlockImages.check(file, report.format());
        if (result.isEmpty()) {
            System.err.println("ferry: This image format does not support checks");
            return UNSUPPORTED;
        }
        ImageCheck check = result.get();
        check.findings().forEach(System.err::println);
        Optional<IncompleteMark> mark = IncompleteMark.read(file);
        if (json) {
            System.out.println(QemuJson.pretty(json(check, mark)));
        } else {
            human(check, mark);
        }
        if (check.checkErrors() > 0) {
            System.err.println("ferry: Check failed");
        }
        return mark.isPresent() && check.exitStatus() != 1 ? 2 : check.exitStatus();
    }

    /** qemu-img's ImageCheck members in the order it prints them; zero counts are left out as it does. */
    private static ObjectNode json(ImageCheck check, Optional<IncompleteMark> mark) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        putNonZero(node, "image-end-offset", check.imageEndOffset());
        putNonZero(node, "compressed-clusters", check.compressedClusters());
        putNonZero(node, "total-clusters", check.totalClusters());
        putNonZero(node, "corruptions", check.corruptions());
        node.put("check-errors", check.checkErrors());
        putNonZero(node, "leaks", check.leaks());
        putNonZero(node, "allocated-clusters", check.allocatedClusters());
        node.put("filename", check.path().toString()).put("format", check.format().id());
        putNonZero(node, "fragmented-clusters", check.fragmentedClusters());
        if (check.corruptBit()) {
            node.put("corrupt-bit", true);
        }
        mark.ifPresent(m -> node.put("ferry-incomplete", m.describe()));
        return node;
    }

    private static void putNonZero(ObjectNode node, String key, long value) {
        if (value != 0) {
            node.put(key, value);
        }
    }

    /** C's {@code %0.2f}: the exact binary value rounded half to even (5/160 prints 3.12, not 3.13). */
    private static String percent(long part, long whole) {
        return new BigDecimal(part * 100.0 / whole).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
    }

    private void human(ImageCheck check, Optional<IncompleteMark> mark) throws IOException {
        if (check.corruptions() == 0 && check.leaks() == 0 && check.checkErrors() == 0) {
            System.out.println("No errors were found on the image.");
        }
        if (check.corruptions() > 0) {
            System.out.println("\n" + check.corruptions() + " errors were found on the image.\n"
                    + "Data may be corrupted, or further writes to the image may corrupt it.");
        }
        if (check.leaks() > 0) {
            System.out.println("\n" + check.leaks() + " leaked clusters were found on the image.\n"
                    + "This means waste of disk space, but no harm to data.");
        }
        if (check.checkErrors() > 0) {
            System.out.println("\n" + check.checkErrors() + " internal errors have occurred during the check.");
        }
        if (check.totalClusters() != 0 && check.allocatedClusters() != 0) {
            System.out.println(check.allocatedClusters() + "/" + check.totalClusters() + " = "
                    + percent(check.allocatedClusters(), check.totalClusters()) + "% allocated, "
                    + percent(check.fragmentedClusters(), check.allocatedClusters()) + "% fragmented, "
                    + percent(check.compressedClusters(), check.allocatedClusters()) + "% compressed clusters");
        }
        if (check.imageEndOffset() != 0) {
            System.out.println("Image end offset: " + check.imageEndOffset());
        }
        if (check.corruptBit()) {
            System.out.println("The qcow2 corrupt bit is set: QEMU and Ferry open the image read-only.");
        }
        mark.ifPresent(m -> System.out.println("Incomplete: " + m.describe() + " (ferry run refuses it; "
                + IncompleteMark.file(file).getFileName() + ")"));
    }
}
