package dev.align4j.io.chat;

import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Python semantics added to Jinjava, one small template each. Expected strings are what
 * Python 3 / Jinja2 print for the same expression (derived from the Python documentation and
 * checked against CPython 3.11 for the str methods and reprs).
 */
class PythonSemanticsTest {
    static final List<Map<String, Object>> MESSAGES = List.of(
            Map.of("role", "user", "content", "Hi"), Map.of("role", "assistant", "content", "Hello"));

    /** Renders {@code template} with two messages and the variables {@code d = {a: 1, b: 'x'}}, {@code x = 1}. */
    static String render(String template, Map<String, Object> extra) {
        Map<String, Object> variables = new LinkedHashMap<>();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("a", 1);
        d.put("b", "x");
        variables.put("d", d);
        variables.put("x", 1);
        variables.putAll(extra);
        return ChatTemplate.of(template, Path.of("inline.jinja"), Map.of("bos_token", "<s>"), ChatTemplate.Limits.DEFAULT)
                .render(MESSAGES, null, false, variables);
    }

    static String render(String template) {
        return render(template, Map.of());
    }

    static Stream<Arguments> cases() {
        return Stream.of(
            // str.strip / lstrip / rstrip, with and without chars
            Arguments.of("{{ '  a b \\n'.strip() }}", "a b"),
            Arguments.of("{{ '\\n\\nx\\n'.strip('\\n') }}", "x"),
            Arguments.of("{{ 'xxhixx'.lstrip('x') }}|{{ 'xxhixx'.rstrip('x') }}", "hixx|xxhi"),
            Arguments.of("{{ 'abcba'.strip('ab') }}", "c"),
            // str.split: literal separator, whitespace runs, maxsplit
            Arguments.of("{{ 'a,b,,c'.split(',') }}", "['a', 'b', '', 'c']"),
            Arguments.of("{{ 'a.b'.split('.') }}", "['a', 'b']"),
            Arguments.of("{{ '  a  b c '.split() }}", "['a', 'b', 'c']"),
            Arguments.of("{{ 'a b c'.split(' ', 1) }}", "['a', 'b c']"),
            Arguments.of("{{ '  a  b c '.split(none, 1) }}", "['a', 'b c ']"),
            Arguments.of("{{ ''.split() }}{{ ''.split(',') }}", "[]['']"),
            Arguments.of("{{ 'x</think>y</think>z'.split('</think>')[-1] }}", "z"),
            // startswith / endswith, with a tuple of prefixes
            Arguments.of("{{ 'hello'.startswith('he') }}{{ 'hello'.endswith('lo') }}{{ 'hello'.startswith(('x', 'h')) }}{{ 'hello'.endswith('x') }}", "TrueTrueTrueFalse"),
            // upper / lower / title / replace
            Arguments.of("{{ 'Hello World'.upper() }}|{{ 'Hello World'.lower() }}", "HELLO WORLD|hello world"),
            Arguments.of("{{ \"hello wORLD they're 3rd\".title() }}", "Hello World They'Re 3Rd"),
            Arguments.of("{{ 'aaa'.replace('a', 'b') }}{{ 'aaa'.replace('a', 'b', 2) }}{{ 'ab'.replace('', '-') }}", "bbbbba-a-b-"),
            // namespace with attribute assignment, including a keyword value with an operator
            Arguments.of("{% set ns = namespace(n=0, last=messages|length - 1) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}{{ ns.last }}", "21"),
            // slices, negative indices, steps, strings by code point
            Arguments.of("{{ 'abcdef'[::-1] }}|{{ 'abcdef'[1:4] }}|{{ 'abcdef'[-2:] }}|{{ 'abcdef'[:-2] }}|{{ 'abcdef'[::2] }}|{{ 'abcdef'[5:1:-2] }}", "fedcba|bcd|ef|abcd|ace|fd"),
            Arguments.of("{{ [1, 2, 3][::-1] }}{{ [1, 2, 3][10:] }}{{ [1, 2, 3][-2:] }}", "[3, 2, 1][][2, 3]"),
            Arguments.of("{{ 'abc'[0] }}{{ 'abc'[-1] }}[{{ 'abc'[5] }}]{{ 'a😀c'[1] }}{{ 'a😀c'[::-1] }}", "ac[]😀c😀a"),
            Arguments.of("{% for m in messages[::-1] %}{{ m.role }},{% endfor %}{{ messages[-1:][0].role }}{{ 'abcdef'[1:][::-1] }}", "assistant,user,assistantfedcb"),
            // loop variables
            Arguments.of("{% for m in messages %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", "01TrueFalse2;12FalseTrue2;"),
            // tests
            Arguments.of("{{ x is defined }}{{ y is defined }}{{ none is none }}{{ x is none }}{{ 'a' is string }}{{ d is mapping }}{{ [] is mapping }}", "TrueFalseTrueFalseTrueTrueFalse"),
            Arguments.of("{{ 'a' is iterable }}{{ [] is iterable }}{{ d is iterable }}{{ 1 is iterable }}{{ false is false }}{{ x is number }}", "TrueTrueTrueFalseTrueTrue"),
            // in / not in on strings, dicts, lists
            Arguments.of("{{ 'b' in 'abc' }}{{ 'a' in d }}{{ 'z' in d }}{{ 2 in [1, 2] }}{{ 'x' not in 'abc' }}", "TrueTrueFalseTrueTrue"),
            // dict methods
            Arguments.of("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ d.get('a') }}[{{ d.get('z') }}]{{ d.get('z', 'dflt') }}", "a=1;b=x;1[]dflt"),
            Arguments.of("{{ d.keys()|list }}{{ d.values()|list }}{{ d.items()|list }}{{ d|items|list }}", "['a', 'b'][1, 'x'][('a', 1), ('b', 'x')][('a', 1), ('b', 'x')]"),
            Arguments.of("{% for k in d %}{{ k }}{% endfor %}", "ab"),
            // truthiness
            Arguments.of("{% if [] %}T{% else %}F{% endif %}{% if '' %}T{% else %}F{% endif %}{% if {} %}T{% else %}F{% endif %}{% if 0 %}T{% else %}F{% endif %}{% if 'a' %}T{% endif %}{% if [0] %}T{% endif %}", "FFFFTT"),
            // literals and printing as Python's str()
            Arguments.of("{{ none is none }}{{ None is none }}{{ true }}{{ True }}{{ false }}{{ False }}", "TrueTrueTrueTrueFalseFalse"),
            Arguments.of("{{ [none, true, 1.5, 'a', \"it's\"] }}{{ {'k': [1]} }}", "[None, True, 1.5, 'a', \"it's\"]{'k': [1]}"),
            Arguments.of("{{ 10 / 4 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 2 ** 10 }}|{{ -1 }}", "2.5|3|-4|1024|-1"),
            // concatenation
            Arguments.of("{{ 'a' + 'b' }}{{ 'a' ~ 1 ~ 'b' }}{{ 'x' ~ messages[0].role }}", "aba1bxuser"),
            // unary not over a comparison, as Jinja2 parses it
            Arguments.of("{{ not 1 == 2 }}{{ not x is defined }}{{ not 'a' in 'abc' }}{{ not false and false }}{{ not [] }}{{ 1 if not none else 2 }}", "TrueFalseFalseFalseTrue1"),
            // filters
            Arguments.of("{{ 'abc'|length }}{{ [1, 2]|length }}{{ d|length }}{{ '😀'|length }}{{ 'abc'|count }}", "32213"),
            Arguments.of("[{{ '  x  '|trim }}][{{ 'xxaxx'|trim('x') }}]", "[x][a]"),
            Arguments.of("{{ [1, 2, 3]|first }}{{ [1, 2, 3]|last }}{{ 'abc'|first }}{{ 'abc'|last }}{{ d|first }}[{{ []|first }}]", "13aca[]"),
            Arguments.of("{{ messages|selectattr('role', 'equalto', 'user')|list|length }}{{ messages|map(attribute='role')|join(', ') }}", "1user, assistant"),
            Arguments.of("{{ [1, none, true]|join('-') }}|{{ messages|join(attribute='role') }}|{{ 'abc'|list }}", "1-None-True|userassistant|['a', 'b', 'c']"),
            Arguments.of("{{ 1.0|string }}{{ true|string }}{{ [1]|string }}{{ [1, 2]|reverse|list }}{{ d|list }}", "1.0True[1][2, 1]['a', 'b']"),
            Arguments.of("{{ undefined_var|default('dflt') }}{{ 'x'|default('dflt') }}{{ ''|default('e', true) }}", "dfltxe"),
            Arguments.of("{{ bos_token }}{% generation %}A{{ 'B' }}{% endgeneration %}C", "<s>ABC"),
            // globals are variables too (Llama 3.2 tests "strftime_now is defined")
            Arguments.of("{{ strftime_now is defined }}{{ raise_exception is defined }}{% if strftime_now %}T{% endif %}", "TrueTrueT"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void pythonSemantics(String template, String expected) {
        assertEquals(expected, render(template));
    }

    @Test
    void pythonWhitespaceIsStrippedAndNothingElse() {
        assertEquals("[x][\u0001x]", render("[{{ a.strip() }}][{{ b|trim }}]",
                Map.of("a", "\u00a0x\u3000", "b", "\u0001x ")));
    }

    @Test
    void strftimeNowUsesPythonFormatCodes() {
        LocalDate before = LocalDate.now();
        String rendered = render("{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%d %b %Y') }}");
        LocalDate after = LocalDate.now();
        String expectedBefore = before + "|" + before.format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH));
        String expectedAfter = after + "|" + after.format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH));
        assertTrue(rendered.equals(expectedBefore) || rendered.equals(expectedAfter), rendered);
    }

    @Test
    void raiseExceptionNamesTheTemplatesMessageAndLine() {
        var e = assertThrows(ChatTemplateException.class,
                () -> render("line 1\n{% if true %}\n  {{ raise_exception('Only user and assistant roles') }}\n{% endif %}"));
        assertEquals("Only user and assistant roles", e.templateMessage());
        assertEquals(3, e.line());
        assertEquals(Path.of("inline.jinja"), e.origin());
        assertEquals("inline.jinja, line 3: the chat template raised an exception: Only user and assistant roles",
                e.getMessage());
    }

    @Test
    void pythonLevelErrorsAreReportedWithTheLine() {
        var e = assertThrows(ChatTemplateException.class, () -> render("\n{{ 'a'.split('') }}"));
        assertEquals(2, e.line());
        assertTrue(e.templateMessage().contains("empty separator"), e.getMessage());
        e = assertThrows(ChatTemplateException.class, () -> render("{{ 'abc'[::0] }}"));
        assertTrue(e.templateMessage().contains("slice step cannot be zero"), e.getMessage());
        e = assertThrows(ChatTemplateException.class, () -> render("{{ 'abc'.strip(1) }}"));
        assertTrue(e.templateMessage().contains("strip() argument must be str, not int"), e.getMessage());
        e = assertThrows(ChatTemplateException.class, () -> render("{{ 'abc'.upper(1) }}"));
        assertTrue(e.templateMessage().contains("upper() takes 0 positional arguments, got 1"), e.getMessage());
        e = assertThrows(ChatTemplateException.class, () -> render("{{ 'abc'.format(1) }}"));
        assertTrue(e.templateMessage().contains("'str' object has no method 'format'"), e.getMessage());
        e = assertThrows(ChatTemplateException.class, () -> render("\n\n{{ (1 + }}"));
        assertEquals(3, e.line());
        assertTrue(e.templateMessage().contains("syntax error"), e.getMessage());
    }
}
