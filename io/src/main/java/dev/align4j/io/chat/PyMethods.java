package dev.align4j.io.chat;

import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.objects.SafeString;
import java.beans.FeatureDescriptor;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The first link of the template engine's expression resolver: every method call in a template
 * ({@code x.strip()}, {@code d.items()}) lands here and only Python's {@code str} and {@code dict}
 * methods that chat templates use are answered; string indexing ({@code s[0]}, {@code s[-1]})
 * follows Python; attributes of strings, numbers, booleans and lists resolve to nothing.
 *
 * <p>Not a bridge to Java: Jinjava would otherwise call any public Java method of any object
 * ({@code s.getBytes()}, {@code list.clear()}), so this resolver claims every call and refuses the
 * others with a message. Lists have no callable methods, as in transformers' immutable sandbox
 * (which forbids {@code append}, {@code pop}...; dicts keep the read-only {@code items},
 * {@code keys}, {@code values} and {@code get}).
 *
 * <p>Based on Jinja2's sandbox (jinja2/sandbox.py, {@code ImmutableSandboxedEnvironment}, as
 * transformers' {@code _compile_jinja_template} uses it) and Python's str and dict methods.
 * Method arguments are positional only.
 */
final class PyMethods extends ELResolver {
    private static final List<String> STR_METHODS =
            List.of("strip", "lstrip", "rstrip", "split", "startswith", "endswith", "upper", "lower", "replace", "title");
    private static final List<String> DICT_METHODS = List.of("items", "keys", "values", "get");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || base instanceof Filter || base instanceof ExpTest) {
            return null; // Jinjava applies filters and tests as method calls on its own objects
        }
        context.setPropertyResolved(true);
        String name = String.valueOf(method);
        Object[] args = params == null ? new Object[0] : params;
        if (base instanceof String || base instanceof SafeString) {
            return strMethod(base.toString(), name, args);
        }
        if (base instanceof Map<?, ?> map) {
            return dictMethod(map, name, args);
        }
        throw new RenderError("'" + PyValues.typeName(base) + "' object has no callable attribute '" + name
                + "' in a chat template (str methods: " + String.join(", ", STR_METHODS)
                + "; dict methods: " + String.join(", ", DICT_METHODS) + ")");
    }

    private static Object strMethod(String s, String name, Object[] args) {
        return switch (name) {
            case "strip", "lstrip", "rstrip" -> {
                arity(name, args, 0, 1);
                String chars = args.length > 0 && args[0] != null ? string(name, args[0]) : null;
                yield name.equals("strip") ? PyStrings.strip(s, chars)
                        : name.equals("lstrip") ? PyStrings.lstrip(s, chars) : PyStrings.rstrip(s, chars);
            }
            case "split" -> {
                arity(name, args, 0, 2);
                String sep = args.length > 0 && args[0] != null ? string(name, args[0]) : null;
                yield PyStrings.split(s, sep, args.length > 1 ? integer(name, args[1]) : -1);
            }
            case "startswith", "endswith" -> {
                arity(name, args, 1, 1);
                yield name.equals("startswith") ? PyStrings.startsWith(s, args[0]) : PyStrings.endsWith(s, args[0]);
            }
            case "upper", "lower", "title" -> {
                arity(name, args, 0, 0);
                yield name.equals("upper") ? PyStrings.upper(s) : name.equals("lower") ? PyStrings.lower(s) : PyStrings.title(s);
            }
            case "replace" -> {
                arity(name, args, 2, 3);
                yield PyStrings.replace(s, string(name, args[0]), string(name, args[1]),
                        args.length > 2 ? integer(name, args[2]) : -1);
            }
            default -> throw new RenderError("'str' object has no method '" + name
                    + "' in a chat template (supported: " + String.join(", ", STR_METHODS) + ")");
        };
    }

    private static Object dictMethod(Map<?, ?> map, String name, Object[] args) {
        return switch (name) {
            case "items" -> {
                arity(name, args, 0, 0);
                List<Map.Entry<Object, Object>> items = new ArrayList<>();
                map.forEach((k, v) -> items.add(new AbstractMap.SimpleImmutableEntry<>(k, v)));
                yield items;
            }
            case "keys", "values" -> {
                arity(name, args, 0, 0);
                yield new ArrayList<>(name.equals("keys") ? map.keySet() : map.values());
            }
            case "get" -> {
                arity(name, args, 1, 2);
                yield map.containsKey(args[0]) ? map.get(args[0]) : args.length > 1 ? args[1] : null;
            }
            default -> throw new RenderError("'dict' object has no method '" + name
                    + "' in a chat template (read-only dict methods: " + String.join(", ", DICT_METHODS) + ")");
        };
    }

    /** Python indexing of a string by code point, negative from the end; out of range is undefined. */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (base instanceof String || base instanceof SafeString) {
            context.setPropertyResolved(true);
            Long index = index(property);
            if (index == null) {
                return null;
            }
            String s = base.toString();
            int length = PyStrings.length(s);
            long i = index < 0 ? index + length : index;
            if (i < 0 || i >= length) {
                return null;
            }
            int at = s.offsetByCodePoints(0, (int) i);
            return s.substring(at, s.offsetByCodePoints(at, 1));
        }
        if (base instanceof Number || base instanceof Boolean || (base instanceof List<?> && index(property) == null)) {
            context.setPropertyResolved(true); // no Java bean properties (list.empty, s.bytes...)
            return null;
        }
        return null;
    }

    /** A subscript as an integer (Jinjava passes {@code x[0]} as the string "0"), or null. */
    private static Long index(Object property) {
        if (property instanceof Number n && !(property instanceof Double) && !(property instanceof Float)) {
            return n.longValue();
        }
        if (property instanceof String s && s.matches("-?[0-9]{1,18}")) {
            return Long.parseLong(s);
        }
        return null;
    }

    /** Checks the number of positional arguments, as Python's TypeError would. */
    private static void arity(String method, Object[] args, int min, int max) {
        if (args.length < min || args.length > max) {
            throw new RenderError(method + "() takes " + (min == max ? String.valueOf(min) : min + " to " + max)
                    + " positional arguments, got " + args.length);
        }
    }

    private static String string(String method, Object value) {
        if (value instanceof String || value instanceof SafeString) {
            return value.toString();
        }
        throw new RenderError(method + "() argument must be str, not " + PyValues.typeName(value));
    }

    private static int integer(String method, Object value) {
        if (value instanceof Number n && !(value instanceof Double) && !(value instanceof Float)) {
            return Math.clamp(n.longValue(), Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        throw new RenderError(method + "() argument must be int, not " + PyValues.typeName(value));
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
