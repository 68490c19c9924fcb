package dev.ferry.monitor;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The records the Linux test guest's init writes to its disk (tools/linux-guest/build): record R
 * fills sector R with "FERRY-REC <sha256 of payload> <payload>" (what its console reports is
 * read by LinuxConsole).
 */
final class GuestRecords {

    private static final int SECTOR = 512;
    private static final Pattern SECTOR_RECORD = Pattern.compile("FERRY-REC ([0-9a-f]{64}) (record=([0-9]+) uptime=[0-9.]+) *\n");

    private GuestRecords() {
    }

    /** Record number to checksum, for every sector of {@code image} holding its own record under a checksum that matches. */
    static Map<Integer, String> onDisk(byte[] image) throws NoSuchAlgorithmException {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        Map<Integer, String> records = new HashMap<>();
        for (int sector = 0; (sector + 1) * SECTOR <= image.length; sector++) {
            Matcher m = SECTOR_RECORD.matcher(new String(image, sector * SECTOR, SECTOR, StandardCharsets.US_ASCII));
            if (m.matches() && Integer.parseInt(m.group(3)) == sector
                    && HexFormat.of().formatHex(sha256.digest(m.group(2).getBytes(StandardCharsets.US_ASCII))).equals(m.group(1))) {
                records.put(sector, m.group(1));
            }
        }
        return records;
    }
}
