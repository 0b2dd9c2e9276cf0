package dev.align4j.io.chat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The source preparation: Jinja2's whitespace control and newline handling, and the expression
 * rewrites. Expected renders follow Jinja2's lexer rules with {@code trim_blocks=True,
 * lstrip_blocks=True} (worked out by hand per case in the comments).
 */
class JinjaSourceTest {
    static String render(String template) {
        return ChatTemplate.of(template, Path.of("t.jinja"), Map.of(), ChatTemplate.Limits.DEFAULT)
                .render(List.of(Map.of("role", "user", "content", "Hi")), false);
    }

    @Test
    void slicesBecomePySliceCallsOnTheWholePostfixExpression() {
        assertEquals("{{  py_slice(x,none,none,-1)  }}", JinjaSource.prepare("{{ x[::-1] }}").source());
        assertEquals("{{  py_slice(py_slice(a.b(c),1,none,none),none,none,2)  }}", JinjaSource.prepare("{{ a.b(c)[1:][::2] }}").source());
        assertEquals("{{  py_slice([1,2],1,none,none) ~ py_slice((a),none,1,none)  }}",
                JinjaSource.prepare("{{ [1,2][1:] ~ (a)[:1] }}").source());
        // colons in strings, in dict literals and in non-slice subscripts stay
        assertEquals("{{  'a[1:2]' ~ d['k:v'] ~ e[{'a': 1}['a']]  }}",
                JinjaSource.prepare("{{ 'a[1:2]' ~ d['k:v'] ~ e[{'a': 1}['a']] }}").source());
    }

    @Test
    void unaryNotTakesTheWholeComparisonAndKeywordValuesAreParenthesized() {
        assertEquals("{%  if not( x is defined )and not( (a or b) ) %}{%  endif  %}",
                JinjaSource.prepare("{% if not x is defined and not (a or b) %}{% endif %}").source());
        assertEquals("{{  x is not none and a not in b  }}", JinjaSource.prepare("{{ x is not none and a not in b }}").source());
        assertEquals("{%  set ns = namespace(a=(b|length - 1), c=2)  %}",
                JinjaSource.prepare("{% set ns = namespace(a=b|length - 1, c=2) %}").source());
        // a macro signature keeps its defaults as written; calls inside the body are rewritten
        assertEquals("{%  macro m(a=1 + 2)  %}{{  f(x=(1 + 2))  }}{%  endmacro  %}",
                JinjaSource.prepare("{% macro m(a=1 + 2) %}{{ f(x=1 + 2) }}{% endmacro %}").source());
    }

    @Test
    void trimBlocksAndLstripBlocks() {
        // lstrip removes the indent before both tags, trim_blocks the newline after them
        assertEquals("  x\ny", render("  {% if true %}\n  x\n  {% endif %}\ny"));
        // expressions are neither lstripped nor trimmed
        assertEquals("  a\nb", render("  {{ 'a' }}\nb"));
        // comments are lstripped and trimmed like blocks
        assertEquals("a\nb", render("a\n  {# note #}\nb"));
        // text before the tag on the same line stops lstrip
        assertEquals("x  y", render("x  {% if true %}y{% endif %}"));
    }

    @Test
    void minusAndPlusMarks() {
        // {%- strips all whitespace before, -%} all after; {%+ keeps the indent, +%} the newline
        assertEquals("ab  \nc", render("a  \n  {%- if true -%}  \n  b  {%+ endif +%}\nc"));
        assertEquals("xy", render("{{- 'x' -}}  \n  {{- 'y' }}"));
        assertEquals("-1|-1|1", render("{{--1}}|{{ -1 }}|{{ 2 -1 }}"));
        assertEquals("AB", render("A\n  {#- note -#}  \nB"));
    }

    @Test
    void rawBlocksNewlinesAndTheTrailingNewline() {
        assertEquals("{{ x }}d", render("{% raw -%}  \n {{ x }}  {%- endraw %}\nd"));
        assertEquals("{% if %}", render("{% raw %}{% if %}{% endraw %}"));
        assertEquals("a\nb\nc", render("a\r\nb\rc\n")); // newlines normalized, one trailing newline dropped
        assertEquals("a\n", render("a\n\n"));
    }

    @Test
    void lineNumbersSurviveTrimming() {
        String template = "{% if true %}\n  {%- if true -%}\n\n  {% endif %}\n{# c #}\n{{ raise_exception('here') }}\n{% endif %}";
        assertEquals(6, assertThrows(ChatTemplateException.class, () -> render(template)).line());
    }

    @Test
    void unknownFiltersAndTestsFailBeforeRendering() {
        var e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.of("a\n\n{{ x|trim|nofilter(1) }}",
                Path.of("t.jinja"), Map.of(), ChatTemplate.Limits.DEFAULT));
        assertEquals("t.jinja, line 3: chat template error: No filter named 'nofilter'", e.getMessage());
        e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.of("{% if x is not\n nosuchtest %}{% endif %}",
                Path.of("t.jinja"), Map.of(), ChatTemplate.Limits.DEFAULT));
        assertEquals("t.jinja, line 2: chat template error: No test named 'nosuchtest'", e.getMessage());
        assertEquals(List.of(new ExpressionRewriter.Use(false, "tojson", 1), new ExpressionRewriter.Use(true, "none", 2)),
                JinjaSource.prepare("{{ x|tojson }}\n{{ y is not none and '|' }}").uses());
    }

    @Test
    void aSliceWithFourPartsIsASyntaxError() {
        var e = assertThrows(ChatTemplateException.class, () -> render("{{ x[1:2:3:4] }}"));
        assertEquals("t.jinja: chat template syntax error: a slice takes at most start:stop:step, got 4 parts", e.getMessage());
    }
}
