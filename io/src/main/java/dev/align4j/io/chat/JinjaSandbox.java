package dev.align4j.io.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.el.TypeConvertingMapELResolver;
import com.hubspot.jinjava.el.ext.JinjavaBeanELResolver;
import com.hubspot.jinjava.el.ext.JinjavaListELResolver;
import com.hubspot.jinjava.interpret.CollectionTooBigException;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.OutputTooBigException;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.interpret.errorcategory.BasicTemplateErrorCategory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jinjava.javax.el.ArrayELResolver;
import jinjava.javax.el.CompositeELResolver;

/**
 * The Jinja environment of chat templates: Jinjava configured as transformers configures Jinja2
 * (loop controls, the builtins of {@link Builtins}; {@code trim_blocks} and {@code lstrip_blocks}
 * are applied beforehand by {@link JinjaSource}), made Python-like where Jinjava differs
 * ({@link PyMethods}, {@link PyValues#str} for printed values, Jinja's operator precedence), and
 * sandboxed.
 *
 * <p>Not trusted with anything: a template is untrusted input. It cannot load files or other
 * templates (include, import, from and extends are disabled and the resource locator refuses),
 * cannot call Java methods ({@link PyMethods} claims every call), never re-renders its output as a
 * template (nested interpretation off), and runs within {@link ChatTemplate.Limits}: output
 * characters (which also bound string results), steps (one per rendered node and per loop
 * iteration, so nested loops over large ranges stop) and collection sizes (lists, dicts,
 * {@code range}); macros may recurse up to {@value #MAX_MACRO_DEPTH} deep.
 *
 * <p>Based on transformers' {@code _compile_jinja_template} (utils/chat_template_utils.py:
 * {@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
 * extensions=[AssistantTracker, jinja2.ext.loopcontrols])}) and Jinjava's configuration
 * ({@code JinjavaConfig}, {@code LegacyOverrides}).
 */
final class JinjaSandbox {
    static final int MAX_MACRO_DEPTH = 100;

    private final Jinjava jinjava;
    private final ChatTemplate.Limits limits;

    JinjaSandbox(ChatTemplate.Limits limits) {
        this.limits = limits;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyMethods());
        resolver.add(new ArrayELResolver(true));
        resolver.add(new JinjavaListELResolver(true));
        resolver.add(new TypeConvertingMapELResolver(true));
        resolver.add(new JinjavaBeanELResolver(true)); // read-only getters of loop, namespace...
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(false) // JinjaSource did trim_blocks, lstrip_blocks and the - + marks
                .withLstripBlocks(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true) // -7 // 2 as in Python
                        .withParseWhitespaceControlStrictly(true) // {{ -1 }} is minus one, not a trim mark
                        .withEvaluateMapKeys(true) // {key: v} uses the variable key
                        .withIterateOverMapKeys(true) // for k in dict
                        .withKeepNullableLoopValues(true) // for x in [1, none]
                        .build())
                .withElResolver(resolver)
                .withInterperterFactory(new Factory(limits.maxSteps()))
                .withProcessors(JinjavaProcessors.newBuilder()
                        .withNodePreProcessor((node, interpreter) -> budget(interpreter).tick(node.getLineNumber()))
                        .build())
                .withDisabled(Map.of(Context.Library.TAG, Set.of("include", "import", "from", "extends")))
                .withNestedInterpretationEnabled(false)
                .withFailOnUnknownTokens(false)
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(MAX_MACRO_DEPTH)
                .withMaxOutputSize(limits.maxOutputChars())
                .withMaxStringLength(limits.maxOutputChars())
                .withMaxListSize(limits.maxCollectionSize())
                .withMaxMapSize(limits.maxCollectionSize())
                .withRangeLimit(limits.maxCollectionSize())
                .build();
        jinjava = new Jinjava(config);
        jinjava.setResourceLocator((name, charset, interpreter) -> {
            throw new IOException("chat templates cannot load other templates or files ('" + name + "')");
        });
        Builtins.register(jinjava.getGlobalContext());
    }

    /**
     * Fails on a filter or test this environment lacks, as Jinja2 does when it compiles a template
     * (Jinjava would render the expression as nothing).
     */
    void checkNames(List<ExpressionRewriter.Use> uses, Path origin) {
        for (ExpressionRewriter.Use use : uses) {
            Context context = jinjava.getGlobalContext();
            if (use.test() ? context.getExpTest(use.name()) == null : context.getFilter(use.name()) == null) {
                throw new ChatTemplateException(origin, use.line(), "chat template error",
                        "No " + (use.test() ? "test" : "filter") + " named '" + use.name() + "'", null);
            }
        }
    }

    /**
     * Renders {@code template} (prepared by {@link JinjaSource}) with {@code variables}.
     *
     * @throws ChatTemplateException naming {@code origin} and the line, for any Jinja or Python-level
     *                               error, a {@code raise_exception} call, or an exceeded limit
     */
    String render(String template, Map<String, Object> variables, Path origin) {
        RenderResult result;
        try {
            result = jinjava.renderForResult(template, variables);
        } catch (RuntimeException e) { // a few failures escape Jinjava's error collection
            throw translate(origin, -1, e.getMessage(), e);
        }
        for (TemplateError error : result.getErrors()) {
            // An unknown attribute or key is Jinja2's Undefined, which prints as "": not an error.
            if (error.getCategory() != BasicTemplateErrorCategory.UNKNOWN_PROPERTY) {
                throw translate(origin, error.getLineno(), error.getMessage(), error.getException());
            }
        }
        return result.getOutput();
    }

    private ChatTemplateException translate(Path origin, int line, String message, Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof RenderError e) {
                String what = switch (e.kind) {
                    case RAISED_BY_TEMPLATE -> "the chat template raised an exception";
                    case LIMIT -> "the chat template was stopped";
                    case ERROR -> "chat template error";
                };
                return new ChatTemplateException(origin, e.line > 0 ? e.line : line, what, e.getMessage(), cause);
            }
            if (t instanceof OutputTooBigException) {
                return new ChatTemplateException(origin, line, "the chat template was stopped",
                        "output longer than " + limits.maxOutputChars() + " characters (Limits.maxOutputChars)", cause);
            }
            if (t instanceof CollectionTooBigException) {
                return new ChatTemplateException(origin, line, "the chat template was stopped",
                        "a list or dict larger than " + limits.maxCollectionSize() + " (Limits.maxCollectionSize)", cause);
            }
        }
        return new ChatTemplateException(origin, line, "chat template error", message, cause);
    }

    private static Budget budget(JinjavaInterpreter interpreter) {
        return ((PyInterpreter) interpreter).budget;
    }

    /** Steps left in one render, shared by the interpreters of nested scopes. */
    static final class Budget {
        private final long max;
        private long used;

        Budget(long max) {
            this.max = max;
        }

        void tick(int line) {
            if (++used > max) {
                throw new RenderError(RenderError.Kind.LIMIT, "more than " + max
                        + " steps (rendered nodes and loop iterations; Limits.maxSteps): a runaway loop?", line);
            }
        }
    }

    /** Prints values as Python's str() does and counts loop iterations (ForTag wraps each item). */
    static final class PyInterpreter extends JinjavaInterpreter {
        final Budget budget;

        PyInterpreter(Jinjava application, Context context, JinjavaConfig config, Budget budget) {
            super(application, context, config);
            this.budget = budget;
        }

        PyInterpreter(PyInterpreter parent) {
            super(parent);
            this.budget = parent.budget;
        }

        @Override
        public String getAsString(Object value) {
            return PyValues.str(value);
        }

        @Override
        public Object wrap(Object value) {
            budget.tick(getLineNumber());
            return super.wrap(value);
        }
    }

    private record Factory(long maxSteps) implements InterpreterFactory {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter parent) {
            return new PyInterpreter((PyInterpreter) parent);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig config) {
            return new PyInterpreter(application, context, config, new Budget(maxSteps));
        }
    }
}
