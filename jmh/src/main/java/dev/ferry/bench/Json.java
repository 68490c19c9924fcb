package dev.ferry.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Just enough JSON for the bench: reads the one flat object a tool prints as its last line
 * ({@code ferry demo --json}, {@link RawCopy}), and writes nested maps, lists, strings, numbers
 * and booleans for the results file.
 */
final class Json {

    private Json() {
    }

    /**
     * The members of a flat JSON object: strings, numbers (as {@link Long} or {@link Double}),
     * booleans and nulls; nested objects or arrays are refused.
     *
     * @throws IllegalArgumentException naming the position and what was expected there
     */
    static SequencedMap<String, Object> parseFlat(String text) {
        return new FlatReader(text.strip()).object();
    }

    /** {@code value} as compact JSON; maps keep their iteration order, non-finite numbers become null. */
    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out) {
        switch (value) {
            case null -> out.append("null");
            case String s -> quote(s, out);
            case Boolean b -> out.append(b);
            case Double d when !Double.isFinite(d) -> out.append("null");
            case Double d -> out.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue())
                    : String.format(Locale.ROOT, "%.3f", d));
            case Number n -> out.append(n);
            case Map<?, ?> map -> {
                out.append('{');
                String separator = "";
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    out.append(separator);
                    quote(String.valueOf(entry.getKey()), out);
                    out.append(':');
                    write(entry.getValue(), out);
                    separator = ",";
                }
                out.append('}');
            }
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    out.append(i > 0 ? "," : "");
                    write(list.get(i), out);
                }
                out.append(']');
            }
            default -> throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    private static void quote(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** A cursor over one flat object. */
    private static final class FlatReader {
        private final String text;
        private int at;

        FlatReader(String text) {
            this.text = text;
        }

        SequencedMap<String, Object> object() {
            SequencedMap<String, Object> members = new LinkedHashMap<>();
            expect('{');
            if (peek() == '}') {
                at++;
            } else {
                do {
                    String key = string();
                    expect(':');
                    members.put(key, value());
                } while (next(",}") == ',');
            }
            skipSpace();
            if (at != text.length()) {
                throw error("end of the object");
            }
            return members;
        }

        private Object value() {
            char c = peek();
            if (c == '"') {
                return string();
            }
            for (String word : List.of("true", "false", "null")) {
                if (text.startsWith(word, at)) {
                    at += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word);
                }
            }
            int start = at;
            while (at < text.length() && "+-.eE0123456789".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            String number = text.substring(start, at);
            if (number.isEmpty()) {
                throw error("a string, number, boolean or null (nested values are not read)");
            }
            try {
                return number.matches("-?\\d+") ? (Object) Long.parseLong(number) : (Object) Double.parseDouble(number);
            } catch (NumberFormatException e) {
                throw error("a number, not '" + number + "'");
            }
        }

        private String string() {
            expect('"');
            StringBuilder s = new StringBuilder();
            while (at < text.length() && text.charAt(at) != '"') {
                char c = text.charAt(at++);
                if (c == '\\' && at < text.length()) {
                    char escaped = text.charAt(at++);
                    switch (escaped) {
                        case 'n' -> s.append('\n');
                        case 't' -> s.append('\t');
                        case 'u' -> {
                            if (at + 4 > text.length()) {
                                throw error("four hex digits");
                            }
                            s.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                            at += 4;
                        }
                        default -> s.append(escaped);
                    }
                } else {
                    s.append(c);
                }
            }
            expect('"');
            return s.toString();
        }

        private char next(String allowed) {
            char c = peek();
            if (allowed.indexOf(c) < 0) {
                throw error("one of '" + allowed + "'");
            }
            at++;
            return c;
        }

        private void expect(char c) {
            next(String.valueOf(c));
        }

        private char peek() {
            skipSpace();
            if (at >= text.length()) {
                throw error("more input");
            }
            return text.charAt(at);
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private IllegalArgumentException error(String expected) {
            return new IllegalArgumentException("JSON at character " + at + ": expected " + expected + " in " + text);
        }
    }
}
