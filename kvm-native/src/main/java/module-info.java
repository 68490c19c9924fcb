/**
 * Everything Ferry says to /dev/kvm, through Panama (java.lang.foreign) only.
 *
 * <p>Run with {@code --enable-native-access=dev.ferry.kvm}; the ferry launcher passes it.
 */
module dev.ferry.kvm {
    requires org.slf4j;
}
