"""A "X呢" / "and the X?" follow-up naming a thing the product in focus never mentions
(session 29) asks the product of its family named so; on a small shop of its own (not the
eval sets')."""

import pytest

from bot.answerability import content_words
from retrieval.tokenize import tokenize

from tests.test_answer_subject import small_shop
from tests.test_options_and_focus import converse

CATALOG = [
    {"sku": "MATCHA", "title": "山野 宇治抹茶 礼盒装 100g", "aliases": ["抹茶礼盒"], "price": 168, "stock": 40},
    {"sku": "MATCHA-P", "title": "山野 宇治抹茶粉 烘焙用 50g", "aliases": ["抹茶粉"], "price": 45, "stock": 80},
    {"sku": "CHALK", "title": "峰顶 块状镁粉 200g", "title_en": "Summit Block Chalk 200g", "aliases": ["块状镁粉"], "price": 35, "stock": 90},
    {"sku": "CHALK-L", "title": "峰顶 液体镁粉 250ml", "aliases": ["液体镁粉"], "price": 62, "stock": 70},
    {"sku": "POLE", "title": "行者X 铝合金登山杖", "title_en": "Walker X Trekking Pole (aluminium)", "aliases": ["行者X"], "price": 129,
     "stock": 50},
    {"sku": "POLE-PRO", "title": "行者X Pro 碳素登山杖", "aliases": ["行者X Pro"], "price": 459, "stock": 20},
    {"sku": "FAMILY", "title": "光影 全家福套餐 棚拍", "aliases": ["全家福"], "price": 699, "stock": 20,
     "skus": [{"sku": "FAM-3", "spec": "3人档", "price": 699, "stock": 10}, {"sku": "FAM-5", "spec": "4-5人档", "price": 899, "stock": 10}]},
    {"sku": "SOLO", "title": "光影 个人写真 单人套餐", "aliases": ["个人写真"], "price": 499, "stock": 20},
    {"sku": "WIFI", "title": "日本随身WiFi 租赁 不限流量", "title_en": "Japan Pocket WiFi Rental", "aliases": ["随身WiFi"], "price": 15,
     "stock": 40, "attributes": {"押金": "500元（支持芝麻信用免押）", "取还方式": "机场自取"}},
    {"sku": "MUG", "title": "暖阳 陶瓷马克杯 350ml", "aliases": ["马克杯"], "price": 39, "stock": 60,
     "skus": [{"sku": "MUG-R", "spec": "红色", "price": 39, "stock": 30}, {"sku": "MUG-B", "spec": "蓝色", "price": 42, "stock": 30}]},
]


@pytest.fixture(scope="module")
def shop(assistant):
    with small_shop(assistant, "follow-up-things", CATALOG) as merchant:
        yield merchant


def test_one_character_naming_a_sibling_asks_the_sibling(assistant, shop):
    reply = converse(assistant, shop, "抹茶礼盒多少钱", "那个粉呢")
    assert "45" in reply.reply and "168" not in reply.reply, reply.reply


def test_an_english_word_names_a_sibling_by_its_chinese_name(assistant, shop):
    reply = converse(assistant, shop, "how much is the block chalk", "and the liquid one?")
    assert "62" in reply.reply and "35" not in reply.reply, reply.reply


def test_a_model_word_names_the_sibling_sold_as_it(assistant, shop):
    reply = converse(assistant, shop, "how much is the walker x trekking pole", "and the pro?")
    assert "459" in reply.reply and "129" not in reply.reply, reply.reply


def test_people_counted_name_no_personal_package(assistant, shop):
    reply = converse(assistant, shop, "全家福套餐多少钱", "5个人的呢")  # 5个人: five people, not 个人写真
    assert "899" in reply.reply and "499" not in reply.reply, reply.reply


def test_an_english_follow_up_naming_a_fact_of_the_focus_asks_that_fact(assistant, shop):
    english = converse(assistant, shop, "how much is the japan pocket wifi rental per day", "and the deposit?")
    assert "500" in english.reply, english.reply  # 押金, by meaning: not the daily price again


def test_an_option_of_the_product_in_focus_is_still_its_own(assistant, shop):
    reply = converse(assistant, shop, "马克杯多少钱", "蓝色的呢")
    assert "42" in reply.reply and reply.handoff is None, reply.reply


FAQ_EN = ("question,answer\nHow long does delivery take?,Usually 1-2 days within Jiangsu, Zhejiang and Shanghai.\n"
          "Do you ship overseas?,We ship to Hong Kong and Macau in 2-4 days.\n")


@pytest.fixture(scope="module")
def studio(assistant):
    catalog = [{"sku": "SHOOT", "title": "童趣 儿童写真套餐", "price": 699, "stock": 10, "attributes": {"拍摄时长": "约1.5小时"}}]
    with small_shop(assistant, "follow-up-studio", catalog, faq_en=FAQ_EN) as merchant:
        yield merchant


def test_a_follow_up_that_names_nothing_is_not_answered_by_a_row_about_something_else(assistant, studio):
    # "take" names nothing: the delivery row speaks of nothing the question before asked about.
    reply = converse(assistant, studio, "is there parking near the studio", "how long does it take?")
    assert "Jiangsu" not in reply.reply, reply.reply


def test_if_is_no_word_an_answer_must_hold():
    # "要是洗坏了咋赔" asks of 洗坏 and 赔: an answer need not say 要是 (if).
    assert content_words(tokenize("要是洗坏了咋赔")) == content_words(tokenize("洗坏了咋赔"))
    assert "万一" not in content_words(tokenize("万一寄丢了怎么办"))
