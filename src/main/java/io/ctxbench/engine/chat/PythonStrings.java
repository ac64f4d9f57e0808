package io.ctxbench.engine.chat;

import com.hubspot.jinjava.el.ext.NamedParameter;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Python's {@code str} methods for Jinjava, as chat templates call them ({@code content.strip()},
 * {@code role.startswith('tool')}, {@code text.split('</think>')[-1]}). Jinja2 evaluates these on Python strings;
 * Jinjava would look them up on {@link String}, where most do not exist and {@code split} is Java's regex split.
 * Only method calls on strings are resolved here; everything else falls through to Jinjava's own resolvers.
 */
final class PythonStrings extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) {
            return null;
        }
        Object[] p = params == null ? new Object[0] : params;
        Object result;
        switch (method.toString()) {
            case "strip" -> result = strip(s, arg(p, 0), true, true);
            case "lstrip" -> result = strip(s, arg(p, 0), true, false);
            case "rstrip" -> result = strip(s, arg(p, 0), false, true);
            case "split" -> result = split(s, arg(p, 0), p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "startswith" -> result = anyMatch(p, prefix -> s.startsWith(prefix));
            case "endswith" -> result = anyMatch(p, suffix -> s.endsWith(suffix));
            case "upper" -> result = s.toUpperCase(Locale.ROOT);
            case "lower" -> result = s.toLowerCase(Locale.ROOT);
            case "title" -> result = title(s);
            case "capitalize" -> result = s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace" -> result = replace(s, str(p[0]), str(p[1]), p.length > 2 ? ((Number) p[2]).intValue() : -1);
            case "find" -> result = (long) s.indexOf(str(p[0]));
            case "count" -> result = (long) count(s, str(p[0]));
            case "join" -> result = join(s, p[0]);
            case "format" -> result = format(s, p);
            default -> {
                return null;
            }
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static String arg(Object[] p, int i) {
        return p.length > i && p[i] != null ? str(p[i]) : null;
    }

    private static String str(Object o) {
        return o == null ? "None" : o.toString();
    }

    /** Python's str.isspace for one character: Unicode whitespace plus the ASCII separators 0x1c-0x1f. */
    private static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int from = 0;
        int to = s.length();
        while (left && from < to && (chars == null ? isSpace(s.charAt(from)) : chars.indexOf(s.charAt(from)) >= 0)) {
            from++;
        }
        while (right && to > from && (chars == null ? isSpace(s.charAt(to - 1)) : chars.indexOf(s.charAt(to - 1)) >= 0)) {
            to--;
        }
        return s.substring(from, to);
    }

    /** str.split: no separator splits on runs of whitespace and drops empty ends; a separator keeps empty parts. */
    static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int from = 0;
        int at;
        while ((maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    /** startswith/endswith take one string or a tuple of them. */
    private static boolean anyMatch(Object[] p, java.util.function.Predicate<String> test) {
        if (p.length > 0 && p[0] instanceof Collection<?> options) {
            return options.stream().anyMatch(o -> test.test(str(o)));
        }
        return p.length > 0 && test.test(str(p[0]));
    }

    /** str.title: a cased character after an uncased one is upper-cased, any other cased character lower-cased. */
    static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean cased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
            b.append(cased ? (prevCased ? Character.toLowerCase(c) : Character.toTitleCase(c)) : c);
            prevCased = cased;
        }
        return b.toString();
    }

    private static String replace(String s, String old, String rep, int count) {
        if (count < 0) {
            return s.replace(old, rep);
        }
        StringBuilder b = new StringBuilder();
        int from = 0;
        for (int n = 0; n < count; n++) {
            int at = old.isEmpty() ? (from <= s.length() ? from : -1) : s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            if (old.isEmpty()) {
                b.append(rep);
                if (at < s.length()) {
                    b.append(s.charAt(at));
                }
                from = at + 1;
            } else {
                b.append(s, from, at).append(rep);
                from = at + old.length();
            }
        }
        return from <= s.length() ? b.append(s.substring(from)).toString() : b.toString();
    }

    /**
     * str.format with what templates use: {@code {}} and {@code {0}} for positional arguments, {@code {name}} for
     * keyword arguments, {@code {{} and {@code }}} for braces. Format specs ({@code {:>4}}) are refused.
     */
    static String format(String s, Object[] args) {
        List<Object> positional = new ArrayList<>();
        Map<String, Object> named = new HashMap<>();
        for (Object a : args) {
            if (a instanceof NamedParameter np) {
                named.put(np.getName(), np.getValue());
            } else {
                positional.add(a);
            }
        }
        StringBuilder b = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c == '{' || c == '}') && i + 1 < s.length() && s.charAt(i + 1) == c) {
                b.append(c);
                i++;
            } else if (c == '{') {
                int end = s.indexOf('}', i);
                if (end < 0) {
                    throw new IllegalArgumentException("Single '{' encountered in format string");
                }
                String field = s.substring(i + 1, end);
                Object v;
                if (field.isEmpty()) {
                    v = positional.get(auto++);
                } else if (field.chars().allMatch(Character::isDigit)) {
                    v = positional.get(Integer.parseInt(field));
                } else if (named.containsKey(field)) {
                    v = named.get(field);
                } else {
                    throw new IllegalArgumentException("unsupported format field {" + field + "}");
                }
                b.append(str(v));
                i = end;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String sep, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable<?> it) {
            it.forEach(o -> parts.add(str(o)));
        } else {
            parts.add(str(items));
        }
        return String.join(sep, parts);
    }

    // the rest of ELResolver: this resolver resolves no properties, only the method calls above

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    /** {@code s[i]}: one character, counted from the end when negative (Jinjava has no string indexing). */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (!(base instanceof String s) || property == null) {
            return null;
        }
        int i;
        try {
            i = Integer.parseInt(property.toString());
        } catch (NumberFormatException e) {
            return null;
        }
        int at = i < 0 ? i + s.length() : i;
        if (at < 0 || at >= s.length()) {
            throw new IllegalArgumentException("string index out of range: " + i);
        }
        context.setPropertyResolved(true);
        return String.valueOf(s.charAt(at));
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }
}
