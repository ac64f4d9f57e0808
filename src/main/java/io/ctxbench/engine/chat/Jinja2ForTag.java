package io.ctxbench.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.ElseTag;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;
import com.hubspot.jinjava.util.ObjectTruthValue;

import java.io.Serial;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Jinja2's {@code for} on Jinjava: the loop filter ({@code for m in messages if m.role == 'user'}, which Jinjava
 * reads as a conditional expression and so renders nothing), the {@code else} block (Jinjava renders it after the
 * items), {@code loop.previtem}, {@code loop.nextitem} and {@code loop.changed} (absent from Jinjava's loop object),
 * and iteration over the characters of a string. The loop counters ({@code loop.index}, {@code loop.last}, ...)
 * count the items that passed the filter, as in Jinja2.
 */
final class Jinja2ForTag extends ForTag {
    @Serial
    private static final long serialVersionUID = 1L;

    @Override
    public String interpretUnchecked(TagNode tagNode, JinjavaInterpreter interpreter) {
        var varsAndExpression = getLoopVarsAndExpression((TagToken) tagNode.getMaster());
        List<String> vars = varsAndExpression.getLeft();
        String expression = varsAndExpression.getRight();
        int at = topLevelIf(expression);
        String iterable = at < 0 ? expression : expression.substring(0, at).trim();
        List<Object> items = items(interpreter.resolveELExpression(iterable, tagNode.getLineNumber()));
        if (at >= 0) {
            String condition = expression.substring(at + " if ".length()).trim();
            List<Object> kept = new ArrayList<>();
            try (var scope = interpreter.enterScope()) {
                for (Object item : items) {
                    bind(interpreter, vars, interpreter.wrap(item));
                    if (ObjectTruthValue.evaluate(interpreter.resolveELExpression(condition, tagNode.getLineNumber()))) {
                        kept.add(item);
                    }
                }
            }
            items = kept;
        }
        // {% for %}...{% else %}...{% endfor %}: the else part renders when nothing was iterated
        List<Node> body = new ArrayList<>();
        List<Node> otherwise = null;
        for (Node node : tagNode.getChildren()) {
            if (otherwise == null && node instanceof TagNode t && t.getTag() instanceof ElseTag) {
                otherwise = new ArrayList<>();
            } else {
                (otherwise == null ? body : otherwise).add(node);
            }
        }
        StringBuilder out = new StringBuilder();
        if (items.isEmpty()) {
            for (Node node : otherwise == null ? List.<Node>of() : otherwise) {
                out.append(node.render(interpreter));
            }
            return out.toString();
        }
        PyLoop loop = new PyLoop(items);
        try (var scope = interpreter.enterScope()) {
            interpreter.getContext().put(LOOP, loop);
            while (loop.hasNext()) {
                bind(interpreter, vars, interpreter.wrap(loop.next()));
                for (Node node : body) {
                    out.append(node.render(interpreter));
                    if (loop.isContinued()) {
                        break;
                    }
                }
            }
        }
        return out.toString();
    }

    /** The items Jinja2 would iterate: a string's characters, a map's keys, a sequence's elements. */
    private static List<Object> items(Object collection) {
        List<Object> items = new ArrayList<>();
        if (collection instanceof String s) {
            s.codePoints().forEach(c -> items.add(Character.toString(c)));
            return items;
        }
        ForLoop it = ObjectIterator.getLoop(collection);
        while (it.hasNext()) {
            items.add(it.next());
        }
        return items;
    }

    /** Assigns the loop variables: one takes the item, several unpack a pair or a sequence. */
    private static void bind(JinjavaInterpreter interpreter, List<String> vars, Object item) {
        if (vars.size() == 1) {
            interpreter.getContext().put(vars.getFirst(), item);
            return;
        }
        List<?> parts = item instanceof Map.Entry<?, ?> e ? Arrays.asList(e.getKey(), e.getValue())
                : item instanceof List<?> l ? l : List.of();
        if (parts.size() != vars.size()) {
            throw new IllegalArgumentException("cannot unpack " + item + " into " + vars);
        }
        for (int i = 0; i < vars.size(); i++) {
            interpreter.getContext().put(vars.get(i), interpreter.wrap(parts.get(i)));
        }
    }

    /** Where " if " starts the loop filter: outside brackets and quotes (a for's iterable has no if-expression). */
    static int topLevelIf(String expression) {
        int depth = 0;
        char quote = 0;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (depth == 0 && Character.isWhitespace(c) && expression.startsWith("if", i + 1)
                    && i + 3 < expression.length() && Character.isWhitespace(expression.charAt(i + 3))) {
                return i;
            }
        }
        return -1;
    }

    /** Jinjava's loop object with Jinja2's {@code previtem}, {@code nextitem} and {@code changed}. */
    public static final class PyLoop extends ForLoop {
        private static final Object NEVER = new Object();
        private final List<Object> items;
        private Object lastChanged = NEVER;

        PyLoop(List<Object> items) {
            super(items.iterator(), items.size());
            this.items = items;
        }

        public Object getPrevitem() {
            int i = getIndex0();
            return i > 0 ? wrap(items.get(i - 1)) : null;
        }

        public Object getNextitem() {
            int i = getIndex0();
            return i + 1 < items.size() ? wrap(items.get(i + 1)) : null;
        }

        /** True on the first call and whenever the values differ from the previous call's. */
        public boolean changed(Object... values) {
            Object now = Arrays.asList(values);
            boolean changed = !now.equals(lastChanged);
            lastChanged = now;
            return changed;
        }

        private static Object wrap(Object o) {
            return JinjavaInterpreter.getCurrent().wrap(o);
        }
    }
}
