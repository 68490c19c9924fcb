package dev.ferry.blockmig;

import dev.ferry.vm.block.BlockDevice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * Which drives a migration copies: {@code all}, or a comma-separated list of drive ids as the user
 * types it. Read-only drives are never copied: the destination must already have them.
 *
 * @param drives the selected drive ids in the order typed; empty for {@code all}
 */
public record DriveSelection(List<String> drives) {

    /** Every writable drive. */
    public static final DriveSelection ALL = new DriveSelection(List.of());

    /** Copies the list. */
    public DriveSelection {
        drives = List.copyOf(drives);
    }

    /**
     * Parses {@code all} or {@code vda,vdb}; blanks and duplicates are errors.
     *
     * @param text {@code all} or comma-separated drive ids
     * @return the selection
     * @throws IllegalArgumentException for a blank or repeated id
     */
    public static DriveSelection parse(String text) {
        if (text.strip().equals("all")) {
            return ALL;
        }
        List<String> ids = Arrays.stream(text.split(",", -1)).map(String::strip).toList();
        if (ids.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("drive list '" + text + "' has an empty entry");
        }
        if (ids.stream().distinct().count() != ids.size()) {
            throw new IllegalArgumentException("drive list '" + text + "' names a drive twice");
        }
        return new DriveSelection(ids);
    }

    /**
     * The drives to copy out of {@code attached} (id → device, in the VM's order), read-only ones
     * left out; fails naming a selected id that is not attached.
     *
     * @param attached every drive of the VM, id → device, in the VM's order
     * @return the selected writable drives, in the VM's order
     * @throws IllegalArgumentException naming a selected id that is not attached
     */
    public SequencedMap<String, BlockDevice> select(SequencedMap<String, BlockDevice> attached) {
        List<String> wanted = drives.isEmpty() ? new ArrayList<>(attached.keySet()) : drives;
        SequencedMap<String, BlockDevice> selected = new LinkedHashMap<>();
        for (String id : wanted) {
            BlockDevice device = attached.get(id);
            if (device == null) {
                throw new IllegalArgumentException("drive '" + id + "' is not attached (attached: "
                        + String.join(", ", attached.keySet()) + ")");
            }
            if (!device.readOnly()) {
                selected.put(id, device);
            }
        }
        return selected;
    }

    @Override
    public String toString() {
        return drives.isEmpty() ? "all" : String.join(",", drives);
    }
}
