package io.ctxbench.engine.chat;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.AstNamedParameter;
import com.hubspot.jinjava.el.ext.CollectionMembershipOperator;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.el.ext.ExtendedScanner;
import com.hubspot.jinjava.el.ext.NamedParameterOperator;
import com.hubspot.jinjava.objects.collections.PyList;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;
import jinjava.de.odysseus.el.tree.impl.ast.AstProperty;
import jinjava.de.odysseus.el.tree.impl.ast.AstRightValue;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * Jinjava's expression parser corrected where it reads a chat template differently from Jinja2. Each fix is a
 * place where a real template (models/templates of the pinned llama.cpp) rendered wrongly or not at all:
 * <ul>
 *   <li>{@code not} binds looser than comparisons and tests: {@code not x is defined} is {@code not (x is defined)},
 *       {@code not a == b} is {@code not (a == b)} (Jinjava: {@code (not x) is defined}; DeepSeek-R1's
 *       {@code if not add_generation_prompt is defined} then reset the flag);</li>
 *   <li>{@code i+1} is an addition (Jinjava scans {@code +1} as a unary operator and fails);</li>
 *   <li>a keyword argument's value is a whole expression: {@code namespace(i=messages|length - 1)} (Jinjava:
 *       {@code (i=messages|length) - 1});</li>
 *   <li>Python slices with a step and any bounds: {@code messages[::-1]}, {@code text[:n+1]};</li>
 *   <li>filters and tests chain in any order: {@code x|trim is string};</li>
 *   <li>string literals take Python's escapes ({@code \x41}, {@code \u00e9}; an unknown escape keeps its
 *       backslash) instead of failing.</li>
 * </ul>
 */
final class Jinja2Syntax {
    private Jinja2Syntax() {
    }

    /** The expression factory Jinjava is given (see {@link ChatTemplate}): Jinjava's, with this parser. */
    static final class Expressions extends ExpressionFactoryImpl {
        Expressions() {
            super(new Properties(), new TruthyTypeConverter());
        }

        @Override
        protected TreeBuilder createTreeBuilder(Properties properties, Builder.Feature... features) {
            return new SyntaxBuilder(features);
        }
    }

    static final class SyntaxBuilder extends ExtendedSyntaxBuilder {
        private static final long serialVersionUID = 1L;

        SyntaxBuilder(Builder.Feature... features) {
            super(features);
        }

        @Override
        protected Parser createParser(String expression) {
            return new Jinja2Parser(this, expression);
        }
    }

    static final class Jinja2Parser extends ExtendedParser {
        /** Tokens that may name a test after {@code is} (as Jinjava's own parser allows). */
        private static final Set<Scanner.Symbol> TEST_NAMES = EnumSet.of(Scanner.Symbol.IDENTIFIER,
                Scanner.Symbol.EQ, Scanner.Symbol.NE, Scanner.Symbol.LT, Scanner.Symbol.LE, Scanner.Symbol.GT,
                Scanner.Symbol.GE, Scanner.Symbol.TRUE, Scanner.Symbol.FALSE,
                CollectionMembershipOperator.TOKEN.getSymbol());

        Jinja2Parser(Builder context, String input) {
            super(context, input);
        }

        @Override
        protected Scanner createScanner(String expression) {
            return new Jinja2Scanner(expression);
        }

        /** Jinja2's {@code and}: its operands are {@code not} expressions, not comparisons. */
        @Override
        protected AstNode and(boolean required) throws Scanner.ScanException, ParseException {
            AstNode v = not(required);
            if (v == null) {
                return null;
            }
            while (getToken().getSymbol() == Scanner.Symbol.AND) {
                consumeToken();
                v = createAstBinary(v, not(true), AstBinary.AND);
            }
            return v;
        }

        /** {@code not} applies to a whole comparison ({@code x not in y} is left to the comparison). */
        private AstNode not(boolean required) throws Scanner.ScanException, ParseException {
            if (getToken().getSymbol() == Scanner.Symbol.NOT) {
                consumeToken();
                return createAstUnary(not(true), AstUnary.NOT);
            }
            return eq(required);
        }

        /** A unary {@code +} (the scanner no longer glues it to a number) leaves its operand as it is. */
        @Override
        protected AstNode unary(boolean required) throws Scanner.ScanException, ParseException {
            if (getToken().getSymbol() == Scanner.Symbol.PLUS) {
                consumeToken();
                return unary(true);
            }
            return super.unary(required);
        }

        /** Call arguments: {@code name=expression} takes the whole expression as the value. */
        @Override
        protected AstParameters params(Scanner.Symbol left, Scanner.Symbol right)
                throws Scanner.ScanException, ParseException {
            consumeToken(left);
            List<AstNode> l = new ArrayList<>();
            AstNode v = argument(false);
            if (v != null) {
                l.add(v);
                while (getToken().getSymbol() == Scanner.Symbol.COMMA) {
                    consumeToken();
                    if (getToken().getSymbol() == right) {
                        break;   // Python allows a trailing comma
                    }
                    l.add(argument(true));
                }
            }
            consumeToken(right);
            return createAstParameters(l);
        }

        private AstNode argument(boolean required) throws Scanner.ScanException, ParseException {
            if (getToken().getSymbol() == Scanner.Symbol.IDENTIFIER && lookahead(0) == NamedParameterOperator.TOKEN) {
                String name = consumeToken().getImage();
                consumeToken();
                return new AstNamedParameter(identifier(name), expr(true));
            }
            return expr(required);
        }

        /** Filters and tests, chained in any order after the operand. */
        @Override
        protected AstNode filter(boolean required) throws Scanner.ScanException, ParseException {
            AstNode v = unary(required);
            if (v == null) {
                return null;
            }
            while (true) {
                String image = getToken().getImage();
                if ("|".equals(image) && lookahead(0).getSymbol() == Scanner.Symbol.IDENTIFIER) {
                    consumeToken();
                    String name = consumeToken().getImage();
                    List<AstNode> params = new ArrayList<>(List.of(v, interpreter()));
                    if (getToken().getSymbol() == Scanner.Symbol.LPAREN) {
                        AstParameters p = params();
                        for (int i = 0; i < p.getCardinality(); i++) {
                            params.add(p.getChild(i));
                        }
                    }
                    AstProperty f = createAstDot(identifier(FILTER_PREFIX + name), "filter", true);
                    v = createAstMethod(f, createAstParameters(params));
                } else if ("is".equals(image) && "not".equals(lookahead(0).getImage())
                        && TEST_NAMES.contains(lookahead(1).getSymbol())) {
                    consumeToken();
                    consumeToken();
                    v = test(v, "evaluateNegated");
                } else if ("is".equals(image) && TEST_NAMES.contains(lookahead(0).getSymbol())) {
                    consumeToken();
                    v = test(v, "evaluate");
                } else {
                    return v;
                }
            }
        }

        private AstNode test(AstNode subject, String how) throws Scanner.ScanException, ParseException {
            String name = consumeToken().getImage();
            List<AstNode> params = new ArrayList<>(List.of(subject, interpreter()));
            AstNode arg = value();   // an optional argument: `is divisibleby 3`, `is sameas none`
            if (arg != null) {
                params.add(arg);
            }
            AstProperty t = createAstDot(identifier(EXPTEST_PREFIX + name), how, true);
            return createAstMethod(t, createAstParameters(params));
        }

        /** Jinjava's value() with Python subscripts: {@code [i]}, {@code [a:b]}, {@code [a:b:step]}, any bounds. */
        @Override
        protected AstNode value() throws Scanner.ScanException, ParseException {
            boolean lvalue = true;
            AstNode v = nonliteral();
            if (v == null) {
                v = literal();
                if (v == null) {
                    return null;
                }
                lvalue = false;
            }
            while (true) {
                switch (getToken().getSymbol()) {
                    case DOT -> {
                        consumeToken();
                        String name = consumeToken(Scanner.Symbol.IDENTIFIER).getImage();
                        AstProperty dot = createAstDot(v, name, lvalue);
                        v = getToken().getSymbol() == Scanner.Symbol.LPAREN
                                && context.isEnabled(Builder.Feature.METHOD_INVOCATIONS)
                                ? createAstMethod(dot, params()) : dot;
                    }
                    case LBRACK -> {
                        consumeToken();
                        AstNode start = expr(false);
                        if (getToken().getSymbol() == Scanner.Symbol.COLON) {
                            consumeToken();
                            AstNode stop = getToken().getSymbol() == Scanner.Symbol.COLON ? null : expr(false);
                            AstNode step = null;
                            if (getToken().getSymbol() == Scanner.Symbol.COLON) {
                                consumeToken();
                                step = expr(false);
                            }
                            consumeToken(Scanner.Symbol.RBRACK);
                            v = new Slice(v, start, stop, step);
                        } else {
                            consumeToken(Scanner.Symbol.RBRACK);
                            if (start == null) {
                                fail("an index");
                            }
                            AstProperty bracket = createAstBracket(v, start, lvalue,
                                    !context.isEnabled(Builder.Feature.NULL_PROPERTIES));
                            v = getToken().getSymbol() == Scanner.Symbol.LPAREN
                                    && context.isEnabled(Builder.Feature.METHOD_INVOCATIONS)
                                    ? createAstMethod(bracket, params()) : bracket;
                        }
                    }
                    default -> {
                        return v;
                    }
                }
            }
        }
    }

    /** Jinjava's scanner with {@code +} always the plus sign and Python's string escapes. */
    static final class Jinja2Scanner extends ExtendedScanner {
        Jinja2Scanner(String input) {
            super(input);
        }

        @Override
        protected Token nextEval() throws ScanException {
            if (getInput().charAt(getPosition()) == '+') {
                return fixed(Symbol.PLUS);
            }
            return super.nextEval();
        }

        /** A quoted string as Python's {@code unicode_escape} reads it (what Jinja2's lexer does). */
        @Override
        protected Token nextString() throws ScanException {
            builder.setLength(0);
            String in = getInput();
            char quote = in.charAt(getPosition());
            int i = getPosition() + 1;
            int n = in.length();
            while (i < n) {
                char c = in.charAt(i++);
                if (c == quote) {
                    return token(Symbol.STRING, builder.toString(), i - getPosition());
                }
                if (c != '\\') {
                    builder.append(c);
                    continue;
                }
                if (i == n) {
                    break;
                }
                char e = in.charAt(i++);
                switch (e) {
                    case '\n' -> { }   // a backslash at the end of a line joins the lines
                    case '\\', '\'', '"' -> builder.append(e);
                    case 'n' -> builder.append('\n');
                    case 't' -> builder.append('\t');
                    case 'r' -> builder.append('\r');
                    case 'b' -> builder.append('\b');
                    case 'f' -> builder.append('\f');
                    case 'v' -> builder.append('\u000b');
                    case 'a' -> builder.append('\u0007');
                    case 'x', 'u', 'U' -> {
                        int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                        if (i + digits > n) {
                            throw new ScanException(getPosition(), "truncated \\" + e + " escape", "hex digits");
                        }
                        builder.appendCodePoint(Integer.parseInt(in.substring(i, i + digits), 16));
                        i += digits;
                    }
                    default -> {
                        if (e >= '0' && e <= '7') {
                            int end = i - 1;
                            while (end < n && end < i + 2 && in.charAt(end) >= '0' && in.charAt(end) <= '7') {
                                end++;
                            }
                            builder.append((char) Integer.parseInt(in.substring(i - 1, end), 8));
                            i = end;
                        } else {
                            builder.append('\\').append(e);   // Python keeps an unknown escape as written
                        }
                    }
                }
            }
            throw new ScanException(getPosition(), "unterminated string", quote + " or \\");
        }
    }

    /** {@code seq[start:stop:step]} with Python's rules, on lists, tuples and strings. */
    static final class Slice extends AstRightValue {
        private final AstNode base;
        private final AstNode start;
        private final AstNode stop;
        private final AstNode step;

        Slice(AstNode base, AstNode start, AstNode stop, AstNode step) {
            this.base = base;
            this.start = start;
            this.stop = stop;
            this.step = step;
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            Object b = base.eval(bindings, context);
            List<Object> items = null;
            String s = null;
            if (b instanceof String str) {
                s = str;
            } else if (b instanceof Iterable<?> it) {
                items = new ArrayList<>();
                it.forEach(items::add);
            } else if (b instanceof Object[] arr) {
                items = List.of(arr);
            } else {
                throw new ELException("cannot slice " + (b == null ? "None" : b.getClass().getSimpleName()));
            }
            int len = s != null ? s.length() : items.size();
            int st = step == null ? 1 : index(step.eval(bindings, context), 1);
            if (st == 0) {
                throw new ELException("slice step cannot be zero");
            }
            int lo = bound(start == null ? null : start.eval(bindings, context), len, st, true);
            int hi = bound(stop == null ? null : stop.eval(bindings, context), len, st, false);
            StringBuilder sb = s != null ? new StringBuilder() : null;
            List<Object> out = s != null ? null : new ArrayList<>();
            for (int i = lo; st > 0 ? i < hi : i > hi; i += st) {
                if (sb != null) {
                    sb.append(s.charAt(i));
                } else {
                    out.add(items.get(i));
                }
            }
            return sb != null ? sb.toString() : new PyList(out);
        }

        private static int index(Object o, int dflt) {
            if (o == null) {
                return dflt;
            }
            if (!(o instanceof Number num)) {
                throw new ELException("slice indices must be integers or None");
            }
            return num.intValue();
        }

        /** CPython's PySlice_AdjustIndices for one bound. */
        private static int bound(Object o, int len, int step, boolean isStart) {
            if (o == null) {
                return step > 0 ? (isStart ? 0 : len) : (isStart ? len - 1 : -1);
            }
            int i = index(o, 0);
            if (i < 0) {
                i += len;
                if (i < 0) {
                    i = step < 0 ? -1 : 0;
                }
            } else if (i >= len) {
                i = step < 0 ? len - 1 : len;
            }
            return i;
        }

        @Override
        public void appendStructure(StringBuilder b, Bindings bindings) {
            base.appendStructure(b, bindings);
            b.append('[');
            if (start != null) {
                start.appendStructure(b, bindings);
            }
            b.append(':');
            if (stop != null) {
                stop.appendStructure(b, bindings);
            }
            if (step != null) {
                b.append(':');
                step.appendStructure(b, bindings);
            }
            b.append(']');
        }

        @Override
        public int getCardinality() {
            return 4;
        }

        @Override
        public AstNode getChild(int i) {
            return switch (i) {
                case 0 -> base;
                case 1 -> start;
                case 2 -> stop;
                case 3 -> step;
                default -> null;
            };
        }

        @Override
        public String toString() {
            return "[::]";
        }
    }
}
