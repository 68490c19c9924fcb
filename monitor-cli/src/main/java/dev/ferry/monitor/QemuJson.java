package dev.ferry.monitor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** JSON laid out as qemu-img prints it: four-space indents and {@code "key": value}. */
final class QemuJson {

    private static final DefaultIndenter INDENT = new DefaultIndenter("    ", "\n");
    private static final DefaultPrettyPrinter PRINTER = new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(INDENT);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private QemuJson() {
    }

    static String pretty(JsonNode node) throws JsonProcessingException {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(PRINTER);
        printer.indentArraysWith(INDENT);
        return MAPPER.writer(printer).writeValueAsString(node);
    }
}
