"""The one reader of JSON typed or uploaded by people: each refusal, with the exact message it shows."""

import time

import pytest
from django import forms
from django.forms.fields import InvalidJSONInput, JSONString
from django.utils import translation
from django.utils.html import escape

from oms.errors import Refusal
from oms.forms import JsonTextField
from oms.jsontext import MAX_DEPTH, JsonTextError, load_json, nests_deeper_than
from oms.numbers import NumberError
from oms.query import BadQuery
from reports.periods import PeriodError

TOO_DEEP = "The JSON is nested more than 32 levels deep."


def refusal(text: str, **options) -> str:
    with pytest.raises(JsonTextError) as refused:
        load_json(text, **options)
    return refused.value.message


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_that_can_be_stored_is_read_as_it_is():
    assert load_json('{"a": [1, 2.5, "x", null, true], "b": {"c": "São Paulo"}}') == {
        "a": [1, 2.5, "x", None, True], "b": {"c": "São Paulo"}}
    assert load_json('"text"') == "text"
    assert load_json("9" * 40) == int("9" * 40)


def test_arrays_and_objects_may_nest_max_depth_levels():
    assert MAX_DEPTH == 32
    assert str(load_json(nested(32))) == nested(32)
    assert refusal(nested(33)) == TOO_DEEP
    assert refusal('{"a": ' * 33 + "1" + "}" * 33) == TOO_DEEP
    assert str(load_json(nested(10), max_depth=10)) == nested(10)
    assert refusal(nested(11), max_depth=10) == "The JSON is nested more than 10 levels deep."


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert load_json('["' + "[{" * 100 + '"]') == ["[{" * 100]
    assert load_json('["a \\" [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \\\\", 1]') == [
        'a " ' + "[" * 36 + " \\", 1]


def test_a_hundred_thousand_open_brackets_are_refused_at_once_without_recursion_error():
    started = time.perf_counter()
    for text in ("[" * 100_000, nested(100_000), "{" * 100_000, '{"a": [' * 50_000):
        assert refusal(text) == TOO_DEEP
    assert time.perf_counter() - started < 1
    assert nests_deeper_than("[" * 100_000, 99_999)
    assert not nests_deeper_than("[" * 100_000, 100_000)


def test_an_unterminated_string_ends_the_count_and_is_named_as_a_syntax_error():
    text = '["' + '\\"' * 50_000 + "[" * 50
    assert not nests_deeper_than(text, MAX_DEPTH)
    assert refusal(text) == ("This is not valid JSON: look at line 1, column 2 (a missing comma, quote or "
                             "bracket?).")


def test_nesting_beyond_what_pythons_parser_can_follow_is_refused_with_the_same_message():
    assert refusal(nested(100_000), max_depth=100_000) == "The JSON is nested more than 100000 levels deep."


@pytest.mark.parametrize(("text", "message"), [
    ('{"total": NaN}', "NaN is not a number that can be stored: write the amount itself."),
    ('{"total": Infinity}', "Infinity is not a number that can be stored: write the amount itself."),
    ('{"total": -Infinity}', "-Infinity is not a number that can be stored: write the amount itself."),
    ('{"total": 1e999}', "The number 1e999 is too large."),
    ('{"total": 1.' + "5" * 40 + "}", "The number 1.555555555555555555 is too large."),
    ('{"id": ' + "9" * 5000 + "}", "The number 99999999999999999999… is too long."),
])
def test_numbers_no_column_can_store_are_refused(text, message):
    assert refusal(text) == message


@pytest.mark.parametrize(("text", "message"), [
    ('{"a": "x\x00y"}', "The JSON holds a NUL character: remove it."),
    ('[{"number": "A\\u0000B"}]', "The JSON holds a NUL character (\\u0000) in [0].number: remove it."),
    ('{"customer": {"\\u0000": 1}}', "The JSON holds a NUL character (\\u0000) in customer: remove it."),
    ('"\\u0000"', "The JSON holds a NUL character (\\u0000) in the top level: remove it."),
    ('{"external_id": "\\udc00"}',
     "The JSON holds an invalid character (a lone \\ud800-style escape) in external_id."),
    ('[{"billing": {"\\ud800": 1}}]',
     "The JSON holds an invalid character (a lone \\ud800-style escape) in [0].billing."),
])
def test_characters_postgresql_cannot_store_are_refused_naming_where(text, message):
    assert refusal(text) == message


@pytest.mark.parametrize(("text", "message"), [
    ("{'total': 1}", "This is not valid JSON: look at line 1, column 2 (a missing comma, quote or bracket?)."),
    ('{"orders": [1,]}', "This is not valid JSON: look at line 1, column 15 (a missing comma, quote or bracket?)."),
    ('{\n  "a": 1\n  "b": 2\n}', "This is not valid JSON: look at line 3, column 3 (a missing comma, quote or "
                                "bracket?)."),
    ("", "This is not valid JSON: look at line 1, column 1 (a missing comma, quote or bracket?)."),
])
def test_a_syntax_error_is_named_by_line_and_column(text, message):
    assert refusal(text) == message


def test_refusals_of_typed_values_share_a_base_with_their_message():
    for error_class in (JsonTextError, NumberError, PeriodError, BadQuery):
        error = error_class("Refused.")
        assert isinstance(error, Refusal) and isinstance(error, ValueError)
        assert (error.message, str(error)) == ("Refused.", "Refused.")


# --- the form field ----------------------------------------------------------------------------------


class TiersForm(forms.Form):
    tiers = JsonTextField(max_depth=3, required=False)


def test_the_field_reads_json_with_its_own_depth():
    form = TiersForm({"tiers": '[{"threshold": [1]}]'})
    assert form.is_valid()
    assert form.cleaned_data["tiers"] == [{"threshold": [1]}]
    text = TiersForm({"tiers": '"abc"'})
    assert text.is_valid() and isinstance(text.cleaned_data["tiers"], JSONString)
    empty = TiersForm({"tiers": ""})
    assert empty.is_valid() and empty.cleaned_data["tiers"] is None


@pytest.mark.parametrize(("typed", "message"), [
    ("[[[[]]]]", "The JSON is nested more than 3 levels deep."),
    ("[" * 100_000, "The JSON is nested more than 3 levels deep."),
    ('[{"percent": NaN}]', "NaN is not a number that can be stored: write the amount itself."),
    ('[{"percent": "\\u0000"}]', "The JSON holds a NUL character (\\u0000) in [0].percent: remove it."),
    ("[1,]", "This is not valid JSON: look at line 1, column 4 (a missing comma, quote or bracket?)."),
])
def test_the_field_refuses_with_the_message_and_shows_the_typed_text_back(typed, message):
    form = TiersForm({"tiers": typed})
    assert not form.is_valid()
    assert form.errors["tiers"] == [message]
    assert isinstance(form["tiers"].data, str)
    assert form["tiers"].value() == InvalidJSONInput(typed)
    assert escape(typed) in form["tiers"].as_widget()


def test_refusals_are_in_the_readers_language():
    with translation.override("pt-br"):
        assert refusal(nested(33)) == "O JSON tem mais de 32 níveis de aninhamento."
        assert refusal('{"total": NaN}') == "NaN não é um número que possa ser gravado: escreva o próprio valor."
    with translation.override("ar"):
        assert refusal("[1,]") == ("هذا ليس JSON صالحًا: انظر السطر 1، العمود 4 (هل تنقص فاصلة أو علامة تنصيص أو "
                                   "قوس؟).")
