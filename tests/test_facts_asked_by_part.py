"""Which fact of a record a question asks (session 28), on a small shop of its own (not the
eval sets'): a part's length asked by a character of its key, a time asked of the one fact
holding a span, a key named apart, an option named by its code or its English figure, a
thing named by one character of the product's name."""

import pytest

from bot.question import analyse
from bot.safety import is_safety_report
from bot.turn import TurnRequest
from tests.test_answer_subject import ask, small_shop

CATALOG = [
    {"sku": "ROLLER", "title": "青禾乳胶漆滚筒刷套装 9寸", "aliases": ["滚筒刷"], "price": 39.9, "stock": 300,
     "props": "材质:超细纤维;毛高:12mm（中毛）;尺寸:9寸;伸缩杆:1.2-2m"},
    {"sku": "CATBATH", "title": "萌爪 猫咪洗护套餐", "aliases": ["猫咪洗澡"], "price": 128, "stock": 100,
     "attributes": {"服务时长": "约90分钟", "适用年龄": "3个月以上", "包含项目": "洗澡、吹干、剪指甲"}},
    {"sku": "BEAKER", "title": "高硼硅玻璃烧杯5件套 加厚带刻度", "aliases": ["玻璃烧杯"], "price": 39.9, "stock": 320,
     "specs": {"刻度": "白色印刷刻度", "刻度误差": "±5%", "耐温": "-40℃~500℃"}},
    {"sku": "EXTRACTOR", "title": "不锈钢摇蜜机 四框 手摇/电动可选", "title_en": "Stainless Steel 4-Frame Honey Extractor (manual / electric)",
     "aliases": ["摇蜜机"], "price": 680, "stock": 33, "skus": [
         {"sku": "EX-4S", "spec": "四框手摇款", "price": 680, "stock": 25},
         {"sku": "EX-4D", "spec": "四框电动款", "price": 1280, "stock": 8},
         {"sku": "EX-6D", "spec": "六框电动款", "price": 1680, "stock": 0, "restock": "厂家停产,不再补货"}]},
    {"sku": "Y3", "title": "绿驰Y3 长续航电动自行车", "aliases": ["Y3"], "price": 3699, "stock": 12,
     "props": "最高车速:25km/h;续航:约90km;电池:48V24Ah三元锂电池"},
    {"sku": "T1S", "title": "绿驰T1S 电动自行车 铅酸版", "aliases": ["T1S"], "price": 2199, "stock": 18,
     "attributes": {"整车质量": "54.5kg（含电池）"}},
    {"sku": "T1", "title": "绿驰T1 电动自行车 锂电版", "title_en": "Lvchi T1 e-bike, lithium", "aliases": ["T1"], "price": 2599, "stock": 36,
     "specs": {"整车质量": "52kg（含电池）"}},
    {"sku": "BATTERY", "title": "绿驰T1/Y3 原厂锂电池 48V", "aliases": ["锂电池"], "price": 899, "stock": 40, "skus": [
        {"sku": "B-12", "spec": "48V12Ah（T1适用）", "price": 899, "stock": 25},
        {"sku": "B-24", "spec": "48V24Ah（Y3适用）", "price": 1499, "stock": 0, "restock": "预计12月下旬到货"}]},
    {"sku": "LANTERN", "title": "复古充电露营灯", "title_en": "Retro Rechargeable LED Camping Lantern", "aliases": ["露营灯"], "price": 129,
     "stock": 50, "specs": {"防水等级": "IPX4", "续航": "高亮4小时"}},
    {"sku": "MUSICAL", "title": "音乐剧《猫》中文版 门票", "title_en": "CATS Musical (Chinese version)", "aliases": ["猫音乐剧"], "price": 180,
     "stock": 220, "props": "剧院:上海大剧院;开演时间:19:30;演出时长:约150分钟(含中场休息20分钟)"},
    {"sku": "SHOW", "title": "笑果脱口秀 周末专场 门票", "aliases": ["笑果脱口秀"], "price": 180, "stock": 0,
     "attributes": {"演出时间": "每周六 20:00"}},
]


@pytest.fixture(scope="module")
def shop(assistant):
    # (an FAQ that speaks of 公里 too: a word of the shop's FAQ left over is another topic)
    with small_shop(assistant, "asked-by-part", CATALOG, faq_zh="问题,答案\n送货范围多大,同城20公里内免费送货上门\n") as merchant:
        yield merchant


def follow_up(assistant, merchant, first, then):
    before = assistant.handle(TurnRequest(merchant_id=merchant, message=first))
    return assistant.handle(TurnRequest(merchant_id=merchant, message=then, conversation_id=before.conversation_id))


def test_a_parts_length_is_asked_by_a_character_of_its_key(assistant, shop):
    assert "12mm" in ask(assistant, shop, "毛多长", product="ROLLER").reply  # 毛高, not the roller's 9寸
    assert "1.2-2m" in ask(assistant, shop, "这个杆子能伸多长", product="ROLLER").reply  # 伸缩杆


def test_how_long_is_the_one_fact_whose_value_is_a_span_of_time(assistant, shop):
    turn = follow_up(assistant, shop, "猫咪洗澡多少钱", "要洗多久")
    assert "90分钟" in turn.reply, turn.reply  # not 适用年龄：3个月以上, nor an FAQ row


def test_a_key_named_apart_is_the_longer_key(assistant, shop):
    turn = ask(assistant, shop, "这个刻度准不准 误差多少", product="BEAKER")
    assert "±5%" in turn.reply, turn.reply


def test_how_hot_it_takes_is_its_temperature_resistance(assistant, shop):
    assert "500℃" in ask(assistant, shop, "烧杯耐多少度啊", product="BEAKER").reply  # 耐温


def test_an_english_follow_up_names_an_option_by_its_figure(assistant, shop):
    turn = follow_up(assistant, shop, "how much is the honey extractor", "and the 6 frame electric one?")
    assert "1680" in turn.reply and "out of stock" in turn.reply and "1280" not in turn.reply, turn.reply


def test_a_code_the_product_in_focus_is_sold_for_names_its_option(assistant, shop):
    turn = follow_up(assistant, shop, "锂电池多少钱一块", "y3的呢")
    assert "1499" in turn.reply and "缺货" in turn.reply and "3699" not in turn.reply, turn.reply


def test_a_model_code_is_named_only_whole(assistant, shop):
    from bot.catalog import name_match

    t1 = next(p for p in assistant.catalog.products(shop) if p.sku == "T1")
    assert name_match("how heavy is the t1s", t1) == 0.0  # "T1" is no part of "T1S"
    turn = ask(assistant, shop, "how much is the T1S")
    assert "2199" in turn.reply and "2599" not in turn.reply, turn.reply


def test_a_figure_asked_in_a_unit_the_record_writes_otherwise(assistant, shop):
    assert "90km" in ask(assistant, shop, "Y3续航多少公里").reply  # 公里 is the form asked, not another topic


def test_whether_there_are_tickets_is_whether_it_can_be_had(assistant, shop):
    turn = ask(assistant, shop, "笑果脱口秀周六的还有票吗")  # 票 is the 门票 itself
    assert "缺货" in turn.reply and "20:00" not in turn.reply, turn.reply


def test_an_english_follow_up_names_a_key_of_the_product_in_focus_by_meaning(assistant, shop):
    turn = follow_up(assistant, shop, "how much is the camping lantern", "is it waterproof?")
    assert "IPX4" in turn.reply, turn.reply  # 防水等级, the dictionary agreeing


def test_how_long_a_show_is_is_its_running_time(assistant, shop):
    assert "150" in ask(assistant, shop, "how long is the CATS musical").reply  # no length: its 演出时长


def test_what_time_it_starts_is_the_clock_time_not_the_venue_named(assistant, shop):
    turn = ask(assistant, shop, "what time does the CATS musical start at the theatre?")
    assert "19:30" in turn.reply, turn.reply  # 开演时间, though the venue (剧院) is named too


def test_the_price_of_a_repair_is_not_the_products(assistant, shop):
    turn = ask(assistant, shop, "摇蜜机过保了 修一下多少钱")
    assert "680" not in turn.reply and turn.handoff is not None, turn.reply
    assert "680" in ask(assistant, shop, "亲 摇蜜机多少钱").reply  # (亲 is no work done on it)


def test_how_much_of_it_is_needed_is_no_price():
    assert analyse("how much JS waterproof coating do i need per sqm").attributes == []
    assert "price" in analyse("how much do i need to pay for shipping").attributes


def test_a_pet_that_keeps_vomiting_is_a_safety_report():
    assert is_safety_report("猫寄养接回来一直吐 也不吃东西")
    assert not is_safety_report("会不会一直吐")
