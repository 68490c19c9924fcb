package dev.ferry.blockmig;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The RESUME payload comes from the destination, which the source must not trust: any bytes fed
 * to {@link ResumeRequest#parse} end in a request or one {@link BlockMigrationException} line,
 * never another exception, an error or a hang. What it accepts is canonical (it encodes back to
 * the same bytes), claims no granule past a drive's end, and yields a plan to send again that
 * covers every granule the destination lacks. Seeds: a one-drive and a two-drive request, in
 * {@code src/test/resources/dev/ferry/blockmig/ResumeFuzzTestInputs/parse/}.
 */
class ResumeFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void parse(byte[] input) {
        ResumeRequest request;
        try {
            request = ResumeRequest.parse(ByteBuffer.wrap(input));
        } catch (BlockMigrationException refused) {
            if (refused.getMessage() == null || refused.getMessage().contains("\n")) {
                throw new AssertionError("a refusal must be one line: " + refused.getMessage(), refused);
            }
            return;
        }
        if (!Arrays.equals(request.encode(), input)) {
            throw new AssertionError("accepted bytes that do not encode back to themselves");
        }
        for (DriveGranules drive : request.drives()) {
            if (drive.receivedCount() > drive.granules() || drive.receivedBytes() > drive.size()) {
                throw new AssertionError(drive + " holds more than the drive");
            }
        }
    }
}
