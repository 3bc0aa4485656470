"""Whether a part or accessory fits a model or a size (bot/fit.py): a yes or no only where the
record's own fit statement decides it, on a small shop of its own (not the eval sets')."""

import pytest

from bot.fit import fit_statements, models, own_models, target_models, target_words, verdict
from bot.question import figures_given as figures
from tests.test_answer_subject import ask, small_shop
from tests.test_options_and_focus import converse


def test_a_model_is_its_code_and_edition():
    found = [(m.code, set(m.edition)) for m in models("iPhone 13 / 13 Pro（6.1英寸） 2片装 12V x8pro Mate60标准版")]
    assert found == [("13", set()), ("13", {"pro"}), ("x8", {"pro"}), ("mate60", set())]
    # A brand word before the digits may be left out; a model letter may not.
    assert models("iphone13")[0].same_code(models("13")[0])
    assert not models("M2")[0].same_code(models("2")[0])


def test_what_the_record_says_it_fits_and_does_not():
    [statement] = fit_statements({"适用机型": "仅iPhone 13（不适用13 mini/13 Pro）", "颜色": "黑"})
    assert statement.only and [m.said for m in statement.fits] == ["13"]
    assert [m.said for m in statement.excluded] == ["13 mini", "13 Pro"]
    # A note's clauses count too, and a range of sizes is read in its unit.
    [note] = fit_statements({"备注": "仅适配G16 不适配G13"})
    assert [m.code for m in note.excluded] == ["g13"]
    [sizes] = fit_statements({"适用鞋码": "35-45码"})
    assert sizes.ranges == [("码", 35.0, 45.0)] and not sizes.fits


def test_the_verdict_reads_exclusions_lists_series_and_ranges():
    own = own_models(["P1 Pro 热床组件"], "P1P-HB")
    only_pro = fit_statements({"适用机型": "仅P1 Pro"})
    # An edition alone is of the product's own series: "lite" of the P1 Pro's part is the P1 Lite.
    [lite] = target_models("热床组件lite能用不", own)
    assert lite.code == "p1" and verdict([lite], [], only_pro).fits is False
    listed = fit_statements({"适用机型": "E5/E5 Pro全系"})
    assert verdict(target_models("镁棒 e5pro能用吗", []), [], listed).fits is True
    # A list that says it goes on ("12及以上") decides nothing about a model it does not name.
    assert verdict(target_models("13能用吗", []), [], fit_statements({"适用机型": "iPhone 12及以上"})) is None
    ranged = fit_statements({"适用鞋码": "35-45码"})
    assert verdict([], figures("我穿46码能用吗"), ranged).fits is False
    assert verdict([], figures("我穿40码能用吗"), ranged).fits is True
    assert verdict([], figures("8岁能用吗"), ranged) is None  # not a size the record measures


def test_a_kind_of_thing_is_read_against_what_the_statement_says_of_it():
    statements = fit_statements({"适用": "传统弓/入门反曲弓，不适用复合弓"})
    words = target_words("弓弦复合弓能用吗", ["反曲弓专用弓弦", "弓弦"])
    assert words == ["复合弓"] and verdict([], [], statements, words).fits is False
    assert verdict([], [], statements, ["传统弓"]).fits is True
    assert verdict([], [], statements, ["双人弓"]) is None  # a word it never speaks of decides nothing


def test_a_model_a_title_says_it_fits_is_not_the_products_own():
    own = own_models(["兼容惠普CF230A硒鼓 适用M203d M227fdw"], "TONER-230")
    assert [m.code for m in own] == ["cf230a", "230"] and target_models("does this fit the M227fdw?", own)[0].code == "m227fdw"


CATALOG = [
    {"sku": "HB", "title": "P1 Pro 热床组件", "aliases": ["热床组件"], "price": 299, "stock": 8, "specs": {"适用机型": "仅P1 Pro"}},
    {"sku": "P1L", "title": "P1 Lite 3D打印机", "price": 1999, "stock": 5},
    {"sku": "FRAME", "title": "B10平衡车 卡丁车改装架", "aliases": ["改装架"], "price": 459, "stock": 8,
     "attributes": {"适用车型": "B10(不适用B6)"}},
    {"sku": "B6", "title": "驰风B6 自平衡车", "price": 1299, "stock": 3},
    {"sku": "REMOTE", "title": "燃气热水器无线遥控器", "aliases": ["遥控器"], "price": 69, "stock": 45, "specs": {"备注": "仅适配G16 不适配G13"}},
    {"sku": "G13", "title": "暖泉 G13 燃气热水器", "price": 2399, "stock": 6},
    {"sku": "FOOT", "title": "舒活F6 足疗机", "aliases": ["足疗机"], "price": 899, "stock": 9, "specs": {"适用鞋码": "35-45码"}},
    {"sku": "COVER", "title": "缝纫机防尘罩 牛津布", "aliases": ["防尘罩"], "price": 45, "stock": 60,
     "specs": {"适用机型": "M21/M21 Pro/C100", "备注": "C200请选大号（暂未上架）"}},
]


@pytest.fixture(scope="module")
def shop(assistant):
    with small_shop(assistant, "fit-verdicts", CATALOG) as merchant:
        yield merchant


def test_a_part_asked_of_another_model_gets_the_records_no(assistant, shop):
    turn = ask(assistant, shop, "热床组件lite能用不")
    assert turn.handoff is None and turn.reply.startswith("不适用") and "仅P1 Pro" in turn.reply, turn.reply
    # The product named is the model asked about: the record that answers is the remote's.
    turn = ask(assistant, shop, "那个无线遥控器g13能用吗")
    assert turn.handoff is None and "不适用" in turn.reply and "遥控器" in turn.reply, turn.reply


def test_a_follow_up_naming_another_product_asks_of_the_one_in_focus(assistant, shop):
    turn = converse(assistant, shop, "改装架多少钱", "b6能装吗")
    assert turn.handoff is None and "不适用" in turn.reply and "改装架" in turn.reply, turn.reply


def test_a_size_is_checked_against_the_range_and_what_else_the_record_says_is_added(assistant, shop):
    assert "46码不在范围内" in ask(assistant, shop, "足疗机我穿46码能用吗").reply
    assert "40码在范围内" in ask(assistant, shop, "足疗机40码能用吗").reply
    reply = ask(assistant, shop, "防尘罩c200能套吗").reply
    assert "不适用" in reply and "暂未上架" in reply, reply


def test_an_english_question_gets_an_english_verdict(assistant, shop):
    reply = ask(assistant, shop, "does the P1 Pro heated bed fit the P1 Lite?").reply
    assert reply.startswith("No, it is not compatible with the P1 Lite"), reply
