package dev.ferry.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.monitor.hmp.Sizes;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageInfo;
import dev.ferry.vm.block.IncompleteMark;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry img info [-f FMT] [--output=human|json] [--backing-chain] FILE}, with qemu-img's JSON keys. */
@Command(name = "info", description = "Describe an image (and with --backing-chain each image under it).")
final class ImgInfo implements Callable<Integer> {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Mixin
    ImgReportOptions report;

    @Option(names = "--backing-chain", description = "Describe the backing files too.")
    boolean backingChain;

    @Parameters(paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws IOException {
        boolean json = report.json();
        List<ImageInfo> chain = new ArrayList<>();
        ImageInfo top = BlockImages.info(file);
        if (report.format() != null && report.format() != top.format()) {
            throw new IllegalArgumentException(file + " is " + top.format().id() + ", not " + report.format);
        }
        chain.add(top);
        while (backingChain && chain.getLast().backingFile().isPresent()) {
            Path next = backingPath(chain.getLast());
            if (chain.stream().anyMatch(i -> i.path().toAbsolutePath().normalize().equals(next.toAbsolutePath().normalize()))) {
                throw new IllegalArgumentException("the backing chain of " + file + " loops at " + next);
            }
            chain.add(BlockImages.info(next));
        }
        if (json) {
            ArrayNode all = NODES.arrayNode();
            chain.forEach(info -> all.add(json(info)));
            System.out.println(QemuJson.pretty(backingChain ? all : all.get(0)));
            return 0;
        }
        for (int i = 0; i < chain.size(); i++) {
            if (i > 0) {
                System.out.println();
            }
            human(chain.get(i));
        }
        return 0;
    }

    /** qemu-img's ImageInfo members, those Ferry knows. */
    static JsonNode json(ImageInfo info) {
        ObjectNode node = NODES.objectNode().put("virtual-size", info.virtualSize()).put("filename", info.path().toString());
        info.clusterSize().ifPresent(c -> node.put("cluster-size", c));
        node.put("format", info.format().id()).put("actual-size", info.allocatedBytes());
        info.qcow2Version().ifPresent(v -> {
            ObjectNode data = NODES.objectNode().put("compat", v >= 3 ? "1.1" : "0.10").put("corrupt", info.corrupt());
            ObjectNode specific = NODES.objectNode().put("type", "qcow2");
            specific.set("data", data);
            node.set("format-specific", specific);
        });
        info.backingFile().ifPresent(b -> node.put("full-backing-filename", backingPath(info).toString()).put("backing-filename", b));
        info.backingFormat().ifPresent(f -> node.put("backing-filename-format", f.id()));
        return node.put("dirty-flag", info.dirty());
    }

    /** The backing file as qemu-img names it: a relative name joined to the overlay's path as given. */
    private static Path backingPath(ImageInfo info) {
        Path name = Path.of(info.backingFile().orElseThrow());
        return name.isAbsolute() ? name : info.path().resolveSibling(name);
    }

    private static void human(ImageInfo info) throws IOException {
        System.out.println("image: " + info.path());
        System.out.println("file format: " + info.format().id());
        System.out.println("virtual size: " + Sizes.human(info.virtualSize()) + " (" + info.virtualSize() + " bytes)");
        System.out.println("disk size: " + Sizes.human(info.allocatedBytes()));
        info.clusterSize().ifPresent(c -> System.out.println("cluster_size: " + c));
        info.backingFile().ifPresent(b -> System.out.println("backing file: " + b));
        info.backingFormat().ifPresent(f -> System.out.println("backing file format: " + f.id()));
        info.qcow2Version().ifPresent(v -> System.out.println("Format specific information:\n    compat: " + (v >= 3 ? "1.1" : "0.10")));
        if (info.dirty()) {
            System.out.println("dirty: yes (refcounts are rebuilt on the next writable open)");
        }
        if (info.corrupt()) {
            System.out.println("corrupt: yes (opens read-only only)");
        }
        IncompleteMark.read(info.path()).ifPresent(mark -> System.out.println("incomplete: yes, " + mark.describe()
                + " (ferry run refuses it; " + IncompleteMark.file(info.path()).getFileName() + ")"));
    }
}
