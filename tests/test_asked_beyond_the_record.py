"""What a question asks beyond what the record writes (session 27), on a small shop of its
own (not the eval sets'): a size or length the product is not sold in, a count asked by its
measure word, a span asked of a record whose name alone holds one."""

import pytest

from bot.safety import is_safety_report
from bot.turn import TurnRequest
from tests.test_answer_subject import ask, small_shop

CATALOG = [
    {"sku": "U5", "title": "雀神 超薄麻将机 U5", "aliases": ["U5"], "price": 2680, "stock": 18,
     "props": "型号:U5;牌号:42号;颜色:象牙白", "skus": [{"sku": "U5-42", "spec": "42号牌 象牙白", "price": 2680, "stock": 18}]},
    {"sku": "ESIM-TH", "title": "泰国eSIM 8天15GB", "aliases": ["泰国esim"], "price": 39, "stock": 500,
     "specs": {"套餐": "8天 15GB高速", "热点": "支持"}},
    {"sku": "TOPUP", "title": "中国移动话费充值 快充", "aliases": ["移动话费"], "price": 49.8, "stock": 9999, "skus": [
        {"sku": "T50", "spec": "50元", "price": 49.8, "stock": 9999}, {"sku": "T100", "spec": "100元", "price": 99.5, "stock": 9999},
        {"sku": "T200", "spec": "200元", "price": 198.8, "stock": 9999}]},
    {"sku": "LETTER", "title": "字母数字纹身贴 英文花体 手写体", "title_en": "Letter & number tattoo stickers (script fonts)", "aliases": ["字母纹身贴"],
     "price": 12.8, "stock": 240, "specs": {"张数": "10张", "字体": "花体/手写体", "持久时间": "3-5天"}},
    {"sku": "CUSTOM", "title": "定制果汁纹身贴 来图定制 半永久", "aliases": ["定制纹身贴"], "price": 99, "stock": 999,
     "attributes": {"起订量": "10张", "定制流程": "拍下后联系客服发图,设计稿确认后制作"}},
]


@pytest.fixture(scope="module")
def shop(assistant):
    with small_shop(assistant, "beyond-record", CATALOG) as merchant:
        yield merchant


def test_a_size_the_product_is_not_sold_in_is_not_answered_by_its_stock(assistant, shop):
    turn = ask(assistant, shop, "U5有44号牌的吗")
    assert "库存" not in turn.reply and turn.handoff is not None, turn.reply
    assert "18" in ask(assistant, shop, "U5有42号牌的吗").reply


def test_a_length_asked_is_not_the_same_number_in_another_measure(assistant, shop):
    turn = ask(assistant, shop, "泰国esim有15天的吗")  # 15GB is no 15 days
    assert "15GB" not in turn.reply and turn.handoff is not None, turn.reply
    assert "8天" in ask(assistant, shop, "泰国esim有8天的吗").reply


def test_an_option_asked_by_its_number_alone_must_be_sold(assistant, shop):
    turn = ask(assistant, shop, "移动话费300的有吗")  # sold in 50, 100 and 200
    assert "有货" not in turn.reply and turn.handoff is not None, turn.reply
    assert "200元" in ask(assistant, shop, "移动话费200的有吗").reply


def test_a_count_asked_by_its_measure_word_reads_the_fact_counting_in_it(assistant, shop):
    turn = ask(assistant, shop, "how many sheets in the letter tattoo pack")
    assert "10" in turn.reply and "花体" not in turn.reply, turn.reply


def test_a_span_in_the_products_name_is_no_answer_to_how_long(assistant, shop):
    turn = ask(assistant, shop, "定制的多久能发")  # 半永久 is the tattoo's name, not a time to ship
    assert "定制流程" not in turn.reply, turn.reply


def test_back_in_stock_names_no_product_by_its_back():
    from bot.catalog import _english_naming_words

    assert "back" not in _english_naming_words("when will they be back in stock?")


def test_a_child_who_chewed_or_bit_something_is_a_safety_report():
    assert is_safety_report("my toddler chewed a leaf of the plant, is he going to be ok??")
    assert is_safety_report("宝宝咬了一口叶子 要紧吗")
    assert not is_safety_report("孩子会不会咬坏")  # asking whether it could happen is no report


def test_a_part_a_product_comes_with_does_not_name_it(assistant):
    catalog = [
        {"sku": "CART", "title": "Ortofon 2M Red 动磁唱头（含唱针）", "aliases": ["2M Red"], "price": 899, "stock": 5},
        {"sku": "STY", "title": "Ortofon 2M Red 替换唱针（仅针）", "aliases": ["2M Red针", "唱针"], "price": 599, "stock": 5},
    ]
    with small_shop(assistant, "comes-with", catalog) as merchant:
        turn = ask(assistant, merchant, "2m red唱针怎么卖")  # the stylus, not the cartridge sold 含唱针
        assert "599" in turn.reply and "899" not in turn.reply, turn.reply
        assert "899" in ask(assistant, merchant, "2m red多少钱").reply


def test_a_follow_up_naming_a_product_asks_for_the_kind_asked_before(assistant):
    catalog = [
        {"sku": "CAPO", "title": "松韵吉他变调夹 C1", "aliases": ["变调夹"], "price": 59, "stock": 10},
        {"sku": "CAPO-UK", "title": "松韵尤克里里变调夹 C1-UK", "aliases": ["小变调夹"], "price": 49, "stock": 10},
        {"sku": "UKE", "title": "松韵 U2 桃花心木单板尤克里里", "aliases": ["尤克里里"], "price": 269, "stock": 10},
    ]
    with small_shop(assistant, "kind-asked", catalog) as merchant:
        first = assistant.handle(TurnRequest(merchant_id=merchant, message="变调夹多少钱"))
        assert "59" in first.reply, first.reply
        then = assistant.handle(TurnRequest(merchant_id=merchant, message="那尤克里里的呢", conversation_id=first.conversation_id))
        assert "49" in then.reply and "269" not in then.reply, then.reply  # the ukulele's capo, not the ukulele


def test_an_english_follow_up_names_an_option_written_in_chinese(assistant):
    catalog = [{"sku": "OIL", "title": "西班牙特级初榨橄榄油", "title_en": "Spanish Extra Virgin Olive Oil", "aliases": ["橄榄油"],
                "price": 79, "stock": 30, "skus": [
                    {"sku": "OIL-500", "spec": "500ml", "price": 79, "stock": 30},
                    {"sku": "OIL-1L", "spec": "1L", "price": 139, "stock": 12},
                    {"sku": "OIL-GIFT", "spec": "750ml×2瓶礼盒", "price": 239, "stock": 0, "restock": "11月初补货"}]}]
    with small_shop(assistant, "option-gloss", catalog) as merchant:
        first = assistant.handle(TurnRequest(merchant_id=merchant, message="how much is the olive oil"))
        then = assistant.handle(TurnRequest(merchant_id=merchant, message="what about the gift box", conversation_id=first.conversation_id))
        assert "239" in then.reply and "out of stock" in then.reply and "¥79" not in then.reply, then.reply


def test_whether_it_costs_extra_is_answered_only_by_a_text_about_money():
    from bot.answerability import content_words
    from bot.question import money_fits
    from retrieval.tokenize import tokenize

    assert not money_fits("刻字要加钱吗 多少", "刻字需要额外2个工作日，最多15个字符")
    assert money_fits("能发sf吗 要加钱不", "顺丰需补差价15元/单")
    assert money_fits("安装收费吗", "师傅上门免费安装")
    assert money_fits("能刻字吗", "支持刻字，最多6个字")  # no money asked: nothing to check
    assert "要加" not in content_words(tokenize("能发顺丰吗 要加钱吗"))  # 要加 asks; 顺丰 is the topic
