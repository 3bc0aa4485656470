"""Which option a follow-up names, and whether the record holds the measure asked: the
mechanisms behind session 25's answer changes, each on a small shop of its own (not the
eval sets')."""

import pytest

from tests.test_answer_subject import ask, small_shop
from tests.test_options_and_focus import converse

CATALOG = [
    {"sku": "BOARD", "title": "浪花 EVA浮板 初学款", "aliases": ["浮板"], "price": 45, "stock": 120,
     "skus": [{"sku": "BOARD-B", "spec": "蓝色", "price": 45, "stock": 80}, {"sku": "BOARD-P", "spec": "粉色", "price": 45, "stock": 37}]},
    {"sku": "MASK", "title": "浪花 全脸浮潜面罩", "aliases": ["全脸面罩"], "price": 139, "stock": 95,
     "skus": [{"sku": "MASK-BS", "spec": "黑色 S/M", "price": 139, "stock": 30},
              {"sku": "MASK-PS", "spec": "粉色 S/M", "price": 139, "stock": 65},
              {"sku": "MASK-PL", "spec": "粉色 L/XL", "price": 139, "stock": 0, "restock": "预计8月2日补货"}]},
    {"sku": "HOPC", "title": "奇努克Chinook啤酒花颗粒 T90", "aliases": ["奇努克"], "price": 39, "stock": 200,
     "props": "产地:美国;α酸:11%-13%;形态:T90颗粒"},
    {"sku": "HOPS", "title": "哈拉道Hallertau啤酒花颗粒 100g", "aliases": ["哈拉道"], "price": 45, "stock": 80,
     "props": "产地:德国;形态:T90颗粒"},
    {"sku": "AC2", "title": "清风 2匹 立式柜机 变频冷暖", "aliases": ["2匹柜机"], "price": 5199, "stock": 12,
     "attributes": {"内机尺寸": "1750×380×300mm", "适用面积": "23-34㎡"}},
    {"sku": "AC3", "title": "清风 3匹 立式柜机 变频冷暖", "aliases": ["3匹柜机"], "price": 6899, "stock": 7,
     "attributes": {"内机尺寸": "1850×420×320mm", "适用面积": "32-50㎡"}},
    {"sku": "AC15", "title": "清风 1.5匹 挂机 新一级能效", "aliases": ["1.5匹挂机"], "price": 2899, "stock": 20},
    {"sku": "PIPE", "title": "空调加长铜管 每米", "aliases": ["铜管"], "price": 75, "stock": 999,
     "skus": [{"sku": "PIPE-S", "spec": "挂机用 1-1.5匹", "price": 75, "stock": 999},
              {"sku": "PIPE-L", "spec": "柜机用 2-3匹", "price": 95, "stock": 999}]},
    {"sku": "MOP", "title": "净屿 洗地机 F3", "aliases": ["洗地机"], "price": 1999, "stock": 30, "specs": {"清水箱": "850ml"}},
]


@pytest.fixture(scope="module")
def shop(assistant):
    with small_shop(assistant, "options-measures", CATALOG) as merchant:
        yield merchant


def test_a_colour_asked_after_the_price_says_whether_that_option_is_in_stock(assistant, shop):
    reply = converse(assistant, shop, "浮板多少钱", "粉色的有吗").reply
    assert "粉色" in reply and "37" in reply, reply
    # Two pink options, one sold out: each is said, the sold-out one with its restock note.
    reply = converse(assistant, shop, "全脸面罩多少钱", "粉色的有吗").reply
    assert "粉色 S/M有货" in reply and "缺货" in reply and "8月2日" in reply and "有的" not in reply, reply


def test_a_word_beside_the_name_before_how_much_is_asked_not_the_price(assistant, shop):
    assert "45" in ask(assistant, shop, "哈拉道多少").reply  # the name alone and 多少: its price
    turn = ask(assistant, shop, "哈拉道的α酸是多少啊")  # its record has no α-acid
    assert turn.handoff is not None and "45" not in turn.reply, turn.reply
    assert "11%-13%" in ask(assistant, shop, "奇努克的α酸是多少").reply


def test_a_measure_asked_of_a_fact_in_another_measure_is_declined(assistant, shop):
    turn = converse(assistant, shop, "3匹柜机多少钱", "内机多重")  # a weight; the record has the size only
    assert turn.handoff is not None and "1850" not in turn.reply, turn.reply
    assert "850ml" in ask(assistant, shop, "洗地机清水箱多大的").reply  # 多大 asks a size of any kind


def test_a_one_figure_measure_names_the_sibling_product(assistant, shop):
    reply = converse(assistant, shop, "2匹柜机多少", "那3匹的呢").reply
    assert "6899" in reply and "5199" not in reply, reply


def test_what_a_product_suits_is_its_one_key_for_it(assistant):
    catalog = [{"sku": "FAN", "title": "清风 落地扇 直流变频", "price": 399, "stock": 20, "specs": {"适用面积": "10-20㎡", "档位": "12档"}},
               {"sku": "BIKE", "title": "小象 儿童平衡车", "price": 299, "stock": 20, "specs": {"适用年龄": "2-6岁", "适用身高": "85-120cm"}}]
    with small_shop(assistant, "suits", catalog) as merchant:
        assert "10-20㎡" in ask(assistant, merchant, "这个适合多大房间", product="FAN").reply
        turn = ask(assistant, merchant, "这个适合多大的", product="BIKE")  # its age or its height: not said which
        assert "2-6岁" not in turn.reply and "85-120" not in turn.reply, turn.reply


def test_an_english_word_for_the_product_itself_is_no_other_topic(assistant):
    catalog = [{"sku": "AC1", "title": "清风 1匹 空调挂机 变频冷暖", "title_en": "QingFeng 1HP Wall-Mounted Air Conditioner", "price": 2299,
                "stock": 30, "specs": {"室内机噪音": "19-36dB(A)", "冷媒": "R32"}}]
    faq_en = "question,answer\nDo you remove old units?,Yes. Removing an old wall-mounted unit costs 60 yuan.\n"
    with small_shop(assistant, "the-unit", catalog, faq_en=faq_en) as merchant:
        assert "19-36" in ask(assistant, merchant, "whats the noise level of the 1HP wall unit").reply


def test_when_a_promotion_starts_is_answered_by_a_day_not_a_span(assistant):
    from bot.question import analyse, answer_fits

    assert analyse("周年庆啥时候开始").ask == "day" and analyse("什么时候发货").ask == "date"
    assert not answer_fits("day", "签收后 15天内 本店降价可退差价") and answer_fits("day", "活动时间：11月20日至11月27日")
    policy = ("# 价格保护\n\n- 签收后 15天内 本店同款降价，可申请退差价；周年庆活动价不参加价格保护。\n\n"
              "# 周年庆\n\n- 活动时间：11月20日 00:00 至 11月27日 23:59。\n- 活动期间全店满300元减40元。\n")
    with small_shop(assistant, "day-asked", policy_zh=policy) as merchant:
        reply = ask(assistant, merchant, "周年庆啥时候开始").reply
        assert "11月20日" in reply and "15天" not in reply, reply


def test_two_offers_used_together_need_an_answer_naming_the_second_one_stacking():
    from bot.question import events_fit

    rule = "全店满300减30，满600减80（按实付金额计算，不与会员折扣叠加）。"
    assert events_fit("周年庆满减能跟会员95折一起用吗", rule)  # 会员: the rule names it
    assert not events_fit("周年庆满减能和店铺优惠券叠加吗", rule)  # another discount's rule says nothing of coupons
    assert not events_fit("满减能和店铺优惠券一起用吗", "价保不含直播间专享价、优惠券、满减。")  # no word of stacking
    assert not events_fit("双12满减能和跨店满减叠加不", "金卡会员折扣与满减可以叠加。")  # 跨店 names the second one


def test_a_way_of_service_asked_needs_an_answer_speaking_of_it():
    from bot.question import events_fit

    warranty = "保修需提供购买记录；保修期内寄修往返运费由本店承担。"
    assert not events_fit("保修期内坏了 能上门修吗", warranty)
    assert events_fit("保修期内坏了 能上门修吗", "保修期内上门维修免费；保修期外上门费80元/次。")
    assert not events_fit("退货能自己送到仓库吗", "退货申请通过后，请在5天内寄出退货。")
    assert events_fit("坏了能修吗", warranty)  # no way asked: the warranty answers
