/**
 * The migration stream, its sections and the live-migration driver. Knows no VM and no disk.
 *
 * <p>State records of other modules are encoded by reflection on their components: a module whose
 * records travel in the stream (vCPU and device states, configuration) must
 * {@code opens <its state package> to dev.ferry.savevm}.
 */
module dev.ferry.savevm {
    requires org.slf4j;

    exports dev.ferry.savevm;
}
