package io.ctxbench.engine.chat;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Model;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where Jinjava on its own reads a chat template differently from Jinja2, one case each. Every expected string is
 * what transformers 5.24.0 (Jinja2 3.1.6) renders for the same template and messages (user "a", assistant "b",
 * user "c"; date_string "15 Sep 2024"), so each test fails on stock Jinjava and passes with ctxbench's additions.
 */
class Jinja2SemanticsTest {
    private static final List<Model.ChatMessage> ABC = List.of(new Model.ChatMessage("user", "a"),
            new Model.ChatMessage("assistant", "b"), new Model.ChatMessage("user", "c"));
    private static final LocalDate DAY = LocalDate.of(2024, 9, 15);

    private static String render(String template) {
        return new ChatTemplate(template, "<s>", "</s>").render(ABC, true, DAY);
    }

    @Test
    void notBindsLooserThanTestsComparisonsAndIn() {
        assertEquals("BCD", render("{% if not add_generation_prompt is defined %}A{% else %}B{% endif %}"
                + "{% if not 1 == 2 %}C{% endif %}{% if not 'x' in 'abc' %}D{% endif %}"));
    }

    @Test
    void plusBeforeADigitIsAnAddition() {
        assertEquals("2|123", render("{{ 1+1 }}|{% for m in messages %}{{ loop.index0+1 }}{% endfor %}"));
    }

    @Test
    void keywordArgumentTakesTheWholeExpression() {
        assertEquals("2", render("{% set ns = namespace(last=messages|length - 1) %}{{ ns.last }}"));
    }

    @Test
    void slicesTakeStepsAndExpressions() {
        assertEquals("cba|2|bd|cba|bc", render("{% for m in messages[::-1] %}{{ m.content }}{% endfor %}"
                + "|{{ messages[:1+1]|length }}|{{ 'abcdef'[1:5:2] }}|{{ 'abc'[::-1] }}"
                + "|{{ messages[-2:]|map(attribute='content')|join }}"));
    }

    @Test
    void stringsIndexLikePython() {
        assertEquals("acc", render("{{ 'abc'[0] }}{{ 'abc'[-1] }}{{ messages[-1]['content'][0] }}"));
    }

    @Test
    void forLoopFilterKeepsMatchingItemsAndCountsThem() {
        assertEquals("1:a,2:c", render("{% for m in messages if m.role == 'user' %}{{ loop.index }}:{{ m.content }}"
                + "{% if not loop.last %},{% endif %}{% endfor %}"));
    }

    @Test
    void loopHasPrevitemAndNextitem() {
        assertEquals("->b;a>c;b>-;", render("{% for m in messages %}{{ loop.previtem.content if loop.previtem else '-' }}>"
                + "{{ loop.nextitem.content if loop.nextitem else '-' }};{% endfor %}"));
    }

    @Test
    void forElseRendersOnlyWhenNothingWasIterated() {
        assertEquals("empty|a|none", render("{% for x in [] %}a{% else %}empty{% endfor %}|{% for x in [1] %}a{% else %}empty"
                + "{% endfor %}|{% for m in messages if m.role == 'tool' %}t{% else %}none{% endfor %}"));
    }

    @Test
    void loopChanged() {
        assertEquals("CCC|C-C", render("{% for x in messages %}{{ 'C' if loop.changed(x.role) else '-' }}{% endfor %}"
                + "|{% for x in ['a','a','b'] %}{{ 'C' if loop.changed(x) else '-' }}{% endfor %}"));
    }

    @Test
    void pythonStringMethods() {
        assertEquals("x|a|3|4|S|Hello World|abcABC|1-n|a-bXc|b|a  .|  a.", render("{{ '  x '.strip() }}"
                + "|{{ 'xxaxx'.strip('x') }}|{{ 'a  b c'.split()|length }}|{{ 'a,b,,c'.split(',')|length }}"
                + "|{% if 'Hello'.startswith(('x', 'He')) %}S{% endif %}|{{ 'hello wORLD'.title() }}"
                + "|{{ 'AbC'.lower() }}{{ 'AbC'.upper() }}|{{ '{}-{name}'.format(1, name='n') }}"
                + "|{{ 'aXbXc'.replace('X', '-', 1) }}|{{ 'a<think>b'.split('<think>')[-1] }}"
                + "|{{ '  a  '.lstrip() }}.|{{ '  a  '.rstrip() }}."));
    }

    @Test
    void tojsonIsPythonsJsonDumps() {
        assertEquals("{\"a\": [1, \"é\", null, true, \"q\\\"\\n\"]}|{\n  \"a\": 1,\n  \"b\": []\n}",
                render("{{ {'a': [1, 'é', none, true, 'q\"\\n']} | tojson }}|{{ {'a': 1, 'b': []} | tojson(indent=2) }}"));
    }

    @Test
    void tojsonTakesSortKeysAndSeparators() {
        assertEquals("{\"a\": 2, \"b\": 1}|[1,2]",
                render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}|{{ [1,2] | tojson(separators=(',', ':')) }}"));
    }

    @Test
    void loopControlsBreakAndContinue() {
        assertEquals("a|ac", render("{% for m in messages %}{% if loop.index == 2 %}{% break %}{% endif %}{{ m.content }}"
                + "{% endfor %}|{% for m in messages %}{% if loop.index == 2 %}{% continue %}{% endif %}{{ m.content }}"
                + "{% endfor %}"));
    }

    @Test
    void stringLiteralsTakePythonEscapes() {
        assertEquals("Aé\t|\\d|it's", render("{{ '\\x41\\u00e9\\t' }}|{{ '\\d' }}|{{ \"it's\" }}"));
    }

    @Test
    void strftimeNowAndDateStringWriteTheGivenDay() {
        assertEquals("15 Sep 2024|15 Sep 2024|D",
                render("{{ strftime_now('%d %b %Y') }}|{{ date_string }}|{% if strftime_now is defined %}D{% endif %}"));
    }

    @Test
    void generationBlockRendersItsBody() {
        assertEquals("[a][b][c]",
                render("{% for m in messages %}{% generation %}[{{ m.content }}]{% endgeneration %}{% endfor %}"));
    }

    @Test
    void filtersAndTestsChain() {
        assertEquals("S3", render("{% if messages[0].content|trim is string %}S{% endif %}"
                + "{% if messages|length is divisibleby 3 %}3{% endif %}"));
    }

    @Test
    void messageTextIsNeverRenderedAsATemplate() {
        List<Model.ChatMessage> m = List.of(new Model.ChatMessage("user", "{{ 7*7 }} {% if x %}"));
        assertEquals("{{ 7*7 }} {% if x %}", new ChatTemplate("{{ messages[0].content }}", "", "").render(m, true, DAY));
    }

    @Test
    void oneTrailingNewlineOfTheTemplateIsDropped() {
        assertEquals("x", render("x\n"));
        assertEquals("x\n", render("x\n\n"));
        assertEquals("a\nb", render("a\r\nb"));
    }

    @Test
    void raiseExceptionRefusesWithTheTemplatesMessage() {
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> render("{% if messages[1].role == 'assistant' %}{{ raise_exception('Roles must alternate') }}{% endif %}"));
        assertTrue(e.getMessage().contains("Roles must alternate"), e.getMessage());
    }

    @Test
    void unknownFunctionOrMethodOrBadSyntaxIsAnErrorNotAnEmptyString() {
        assertThrows(CtxbenchException.class, () -> render("{% if %}x{% endif %}"));
        assertThrows(CtxbenchException.class, () -> render("{{ no_such_function(1) }}"));
        assertThrows(CtxbenchException.class, () -> render("{{ messages[0].content.no_such_method() }}"));
    }
}
