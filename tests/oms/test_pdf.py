"""oms.pdf: text in drawing order, paragraphs wrapped in reading order, tables that run from the right in Arabic."""

import arabic_reshaper
from django.utils import translation
from reportlab.lib.units import mm

from oms.pdf import para, styles, table, text, visual


def test_text_is_escaped_and_latin_text_is_left_as_typed_in_any_language():
    assert text('<b>A & B</b>') == "&lt;b&gt;A &amp; B&lt;/b&gt;"
    with translation.override("ar"):
        assert visual("Camiseta (M) 42") == "Camiseta (M) 42"


def test_arabic_is_joined_and_reversed_for_drawing_and_its_first_letter_sets_the_direction():
    joined = arabic_reshaper.reshape("محمد العلي")
    assert visual("محمد العلي") == joined[::-1]
    assert visual("محمد العلي (VIP)") == "(VIP) " + joined[::-1]  # runs from the right, brackets mirrored
    assert visual("Order for محمد") == "Order for " + arabic_reshaper.reshape("محمد")[::-1]


def test_a_long_arabic_paragraph_is_wrapped_in_reading_order_before_each_line_is_reversed():
    words = "عنوان التسليم في شارع طويل جدا بجوار المحطة المركزية للمدينة"
    with translation.override("ar"):
        paragraph = para(words, styles()["normal"], 40 * mm)
    lines = paragraph.text.split("<br/>")
    assert len(lines) > 1
    assert lines[0] == visual(" ".join(words.split()[:len(lines[0].split())]))  # the first words come first


def test_a_table_runs_from_the_right_in_arabic_with_numbers_aligned_to_the_lines_end():
    rows = [["SKU", "Item", "Qty"], ["A-1", "Shirt", "2"]]
    with translation.override("en"):
        english = table(rows, [30 * mm, 60 * mm, 10 * mm], numeric=[2])
    with translation.override("ar"):
        arabic = table(rows, [30 * mm, 60 * mm, 10 * mm], numeric=[2])
    assert english._cellvalues[1] == ["A-1", "Shirt", "2"]
    assert arabic._cellvalues[1] == ["2", "Shirt", "A-1"]
    assert arabic._colWidths == [10 * mm, 60 * mm, 30 * mm]
    assert [cell.alignment for cell in english._cellStyles[1]] == ["LEFT", "LEFT", "RIGHT"]
    assert [cell.alignment for cell in arabic._cellStyles[1]] == ["LEFT", "RIGHT", "RIGHT"]
