"""What a question asks that the record never says (session 29): a size or code in letters,
an action beside a value the record holds, a load asked of a record that only weighs the
thing, an option whose code is cut out of a longer one, a thing named only inside a longer name, the option wanted in exchange, a place
asked about before, and an address asked for. On
a small shop of its own (not the eval sets')."""

import pytest

from bot.question import analyse, answer_fits

from tests.test_answer_subject import ask, small_shop
from tests.test_options_and_focus import converse

CATALOG = [
    {"sku": "HARNESS", "title": "攀登者 全能攀岩安全带", "aliases": ["安全带"], "price": 399, "stock": 20,
     "attributes": {"重量": "约340g（M码）", "装备环": "4个"},
     "skus": [{"sku": "H-S", "spec": "S（腰围66-78cm）", "price": 399, "stock": 5},
              {"sku": "H-M", "spec": "M（腰围76-88cm）", "price": 399, "stock": 15}]},
    {"sku": "WALKER", "title": "安步 轻便助行器 无座款", "aliases": ["轻便助行器"], "price": 239, "stock": 30,
     "attributes": {"净重": "5kg", "材质": "铝合金"}},
    {"sku": "BOX", "title": "鳞宠 透明亚克力饲养盒 小号", "aliases": ["饲养盒"], "price": 59, "stock": 40,
     "attributes": {"开口": "顶部滑盖", "尺寸": "30×20×20cm"}},
    {"sku": "GLOVES", "title": "风驰 夏季骑行手套 触屏款", "aliases": ["骑行手套"], "price": 79, "stock": 60,
     "attributes": {"颜色分类": "黑色/黑红", "材质": "莱卡+超纤"}},
    {"sku": "M5", "title": "风驰M5 揭面头盔", "aliases": ["M5"], "price": 599, "stock": 9,
     "skus": [{"sku": "M5-GXL", "spec": "水泥灰 XL", "price": 599, "stock": 0},
              {"sku": "M5-BXXL", "spec": "哑黑 XXL", "price": 599, "stock": 9}]},
    {"sku": "PAD", "title": "加大桌垫 鼠标垫 900x400mm", "price": 39, "stock": 210},
    {"sku": "FRAME", "title": "实木相框 12寸 挂墙款", "aliases": ["相框"], "price": 98, "stock": 30,
     "skus": [{"sku": "F-OAK", "spec": "原木色", "price": 98, "stock": 30},
              {"sku": "F-WAL", "spec": "胡桃色", "price": 98, "stock": 0, "restock": "12月20日到货"}]},
]
FAQ = ("问题,答案\n发货后几天能到？,江浙沪一般1-2天送达，其他大部分地区2-4天送达。\n包邮吗？,全店满99元包邮（偏远地区除外）。\n"
       "可以自己寄过来维修吗？,可以，请自行通过顺丰寄到我们的维修中心，修好后顺丰寄回。\n")
POLICY = "# 物流\n\n- 偏远地区：新疆、西藏、青海地区不参与包邮，每单加收20元运费，中转时效约5-8天。\n"


@pytest.fixture(scope="module")
def shop(assistant):
    with small_shop(assistant, "unheld-asks", CATALOG, faq_zh=FAQ, policy_zh=POLICY) as merchant:
        yield merchant


def test_a_letter_size_no_fact_writes_finds_no_fact_holding_its_measure_word(assistant, shop):
    reply = ask(assistant, shop, "安全带有XL码的吗")  # 约340g（M码） holds 码, not XL
    assert "340" not in reply.reply and reply.handoff is not None, reply.reply


def test_a_load_is_not_read_from_the_things_own_weight(assistant, shop):
    reply = ask(assistant, shop, "轻便助行器承重多少公斤")
    assert "5kg" not in reply.reply and reply.handoff is not None, reply.reply


def test_an_action_asked_beside_a_value_the_record_holds_is_not_answered_by_the_value(assistant, shop):
    locks = ask(assistant, shop, "饲养盒的滑盖能上锁吗")
    assert "滑盖" not in locks.reply and locks.handoff is not None, locks.reply
    sliding = ask(assistant, shop, "饲养盒是滑盖的吗")
    assert "滑盖" in sliding.reply and sliding.handoff is None, sliding.reply


def test_a_size_asked_of_a_record_without_it_is_declined(assistant, shop):
    reply = ask(assistant, shop, "骑行手套黑红有XL吗")
    assert reply.handoff is not None, reply.reply


def test_a_longer_size_code_is_not_the_shorter_option(assistant, shop):
    reply = ask(assistant, shop, "M5 xxl有水泥灰吗")  # no such option: not the 水泥灰 XL
    assert "水泥灰 XL" not in reply.reply, reply.reply
    assert "水泥灰 XL" in ask(assistant, shop, "M5 xl有水泥灰吗").reply


def test_a_thing_named_only_inside_a_longer_name_is_not_that_product(assistant, shop):
    mouse = ask(assistant, shop, "有卖鼠标吗")  # a mouse pad is no mouse
    assert "库存" not in mouse.reply and mouse.handoff is not None, mouse.reply
    pad = ask(assistant, shop, "有卖鼠标垫吗")
    assert "库存" in pad.reply and pad.handoff is None, pad.reply


def test_the_option_wanted_in_exchange_is_the_one_asked_of(assistant, shop):
    reply = ask(assistant, shop, "相框原木色能换胡桃色吗")
    assert "胡桃色" in reply.reply and "缺货" in reply.reply, reply.reply


def test_a_follow_up_keeps_the_place_asked_about_before(assistant, shop):
    reply = converse(assistant, shop, "新疆包邮吗", "那几天能到")
    assert "1-2天" not in reply.reply or "5-8" in reply.reply, reply.reply
    assert "5-8" in reply.reply or reply.handoff is not None, reply.reply


def test_an_address_asked_for_is_not_answered_by_where_to_send_it(assistant, shop):
    reply = ask(assistant, shop, "维修中心地址发下 我顺丰寄过去")
    assert reply.handoff is not None, reply.reply
    assert analyse("下单后能改地址吗").ask == "yes_no"  # whether it can be changed: no address asked
    assert answer_fits("address", "维修中心：苏州市吴中区木渎镇金枫南路188号")
