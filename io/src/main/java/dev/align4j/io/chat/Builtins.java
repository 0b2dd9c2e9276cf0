package dev.align4j.io.chat;

import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.LengthLimitingStringBuilder;
import java.lang.reflect.Method;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The globals, filters, tests and tags that transformers adds to Jinja2 for chat templates, and
 * the Jinja2 builtins whose Jinjava versions differ from Python in ways templates notice.
 *
 * <p>Not a full Jinja2 library: Jinjava's own builtins stay for everything not listed here
 * ({@code map}, {@code selectattr}, {@code default}, {@code upper}, {@code reverse}...), which
 * agree with Jinja2 on the values chat templates pass them.
 *
 * <p>Based on transformers' {@code _compile_jinja_template} (utils/chat_template_utils.py):
 * {@code raise_exception(message)}, {@code strftime_now(format)} (local time, Python strftime
 * codes; both also defined as variables, as Jinja2 globals are), the {@code tojson} filter ({@code json.dumps(x, ensure_ascii=False, indent=None,
 * separators=None, sort_keys=False)}, same keyword names) and the {@code {% generation %}} block
 * (transformers' AssistantTracker, which renders its body); and on Jinja2's filters
 * ({@code trim(value, chars=None)}, {@code string}, {@code join(value, d='', attribute=None)},
 * {@code length}, {@code list}, {@code first}, {@code last}, {@code items}: strings are sequences
 * of characters, dicts iterate their keys) and its {@code iterable} test, which holds for strings.
 * {@code py_slice} is the target of {@link ExpressionRewriter}'s slice rewrite; {@code range}
 * follows Python and Jinja2's sandbox (an error, not a silent cut, past the size limit).
 */
final class Builtins {
    private Builtins() {}

    static void register(Context context) {
        context.registerFunction(function("raise_exception", "raiseException", Object.class));
        context.registerFunction(function("strftime_now", "strftimeNow", Object.class));
        // Jinja2 globals are also variables: templates test "strftime_now is defined" (Llama 3.2).
        context.put("raise_exception", new GlobalFunction("raise_exception"));
        context.put("strftime_now", new GlobalFunction("strftime_now"));
        context.registerFunction(function("py_slice", "slice", Object.class, Object.class, Object.class, Object.class));
        context.registerFunction(function("range", "range", Object.class, Object[].class));
        context.registerFilter(filter("tojson", Builtins::toJson));
        context.registerFilter(filter("trim", (value, args, kwargs) -> {
            Object chars = option(args, 0, kwargs, "chars");
            return PyStrings.strip(PyValues.str(value), chars == null ? null : PyValues.str(chars));
        }));
        context.registerFilter(filter("string", (value, args, kwargs) -> PyValues.str(value)));
        context.registerFilter(filter("join", Builtins::join));
        context.registerFilter(filter("length", (value, args, kwargs) -> length(value)));
        context.registerFilter(filter("count", (value, args, kwargs) -> length(value)));
        context.registerFilter(filter("list", (value, args, kwargs) -> new ArrayList<>(iterate("list", value))));
        context.registerFilter(filter("first", (value, args, kwargs) -> {
            List<?> items = iterate("first", value);
            return items.isEmpty() ? null : items.getFirst();
        }));
        context.registerFilter(filter("last", (value, args, kwargs) -> {
            List<?> items = iterate("last", value);
            return items.isEmpty() ? null : items.getLast();
        }));
        context.registerFilter(filter("items", (value, args, kwargs) -> value == null ? List.of()
                : new ArrayList<>(asMap("items", value).entrySet())));
        context.registerExpTest(new ExpTest() {
            @Override
            public String getName() {
                return "iterable";
            }

            @Override
            public boolean evaluate(Object value, JinjavaInterpreter interpreter, Object... args) {
                return value instanceof Iterable<?> || value instanceof Map<?, ?> || value instanceof String
                        || value instanceof SafeString || (value != null && value.getClass().isArray());
            }
        });
        context.registerTag(new GenerationTag());
    }

    static Object raiseException(Object message) {
        throw new RenderError(RenderError.Kind.RAISED_BY_TEMPLATE, PyValues.str(message));
    }

    static String strftimeNow(Object format) {
        return StrftimeFormatter.format(ZonedDateTime.now(), PyValues.str(format), Locale.ENGLISH); // Python's C locale
    }

    /** Python's {@code seq[start:stop:step]} on a string (by code point) or a list; None stays None. */
    static Object slice(Object seq, Object start, Object stop, Object step) {
        if (seq == null) {
            return null;
        }
        long st = step == null ? 1 : index(step);
        if (st == 0) {
            throw new RenderError("slice step cannot be zero");
        }
        boolean text = seq instanceof String || seq instanceof SafeString;
        if (!text && !(seq instanceof List<?>)) {
            throw new RenderError("'" + PyValues.typeName(seq) + "' object is not subscriptable with a slice");
        }
        List<?> items = iterate("slice", seq);
        long n = items.size();
        long from = bound(start, n, st, st < 0 ? n - 1 : 0);
        long to = bound(stop, n, st, st < 0 ? -1 : n);
        List<Object> out = new ArrayList<>();
        for (long i = from; st > 0 ? i < to : i > to; i += st) {
            out.add(items.get((int) i));
        }
        return text ? String.join("", out.stream().map(String.class::cast).toList()) : out;
    }

    /**
     * Python's {@code range(stop)} / {@code range(start, stop[, step])}; like Jinja2's sandbox (which
     * refuses more than MAX_RANGE items), a range longer than the collection limit is an error
     * rather than silently cut short as Jinjava's own range is.
     */
    static List<Long> range(Object first, Object... rest) {
        if (rest.length > 2) {
            throw new RenderError("range expected at most 3 arguments, got " + (rest.length + 1));
        }
        long start = rest.length == 0 ? 0 : index(first);
        long stop = rest.length == 0 ? index(first) : index(rest[0]);
        long step = rest.length == 2 ? index(rest[1]) : 1;
        if (step == 0) {
            throw new RenderError("range() arg 3 must not be zero");
        }
        long count = step > 0 ? Math.max(0, Math.ceilDiv(stop - start, step)) : Math.max(0, Math.ceilDiv(start - stop, -step));
        int limit = JinjavaInterpreter.getCurrent().getConfig().getRangeLimit();
        if (count > limit) {
            throw new RenderError(RenderError.Kind.LIMIT, "range() of " + count + " items, more than "
                    + limit + " (Limits.maxCollectionSize)");
        }
        List<Long> out = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            out.add(start + i * step);
        }
        return out;
    }

    /** CPython's PySlice_AdjustIndices for one bound. */
    private static long bound(Object value, long n, long step, long absent) {
        if (value == null) {
            return absent;
        }
        long i = index(value);
        if (i < 0) {
            i += n;
            return i < 0 ? (step < 0 ? -1 : 0) : i;
        }
        return i >= n ? (step < 0 ? n - 1 : n) : i;
    }

    private static long index(Object value) {
        if (value instanceof Number n && !(value instanceof Double) && !(value instanceof Float)) {
            return n.longValue();
        }
        throw new RenderError("indices must be integers, not " + PyValues.typeName(value));
    }

    private static Object toJson(Object value, Object[] args, Map<String, Object> kwargs) {
        Object ensureAscii = option(args, 0, kwargs, "ensure_ascii");
        Object indent = option(args, 1, kwargs, "indent");
        Object separators = option(args, 2, kwargs, "separators");
        Object sortKeys = option(args, 3, kwargs, "sort_keys");
        String indentText = switch (indent) {
            case null -> null;
            case Number n -> " ".repeat((int) Math.max(0, n.longValue()));
            default -> PyValues.str(indent);
        };
        String[] seps = null;
        if (separators != null) {
            if (!(separators instanceof List<?> l) || l.size() != 2) {
                throw new RenderError("tojson: separators must be an (item_separator, key_separator) pair");
            }
            seps = new String[] {PyValues.str(l.get(0)), PyValues.str(l.get(1))};
        }
        return PyValues.toJson(value, Boolean.TRUE.equals(ensureAscii), indentText, seps, Boolean.TRUE.equals(sortKeys));
    }

    /** A filter argument given by position (after the value) or by keyword. */
    private static Object option(Object[] args, int position, Map<String, Object> kwargs, String name) {
        if (kwargs.containsKey(name)) {
            return kwargs.get(name);
        }
        return position < args.length ? args[position] : null;
    }

    private static Object join(Object value, Object[] args, Map<String, Object> kwargs) {
        Object separator = option(args, 0, kwargs, "d");
        Object attribute = option(args, 1, kwargs, "attribute");
        StringBuilder out = new StringBuilder();
        String sep = separator == null ? "" : PyValues.str(separator);
        boolean first = true;
        for (Object item : iterate("join", value)) {
            if (attribute != null) {
                item = asMap("join", item).get(attribute);
            }
            out.append(first ? "" : sep).append(item == null ? "None" : PyValues.str(item));
            first = false;
        }
        return out.toString();
    }

    /** Python's {@code len(x)}: code points of a string, entries of a list or dict. */
    private static Object length(Object value) {
        return switch (value) {
            case null -> 0;
            case String s -> PyStrings.length(s);
            case SafeString s -> PyStrings.length(s.toString());
            case Map<?, ?> m -> m.size();
            case List<?> l -> l.size();
            default -> throw new RenderError("object of type '" + PyValues.typeName(value) + "' has no len()");
        };
    }

    /**
     * Iteration as in Python: a list's items, a dict's keys, a string's characters; also the arrays
     * and iterators some Jinjava filters return ({@code reverse}).
     */
    private static List<?> iterate(String filter, Object value) {
        return switch (value) {
            case null -> List.of();
            case List<?> l -> l;
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case String s -> s.codePoints().mapToObj(Character::toString).toList();
            case SafeString s -> s.toString().codePoints().mapToObj(Character::toString).toList();
            case Object[] a -> Arrays.asList(a);
            case Iterable<?> i -> {
                List<Object> items = new ArrayList<>();
                i.forEach(items::add);
                yield items;
            }
            case Iterator<?> i -> {
                List<Object> items = new ArrayList<>();
                i.forEachRemaining(items::add);
                yield items;
            }
            default -> throw new RenderError(filter + ": '" + PyValues.typeName(value) + "' object is not iterable");
        };
    }

    private static Map<?, ?> asMap(String filter, Object value) {
        if (value instanceof Map<?, ?> m) {
            return m;
        }
        throw new RenderError(filter + ": expected a dict, got " + PyValues.typeName(value));
    }

    private static ELFunctionDefinition function(String name, String method, Class<?>... params) {
        try {
            Method m = Builtins.class.getDeclaredMethod(method, params);
            m.setAccessible(true); // Jinjava calls it reflectively from its own package
            return new ELFunctionDefinition("", name, m);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface FilterBody {
        Object apply(Object value, Object[] args, Map<String, Object> kwargs);
    }

    private static AdvancedFilter filter(String name, FilterBody body) {
        return new AdvancedFilter() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
                return body.apply(value, args, kwargs);
            }
        };
    }

    /** What a global function's name evaluates to: defined, truthy, printed as Python prints a function. */
    record GlobalFunction(String name) {
        @Override
        public String toString() {
            return "<function " + name + ">";
        }
    }

    /** {@code {% generation %}...{% endgeneration %}}: renders its body (transformers marks assistant text with it). */
    private static final class GenerationTag implements Tag {
        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            LengthLimitingStringBuilder out = new LengthLimitingStringBuilder(interpreter.getConfig().getMaxOutputSize());
            for (Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }
}
