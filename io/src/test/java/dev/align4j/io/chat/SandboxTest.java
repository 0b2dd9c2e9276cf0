package dev.align4j.io.chat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Untrusted templates: no Java calls, no files, bounded output, steps and collections. */
class SandboxTest {
    static final ChatTemplate.Limits SMALL = new ChatTemplate.Limits(10_000, 5_000, 1_000);
    static final List<Map<String, Object>> MESSAGES = List.of(Map.of("role", "user", "content", "Hi"));

    static String render(String template, ChatTemplate.Limits limits) {
        return ChatTemplate.of(template, Path.of("evil.jinja"), Map.of(), limits).render(MESSAGES, false);
    }

    static ChatTemplateException failure(String template) {
        return assertThrows(ChatTemplateException.class, () -> render(template, SMALL));
    }

    @Test
    void javaMethodsAndPropertiesAreUnreachable() {
        assertTrue(failure("{{ ''.getClass() }}").templateMessage().contains("'str' object has no method 'getClass'"));
        assertTrue(failure("{{ messages.append(1) }}").templateMessage()
                .contains("'list' object has no callable attribute 'append'"));
        assertTrue(failure("{{ messages[0].put('role', 'x') }}").templateMessage()
                .contains("'dict' object has no method 'put'"));
        assertTrue(failure("{{ messages[0].clear() }}").templateMessage().contains("has no method 'clear'"));
        // Java bean getters (List.getFirst, String.getBytes, Object.getClass) are not attributes.
        assertEquals("[][][]", render("[{{ messages.first }}][{{ 'abc'.bytes }}][{{ (1).class }}]", SMALL));
    }

    @Test
    void templatesCannotLoadFiles() {
        for (String tag : List.of("{% include '/etc/passwd' %}", "{% import 'x.jinja' as x %}",
                "{% from 'x.jinja' import y %}", "{% extends 'base.jinja' %}")) {
            assertTrue(failure(tag).templateMessage().endsWith("is disabled in this context"), tag);
        }
    }

    @Test
    void renderedTextIsNeverRenderedAgain() {
        Map<String, Object> message = Map.of("role", "user", "content", "{{ 7 * 7 }}{% raw %}");
        String out = ChatTemplate.of("{{ messages[0].content }}|{{ '{{ 1 + 1 }}' }}", Path.of("t"), Map.of(), SMALL)
                .render(List.of(message), false);
        assertEquals("{{ 7 * 7 }}{% raw %}|{{ 1 + 1 }}", out);
    }

    @Test
    @Timeout(10)
    void nestedLoopsThatWouldRunForeverAreStopped() {
        ChatTemplateException e = failure("{% for i in range(1000) %}{% for j in range(1000) %}"
                + "{% for k in range(1000) %}{% endfor %}{% endfor %}{% endfor %}");
        assertTrue(e.templateMessage().contains("more than 5000 steps"), e.getMessage());
        assertTrue(e.getMessage().startsWith("evil.jinja, line 1: the chat template was stopped:"), e.getMessage());
    }

    @Test
    @Timeout(10)
    void enormousOutputIsStopped() {
        assertTrue(failure("{% for i in range(1000) %}{{ 'xxxxxxxxxxxxxxxxxxxx' }}{% endfor %}").templateMessage()
                .contains("output longer than 10000 characters"));
        assertTrue(failure("{% set s = 'xx' %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}{{ s|length }}")
                .templateMessage().contains("output longer than 10000 characters"));
        assertTrue(failure("{% set l = [1] %}{% for i in range(40) %}{% set l = l + l %}{% endfor %}{{ l|length }}")
                .templateMessage().contains("a list or dict larger than 1000"));
    }

    @Test
    void rangesFollowPythonAndTooLargeOnesFail() {
        assertEquals("[10, 7, 4, 1][0, 1, 2][1, 2][]1000", render(
                "{{ range(10, 0, -3)|list }}{{ range(3)|list }}{{ range(1, 3)|list }}{{ range(5, 1)|list }}"
                        + "{{ range(1000)|length }}", SMALL));
        assertTrue(failure("{{ range(1001)|length }}").templateMessage().contains("range() of 1001 items, more than 1000"));
    }

    @Test
    void runawayRecursionIsStopped() {
        assertEquals("Max recursion limit of 100 reached for macro 'f'",
                failure("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}").templateMessage());
    }

    @Test
    void recursiveMacrosWithinTheDepthLimitWork() {
        assertEquals("3 2 1 ", render("{% macro down(n) %}{% if n > 0 %}{{ n }} {{ down(n - 1) }}{% endif %}"
                + "{% endmacro %}{{ down(3) }}", SMALL));
    }

    @Test
    void onlyPlainDataReachesTheTemplate() {
        ChatTemplate t = ChatTemplate.of("{{ messages }}", Path.of("t"), Map.of(), SMALL);
        var e = assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(Map.of("role", "user", "content", Instant.EPOCH)), false));
        assertTrue(e.getMessage().startsWith("messages[0].content: a java.time.Instant cannot be passed"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(Map.of("role", "user")), null, false, Map.of("extra", Map.of(1, "x"))));
        assertTrue(e.getMessage().startsWith("extra: chat template dict keys must be strings"), e.getMessage());
    }

    @Test
    void limitsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new ChatTemplate.Limits(0, 1, 1));
    }
}
