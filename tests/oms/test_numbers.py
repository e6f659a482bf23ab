from decimal import Decimal

import pytest

from oms.numbers import INT_MAX, NumberError, parse_amount, parse_id, parse_whole


@pytest.mark.parametrize("text, expected", [("12", 12), (" 7 ", 7), ("²", None), ("1²", None), ("-3", None),
                                            ("0", None), ("abc", None), ("", None), (None, None),
                                            ("99999999999999999999", None), ("9223372036854775807", 2**63 - 1)])
def test_parse_id(text, expected):
    assert parse_id(text) == expected


def test_parse_whole_within_the_column():
    assert parse_whole("5") == 5
    assert parse_whole("-5", minimum=-10) == -5
    assert parse_whole(str(INT_MAX)) == INT_MAX
    for bad in ("2147483648", "²", "1.5", "NaN", "", "1e3"):
        with pytest.raises(NumberError):
            parse_whole(bad)
    with pytest.raises(NumberError, match="at least 1"):
        parse_whole("0", minimum=1, name="Quantity")


def test_parse_amount_reads_both_separators_and_refuses_what_no_column_holds():
    assert parse_amount("1.234,56") == Decimal("1234.56")
    assert parse_amount("1234.56") == Decimal("1234.56")
    assert parse_amount("12,5") == Decimal("12.5")
    assert parse_amount("-2", minimum=None) == Decimal("-2")
    assert parse_amount("1,234.56") == parse_amount("1.234,56") == Decimal("1234.56")  # US and Brazilian grouping
    assert parse_amount("1,234,567.8") == parse_amount("1.234.567,8") == Decimal("1234567.8")
    for bad in ("NaN", "sNaN", "Infinity", "-inf", "1e20", "1e30", "abc", "", "٣", "1,23.4", "12.34,5,6", "1,2,3"):
        with pytest.raises(NumberError):
            parse_amount(bad)
    with pytest.raises(NumberError, match="too large"):
        parse_amount("100000000000000")  # money: 18 digits, 4 of them decimals, so 14 before the point
    for huge in ("9" * 30, "1" + "0" * 40 + ",5", "99999999999999.99995"):  # past the 28 digits Decimal rounds
        with pytest.raises(NumberError, match="too large"):
            parse_amount(huge)
    with pytest.raises(NumberError, match="at least"):
        parse_amount("-1")


def test_thousands_grouped_as_the_reader_groups_them_are_whole_numbers():
    from django.utils import translation

    with translation.override("en"):
        assert parse_amount("1,234") == Decimal("1234") and parse_amount("1.234") == Decimal("1.234")
    with translation.override("pt-br"):
        assert parse_amount("1.234") == Decimal("1234") and parse_amount("1,234") == Decimal("1.234")
        assert parse_amount("0.125") == Decimal("0.125") and parse_amount("11.90") == Decimal("11.90")


@pytest.mark.parametrize("text", ["1e3", "1E3", "1e-2", "12,5e1", "Infinity", "-inf", "NaN", "sNaN", "1_000", "١٢"])
def test_numbers_python_reads_but_nobody_writes_are_refused_naming_field_and_value(text):
    """Python's Decimal reads "1e3" as 1000: a unit price typed as 1e3 became a price of a thousand."""
    from oms.numbers import plain_number

    with pytest.raises(NumberError) as refused:
        parse_amount(text, minimum=None, name="The unit price")
    assert refused.value.message.startswith(f"The unit price “{text}” is not a")
    with pytest.raises(NumberError, match="The cost"):
        plain_number(text, name="The cost")
    if text.lstrip("-").lower() not in ("infinity", "inf", "nan", "snan") and text.isascii():
        assert "not a plain number: write it with digits (1000, not 1e3)." in refused.value.message


def test_plain_numbers_in_either_writing_still_read():
    from django.utils import translation

    for language in ("en", "pt-br", "ar"):
        with translation.override(language):
            assert parse_amount("1.000,00") == parse_amount("1,000.00") == parse_amount("1000") == Decimal(1000)
            assert parse_amount("12,5") == Decimal("12.5")
            assert parse_amount("-3", minimum=None) == Decimal(-3)
            assert parse_amount(" 1 000,00 ") == Decimal(1000)
    with pytest.raises(NumberError, match="“abc” is not a number."):
        parse_amount("abc", name="The price")
