/**
 * The migration stream, its sections and the live-migration driver. Knows no VM and no disk.
 *
 * <p>State records of other modules are encoded by reflection on their components: a module whose
 * records travel in the stream (vCPU and device states, configuration) must
 * {@code opens <its state package> to dev.ferry.savevm}.
 *
 * <p>Internal, not exported: {@code codec} (the record codec), {@code stream} (frames, CRC,
 * bandwidth limit), {@code source} and {@code destination} (the two ends of the driver).
 */
module dev.ferry.savevm {
    requires org.slf4j;
    requires com.dynatrace.hash4j; // XXH3-64 frame trailers (stream.FrameHasher)

    exports dev.ferry.savevm;           // sections, registry, driver, incoming side, channel, options, states
    exports dev.ferry.savevm.codec to dev.ferry.vm; // StateRehearsal runs the vCPU and VM records through it
}
