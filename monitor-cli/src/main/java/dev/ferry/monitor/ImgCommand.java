package dev.ferry.monitor;

import picocli.CommandLine.Command;

/** {@code ferry img}: raw and qcow2 images, with qemu-img's subcommands, options and outputs. */
@Command(name = "img", description = "Create, describe, check, compare, convert and map raw and qcow2 disk images, as qemu-img.",
        subcommands = {ImgCreate.class, ImgInfo.class, ImgCheck.class, ImgCompare.class, ImgConvert.class, ImgMap.class})
final class ImgCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** {@code ferry img} alone lists its subcommands. */
    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
