package dev.ferry.monitor.hmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class LineTokenizerTest {

    @Test
    void blanksSeparateWords() {
        assertEquals(List.of("migrate", "-d", "-b", "tcp:host:4444"), LineTokenizer.split("  migrate -d\t-b tcp:host:4444 "));
    }

    @Test
    void quotesKeepBlanksInsideOneWord() {
        assertEquals(List.of("migrate", "exec:gzip -c > /tmp/vm.mig"),
                LineTokenizer.split("migrate \"exec:gzip -c > /tmp/vm.mig\""));
        assertEquals(List.of("a b", "c"), LineTokenizer.split("'a b' c"));
    }

    @Test
    void backslashEscapes() {
        assertEquals(List.of("a b"), LineTokenizer.split("a\\ b"));
    }

    @Test
    void emptyLineHasNoWords() {
        assertEquals(List.of(), LineTokenizer.split("   "));
    }

    @Test
    void unterminatedQuoteIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LineTokenizer.split("migrate \"exec:x"));
        assertEquals("unterminated \" quote", e.getMessage());
    }
}
