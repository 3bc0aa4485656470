"""Catalog facts: which product a question names, which variant, and what is answered."""

import pytest

from bot.catalog import NameParts, Product, answer_facts, exchange_stock, name_match, question_has_other_topic
from bot.question import analyse, asked_attributes


def product(sku: str, title: str, **data) -> Product:
    return Product(sku=sku, data={"sku": sku, "title": title, **data})


TEA_SHOP = [
    product("LJ100", "山禾记 西湖龙井 明前特级 罐装 100g", price=268),
    product("LJ250", "山禾记 西湖龙井 雨前一级 纸包 250g", price=198),
    product("CAT-K", "喵汪补给站 鸡肉蛋黄全价幼猫粮 无谷配方", aliases=["幼猫粮"]),
    product("CAT-A", "喵汪补给站 鸡肉三文鱼全价成猫粮 无谷配方", aliases=["成猫粮"]),
    product("TREE", "太空舱剑麻猫爬架 138cm"),
    product("BAG", "太空舱外出猫包 双肩款"),
    product("LAMP", "护眼LED落地灯 客厅卧室阅读灯", facts={"功率": "12W"}),
    product("SOFA", "云朵布艺沙发 科技布", variants=[{"name": "三人位 210cm", "stock": 4}, {"name": "四人位 260cm", "stock": 0}]),
    product("PEN", "Heron Fountain Pen"),
    product("CHAIR", "Oak Dining Chair"),
]


@pytest.mark.parametrize(
    "question, sku",
    [
        ("龙井明前的贵不贵 多少钱", "LJ100"),  # part of the name, the piece only one product has
        ("雨前一级那个多少克", "LJ250"),
        ("落地灯几瓦的", "LAMP"),
        ("那个太空舱猫爬架多高", "TREE"),  # pieces shared with the cat bag and other cat trees, together only this one
        ("太空舱猫包多重", "BAG"),
        ("四人位的还有货吗", "SOFA"),  # a variant's name names its product
        ("猫粮多少钱", None),  # the kitten food and the adult food alike: neither
        ("how much is the cat food", None),  # one everyday English word is not a name
        ("运费多少", None),
    ],
)
def test_a_product_is_named_by_the_name_pieces_only_it_has(question, sku):
    best = NameParts(TEA_SHOP).best(question)
    assert (TEA_SHOP[best].sku if best is not None else None) == sku


def test_the_product_holding_every_name_piece_asked_is_named_over_one_holding_fewer():
    # The women's set has an English title (cotton, pajama); the men's is glossed from its
    # Chinese name (纯棉 cotton, 睡衣 pajama, 男士 man): "men's" tells them apart.
    shop = [product("W", "棉语 纯棉长袖睡衣套装 女", title_en="Mianyu Cotton Long-sleeve Pajama Set (Women)"),
            product("M", "棉语 纯棉长袖睡衣套装 男", aliases=["男士睡衣"])]
    best = NameParts(shop).best("hi, how much are the men's cotton pajamas?")
    assert best is not None and shop[best].sku == "M"


PHONE_CASE = product(
    "CASE", "闪充派 iPhone 16系列 磁吸手机壳",
    variants=[{"name": "iPhone 16", "stock": 3, "price": 39}, {"name": "iPhone 16 Plus", "stock": 0, "price": 39},
              {"name": "iPhone 16 Pro", "stock": 2, "price": 49}, {"name": "iPhone 16 Pro Max", "stock": 2, "price": 49}],
)
POWER_BANK = product("PB", "磁吸充电宝", variants=[{"name": "白色", "stock": 5}, {"name": "远峰紫", "stock": 0}])


@pytest.mark.parametrize(
    "item, question, reply",
    [
        (PHONE_CASE, "16plus的磁吸壳还有吗", "iPhone 16 Plus)目前缺货"),
        (PHONE_CASE, "16 pro max有货吗", "iPhone 16 Pro Max)目前有货"),
        (PHONE_CASE, "iphone 16 pro多少钱", "iPhone 16 Pro)的价格是¥49"),
        (POWER_BANK, "紫色的还有货吗", "远峰紫)目前缺货"),  # the one variant with that colour
    ],
)
def test_the_variant_the_question_names_answers_for_itself(item, question, reply):
    assert reply in answer_facts(analyse(question), "zh", item).reply


RUNNER = product(
    "RUN", "轻风缓震跑步鞋", price=299, colors=["白灰色", "黑色"],
    variants=[{"name": "白灰色 EU42", "stock": 31, "price": 299},
              {"name": "白灰色 EU42.5", "stock": 0, "price": 299, "restock": "预计12月12日补货"},
              {"name": "黑色 EU42.5", "stock": 9, "price": 299}],
)


@pytest.mark.parametrize(
    "question, reply",
    [
        ("白色42.5有吗", "白灰色 EU42.5)目前缺货。预计12月12日补货"),  # named by colour and number together
        ("黑色42.5有吗", "有的"),
        ("白色42.5多少钱", "的价格是¥299，目前缺货。预计12月12日补货"),  # a price for an option there is none of
    ],
)
def test_a_named_option_that_is_sold_out_is_not_answered_as_on_sale(question, reply):
    assert reply in answer_facts(analyse(question), "zh", RUNNER).reply


def test_a_colour_not_sold_is_still_declined_when_the_named_size_is_sold_out():
    hoop = product("HOOP", "Gold Hoop Earrings", colors=["gold"], variants=[{"name": "3cm", "stock": 0}, {"name": "4cm", "stock": 2}])
    assert answer_facts(analyse("does the 3cm one come in silver?"), "en", hoop) is None


def test_with_no_variant_named_differing_stock_and_prices_are_given_per_variant():
    stock = answer_facts(analyse("手机壳有货吗"), "zh", PHONE_CASE).reply
    assert "iPhone 16 Plus缺货" in stock and "iPhone 16 Pro Max有货" in stock
    price = answer_facts(analyse("how much is it"), "en", PHONE_CASE).reply
    assert "iPhone 16 ¥39" in price and "iPhone 16 Pro ¥49" in price


def test_a_leftover_word_is_another_topic_only_when_the_shops_faq_uses_it():
    wand = product("WAND", "羽毛铃铛逗猫棒", facts={"杆长": "60cm"})
    faq_words = {"运费", "发货", "西藏"}
    assert not question_has_other_topic(analyse("逗猫棒杆子多长"), wand, faq_words)
    assert question_has_other_topic(analyse("逗猫棒运费多少钱"), wand, faq_words)
    assert "60cm" in answer_facts(analyse("逗猫棒杆子多长"), "zh", wand).reply


def test_an_english_cue_is_a_word_or_its_inflection_not_the_start_of_a_longer_word():
    assert asked_attributes("does the custom costume include shoes?") == []  # costume is no cost
    assert asked_attributes("can i talk to an agent") == []  # nor agent an age
    assert asked_attributes("what's the wattage") == ["power"]
    assert asked_attributes("how much does it weigh") == ["weight"] and asked_attributes("are they priced per pair") == ["price"]


def test_the_longer_cue_says_what_is_asked():
    assert asked_attributes("能装多重的猫") == ["load"]
    assert asked_attributes("how much weight can it hold") == ["load"]
    assert asked_attributes("落地灯几瓦的") == ["power"]
    assert asked_attributes("有货吗 多少钱") == ["price", "stock"]


@pytest.mark.parametrize(
    "question, lang, reply",
    [
        ("踏云中帮防水徒步鞋有43码吗", "zh", "有的，踏云中帮防水徒步鞋有43码"),
        ("有45码吗", "zh", "没有45码，目前有：39、40、41、42、43、44"),
        ("do the boots come in 43", "en", "Yes, the Cloudstep Boots comes in 43"),
    ],
)
def test_a_size_the_question_names_is_a_yes_or_no_from_the_listed_sizes(question, lang, reply):
    boots = product("BOOT", "踏云中帮防水徒步鞋", title_en="Cloudstep Boots", sizes=["39", "40", "41", "42", "43", "44"])
    assert reply in answer_facts(analyse(question), lang, boots).reply


def test_a_weight_in_grams_is_not_taken_for_a_size():
    boots = product("BOOT", "踏云中帮防水徒步鞋", sizes=["39", "40"])
    assert answer_facts(analyse("250g的有吗"), "zh", boots) is None


def test_modal_and_pointing_words_are_not_what_a_question_is_about():
    from bot.answerability import content_words
    from retrieval.tokenize import tokenize

    assert content_words(tokenize("能用微信支付吗")) == ["微信", "支付"]
    assert content_words(tokenize("那发什么快递")) == ["快递"]
    assert content_words(tokenize("要自己装吗")) == []
    assert content_words(tokenize("素圈能刻几个字啊")) == ["素圈"]  # 几个 asks how many; it is no topic
    assert content_words(tokenize("发啥快递")) == ["快递"]  # 发啥: a verb with "what", no topic
    assert "看看" not in content_words(tokenize("能先打个样看看效果吗"))  # "take a look": no topic


PINYIN_SHOP = [
    product("LJ100", "山禾记 西湖龙井 明前特级 罐装 100g", price=268),
    product("LJ250", "山禾记 西湖龙井 雨前一级 纸包 250g", price=198),
    product("PE250", "山禾记 碧根果仁 原味 250g", price=59),
    product("PUER", "山禾记 云南普洱熟茶饼 357g", price=138),
    product("CAT-A", "喵汪 鸡肉三文鱼成猫粮", title_en="Chicken & Salmon Adult Cat Food"),
]


@pytest.mark.parametrize(
    "question, sku",
    [
        ("how much is the pu'er", "PUER"),  # a Chinese name typed as its pinyin
        ("how much is the longjing 250g", "LJ250"),  # two pieces each shared, together only one product's
        ("is longjing in stock", None),  # two Longjing teas: neither
        ("how tall is the space capsule cat tree", None),  # an English name's own word is no pinyin
    ],
)
def test_a_chinese_name_is_met_by_its_pinyin(question, sku):
    best = NameParts(PINYIN_SHOP).best(question)
    assert (PINYIN_SHOP[best].sku if best is not None else None) == sku


def test_an_out_of_stock_reply_says_when_the_record_says_it_comes_back():
    charger = product("CH65", "闪充派 65W 氮化镓充电器", stock=0, facts={"restock": "预计12月20日到货"})
    zh = answer_facts(analyse("65w充电器有货吗"), "zh", charger)
    en = answer_facts(analyse("is the 65w charger in stock?"), "en", charger)
    assert "缺货" in zh.reply and "12月20日" in zh.reply
    assert "out of stock" in en.reply and "12月20日" in en.reply


def test_how_much_of_a_thing_is_an_amount_not_a_price():
    assert "price" not in asked_attributes("hey how much protein is in the adult cat food?")
    assert asked_attributes("how much is the longjing") == ["price"]
    assert asked_attributes("how much does it cost") == ["price"]


def test_the_products_own_name_in_a_question_names_no_fact():
    mattress = product("MAT", "独立袋装弹簧床垫 护脊款", facts={"弹簧": "独立袋装弹簧，约800个", "厚度": "28cm"})
    assert answer_facts(analyse("弹簧床垫防螨吗"), "zh", mattress) is None  # 防螨 is not in the record
    assert "28cm" in answer_facts(analyse("弹簧床垫的厚度是多少"), "zh", mattress).reply


def test_a_model_number_in_the_question_rules_out_products_without_it():
    cases = [product("C16", "闪充派 iPhone 16系列 磁吸透明防摔手机壳"), product("C15", "闪充派 iPhone 15系列 磁吸透明手机壳（清仓）")]
    parts = NameParts(cases)
    assert parts.best("iphone15的壳防摔吗") == 1  # 防摔 is only in the 16's name, but 15 was asked
    assert parts.best("16的防摔壳多少钱") == 0


def test_the_shoppers_own_weight_is_no_model_number():
    shop = [product("NB", "云柔纸尿裤", title_en="CloudSoft Diapers"), product("FM3", "有机奶粉 3段 800g"),
            product("PB3", "猫粮 3kg 装")]
    # "3kg" is the baby's weight: not a model number that rules the diapers out and leaves
    # the 3kg cat food, nor split into a bare 3 (the formula's 3段).
    assert NameParts(shop).best("what size diaper for a 3kg newborn") not in (1, 2)
    assert NameParts(shop).best("3kg的猫粮多少钱") == 2


MATTRESS = product("MT", "独立袋装弹簧床垫", facts={"厚度": "28cm", "质保": "5年"})
SHELF = product("SH", "五层实木书架", facts={"高度": "180cm", "尺寸": "80×30×180cm"})
STRAP = product("ST", "十字行李打包带", facts={"适用尺寸": "通用（20-32寸）", "重量": "180g", "备注": "单条长度2m；带密码锁"})
BAG = product("BG", "链条斜挎小方包", facts={"尺寸": "20×7×14cm", "链条": "可拆卸，长度120cm"})


@pytest.mark.parametrize(
    "item, question, lang, holds, lacks",
    [
        (MATTRESS, "床垫多厚", "zh", "28cm", None),  # 厚度: the one dimension asked, as the record keys it
        (MATTRESS, "how thick is it", "en", "28cm", None),
        (SHELF, "书架多高", "zh", "180cm", None),
        (SHELF, "书架多厚", "zh", "80×30×180cm", "高度"),  # no 厚度: the overall size, never the height
        # No key holds the length; one value names it. What the strap fits is not its own size.
        (STRAP, "打包带多长", "zh", "2m", "20-32寸"),
        (BAG, "how long is the chain", "en", "120cm", "20×7×14cm"),
    ],
)
def test_one_dimension_asked_is_answered_from_the_key_that_holds_it(item, question, lang, holds, lacks):
    fact = answer_facts(analyse(question), lang, item)
    assert fact is not None and holds in fact.reply
    assert lacks is None or lacks not in fact.reply


def test_a_follow_up_naming_a_key_of_the_product_in_focus_is_about_it():
    from bot.catalog import about_focus

    lamp = product("LP", "护眼LED台灯", facts={"显色指数": "Ra97", "功率": "9W"})
    assert about_focus(analyse("显色指数多少"), lamp)
    assert not about_focus(analyse("运费谁出"), lamp)


BRACELET = product("BR", "S925银转运珠红绳手链", facts={"长度": "14-20cm抽拉可调", "转运珠直径": "8mm"})


def test_of_several_keys_holding_an_attribute_the_one_the_question_names_answers():
    fact = answer_facts(analyse("转运珠多大"), "zh", BRACELET)
    assert fact is not None and "8mm" in fact.reply and "14-20cm" not in fact.reply
    assert "14-20cm" in answer_facts(analyse("手链多长"), "zh", BRACELET).reply


def test_how_a_yes_no_question_is_asked_is_no_other_topic():
    from bot.catalog import about_focus

    necklace = product("NK", "S925纯银四叶草项链", facts={"防过敏": "无镍配方"})
    assert about_focus(analyse("是纯银的吗 会不会过敏啊"), necklace)  # 会不会 (jieba: 不会) asks; it is no topic


def test_an_english_attribute_word_is_not_matched_inside_another_word():
    book = product("BK", "Illustrated Bestiary", facts={"pages": "192", "reading age": "8+"})
    fact = answer_facts(analyse("what age is this for"), "en", book)
    assert fact is not None and "8+" in fact.reply and "192" not in fact.reply


def test_the_word_size_is_no_other_topic():
    ring = product("RING", "S925 Silver Moissanite Ring", variants=[{"name": "16号", "stock": 4}, {"name": "18号", "stock": 0}])
    assert not question_has_other_topic(analyse("do u have a size 16 of the moissanite ring"), ring)


def test_how_big_a_thing_it_suits_is_not_the_products_size():
    assert asked_attributes("适合多大的狗") == []
    assert asked_attributes("这个珍珠多大的") == ["dimensions"]


def test_the_price_of_a_thing_the_record_only_mentions_is_not_the_products():
    cam = product("X9", "行车记录仪X9", price=599, facts={"停车监控": "支持（需另购降压线）"})
    topics = {"降压", "停车", "监控"}  # the shop's FAQ sells the cable: "需要另购专用降压线（39元）"
    assert question_has_other_topic(analyse("降压线多少钱"), cam, topics)
    assert not question_has_other_topic(analyse("支持停车监控吗"), cam, topics)


def test_a_price_is_given_in_the_shops_currency():
    book = product("BK", "Tea Roads", price=19.5, variants=[{"name": "Hardcover", "price": 32.0}, {"name": "Paperback", "price": 19.5}])
    assert "$32" in answer_facts(analyse("how much is the hardcover"), "en", book, currency="USD").reply
    assert "¥19.50" in answer_facts(analyse("paperback多少钱"), "zh", book).reply  # CNY unless the shop says otherwise


def test_british_and_american_spellings_name_the_same_product():
    shop = [product("PUMP", "车载充气泵P1", title_en="Portable Tyre Inflator"), product("VAC", "车载吸尘器V8", title_en="Cordless Car Vacuum")]
    assert NameParts(shop).best("what's the price of the tire inflator") == 0


def test_a_yes_no_question_naming_a_value_of_one_fact_is_answered_from_it():
    mats = product("MAT", "3D脚垫", facts={"fitment": "丰田 凯美瑞 2018-2024；本田 雅阁 2018-2023", "厚度": "8mm"})
    fact = answer_facts(analyse("凯美瑞20款能用这个不"), "zh", mats)
    assert fact is not None and "2018-2024" in fact.reply
    assert answer_facts(analyse("宝马X5能用吗"), "zh", mats) is None  # not listed: declined, never guessed
    assert asked_attributes("芒果干是哪个国家的") == ["origin"]


def test_a_model_code_is_part_of_an_english_name():
    from bot.catalog import name_match

    a5 = product("ST-201", "Linen Dot Grid Notebook A5", aliases=["A5 notebook"])
    assert name_match("does the pocket notebook come in sage", a5) < 1.0  # "notebook" alone does not name the A5
    assert name_match("is the a5 notebook in stock", a5) == 1.0


def test_skus_sold_by_colour_are_the_colours_asked_about_in_either_language():
    guitar = product("G", "民谣吉他 40寸", title_en="Beginner Guitar", variants=[{"name": "原木色"}, {"name": "黑色"}])
    yes = answer_facts(analyse("does it come in black?"), "en", guitar)
    assert yes is not None and yes.reply.startswith("Yes")
    listed = answer_facts(analyse("有哪些颜色"), "zh", guitar)
    assert listed is not None and "原木色、黑色" in listed.reply
    # The SKUs on sale are not every colour it is made in: no sure "no", a decline.
    assert answer_facts(analyse("有红色的吗"), "zh", guitar) is None
    # Variants named by length are no colours, though 米 is also a colour word.
    bed = product("B", "实木床", variants=[{"name": "1.5米"}, {"name": "1.8米"}])
    assert answer_facts(analyse("有哪些颜色"), "zh", bed) is None


def test_a_size_sold_as_a_sku_answers_its_measure_from_its_name():
    plant = product("MON", "龟背竹 盆栽", variants=[{"name": "小号 株高40-50cm 含12cm盆"}, {"name": "中号 株高70-80cm 含21cm盆"}])
    one = answer_facts(analyse("中号的有多高"), "zh", plant)
    assert one is not None and "70-80cm" in one.reply and "40-50cm" not in one.reply
    every = answer_facts(analyse("多高"), "zh", plant)
    assert every is not None and "40-50cm" in every.reply and "70-80cm" in every.reply
    assert answer_facts(analyse("多宽"), "zh", plant) is None  # the names state no width


def test_a_yes_or_no_about_a_word_the_record_never_states_is_declined():
    notebook = product("NB", "Linen Dot Grid Notebook A5", facts={"ruling": "5mm dot grid", "pages": "192 numbered pages"})
    assert answer_facts(analyse("do you have the A5 linen notebook with lined pages"), "en", notebook) is None
    # A measure asked outright is still answered: the shopper judges the rest from it.
    piano = product("P8", "电钢琴", facts={"重量": "12.5kg"})
    weight = answer_facts(analyse("电钢琴多重啊 女生一个人搬得动不"), "zh", piano)
    assert weight is not None and "12.5kg" in weight.reply


def test_a_count_asked_by_its_measure_word_is_answered_from_the_value_counting_in_it():
    pecans = product("BG", "手剥碧根果 500g", facts={"净含量": "500g", "规格": "大果 约90-110颗/500g", "赠品": "剥壳器1个"})
    fact = answer_facts(analyse("碧根果一斤大概多少颗"), "zh", pecans)
    assert fact is not None and "90-110颗" in fact.reply
    # Two values counting in the same word: neither is the one asked about.
    twice = product("BG2", "手剥碧根果 1kg", facts={"规格": "约90-110颗/500g", "小袋": "每袋约20颗"})
    assert answer_facts(analyse("碧根果一斤大概多少颗"), "zh", twice) is None


def test_a_count_asked_in_english_finds_the_chinese_measure_word():
    nuts = product("MR30", "每日坚果 30包装", title_en="Daily Nuts Mix", facts={"净含量": "750g（25g×30包）", "保质期": "180天"})
    fact = answer_facts(analyse("how many packs are in it?"), "en", nuts)
    assert fact is not None and "30包" in fact.reply
    assert asked_attributes("where are these dates from?") == ["origin"]
    assert asked_attributes("where do you ship from?") == []  # where parcels leave from: the shop's answer


@pytest.mark.parametrize("question, price", [("多少一双", True), ("多少钱一个", True), ("这款多少啊", True),
                                             ("拉力多少", False), ("能装多少", False), ("德比鞋多少", False)])
def test_how_much_as_shoppers_clip_it_asks_the_price_only_of_the_thing_itself(question, price):
    assert ("price" in analyse(question).attributes) is price


def test_a_product_named_with_only_how_much_gets_its_card():
    from bot.catalog import card_facts

    derby = product("DERBY", "头层牛皮商务德比鞋", aliases=["德比鞋"], price=459, stock=8)
    assert "¥459" in card_facts(analyse("德比鞋多少"), "zh", derby).reply
    assert card_facts(analyse("德比鞋能装多少"), "zh", derby) is None  # an amount of something else


def test_an_english_yes_no_about_a_key_named_by_meaning_is_answered_from_it(assistant):
    boot = product("BOOT", "8孔经典马丁靴", facts={"防水性能": "防泼水，不建议涉水", "跟高": "4cm"})
    matcher = assistant.catalog.key_similarity
    reply = answer_facts(analyse("is it waterproof?"), "en", boot, matcher)
    assert reply is not None and "防泼水" in reply.reply


def test_a_key_picked_by_meaning_is_answered_only_when_the_dictionary_agrees(assistant):
    # Word vectors put "language" near 课时 and "fee" near 服务时间; the dictionary says a class
    # hour, and a time beyond the service the product is named for.
    matcher = assistant.catalog.key_similarity
    course = product("COURSE", "吉他30天入门视频课", title_en="30-day Guitar Video Course", facts={"课时": "40节", "观看平台": "小程序"})
    assert answer_facts(analyse("what language is the online guitar course in"), "en", course, matcher) is None
    visit = product("MEASURE", "上门测量安装服务", title_en="On-site Measuring Service", facts={"服务时间": "每天9:00-18:00"})
    assert answer_facts(analyse("what's the fee for the on-site measuring service"), "en", visit, matcher) is None
    # The dictionary's word, or the value's own: 发芽率 is a germination rate; "每袋200亿CFU" writes CFU.
    seeds = product("SEED", "樱桃番茄种子", facts={"发芽率": "≥85%"})
    assert "85%" in answer_facts(analyse("germination rate of the cherry tomato seeds?"), "en", seeds, matcher).reply
    probiotic = product("PB", "成人益生菌 30袋", facts={"活菌数": "每袋200亿CFU"})
    assert "CFU" in answer_facts(analyse("how many CFU per sachet in the adult probiotic"), "en", probiotic, matcher).reply


def test_an_english_question_names_a_product_named_only_in_chinese_by_its_dictionary_gloss():
    from bot.glosses import glosses

    assert "loafer" in glosses("乐福鞋") and "slipper" in glosses("拖鞋")
    shop = [product("DERBY", "头层牛皮商务德比鞋", title_en="Full-grain Leather Derby Shoe", aliases=["德比鞋"]),
            product("LOAFER", "头层牛皮乐福鞋 男 一脚蹬", aliases=["乐福鞋"]),
            product("SLIDE", "EVA一字拖 居家浴室防滑", aliases=["拖鞋"]),
            product("SANDAL", "溯溪户外凉鞋", title_en="Outdoor Water Sandal")]
    parts = NameParts(shop)
    assert shop[parts.best("price of the leather loafers?")].sku == "LOAFER"
    assert shop[parts.best("is the blue EVA slipper in stock")].sku == "SLIDE"


def test_a_word_and_its_one_letter_name_a_product_together():
    shop = [product("VC", "维生素C咀嚼片", title_en="Vitamin C Chewable Tablets"), product("VD", "维生素D3软胶囊", title_en="Vitamin D3 Softgels"),
            product("MV", "多种维生素片", title_en="Multivitamin Tablets")]
    assert shop[NameParts(shop).best("how much is the vitamin c")].sku == "VC"


def test_the_number_of_a_measure_asked_is_no_model_number():
    # "20mm" is the strap's width: the 20 of "拆带器+弹簧棒套装 20件" does not rule the strap out.
    shop = [product("STRAP", "头层牛皮快拆表带 针扣", aliases=["牛皮表带"], variants=[{"name": "18mm", "price": 89}, {"name": "20mm", "price": 99}]),
            product("TOOL", "拆带器+弹簧棒套装 20件"), product("WATCH", "经典三针自动机械表")]
    assert shop[NameParts(shop).best("do u have the cowhide leather strap in 20mm, price?")].sku == "STRAP"


def test_a_name_the_merchant_wrote_outweighs_another_products_gloss():
    shop = [product("MIX", "每日坚果 混合坚果果干 30包装", title_en="Daily Nuts Mix, 30 packs"),
            product("KID", "儿童每日坚果 酸奶果粒味 20包"), product("BOX", "臻选坚果礼盒 8罐装", title_en="Premium Nut Gift Box")]
    parts = NameParts(shop)
    assert shop[parts.best("how much is the daily nuts")].sku == "MIX"


WATCH = product("M01", "经典三针自动机械表 男款", price=1299, variants=[
    {"name": "黑盘钢带", "stock": 5, "price": 1299}, {"name": "白盘钢带", "stock": 0, "price": 1299, "restock": "预计12月20日补货"}])
CLOVER = product("B003", "四叶草手链 贝母款", variants=[{"name": "白贝母", "stock": 3}, {"name": "红玛瑙", "stock": 12}])


def test_asking_whether_an_option_is_to_be_had_asks_its_stock():
    assert "白盘钢带)目前缺货。预计12月20日补货" in answer_facts(analyse("白盘的有吗"), "zh", WATCH).reply
    assert "黑盘钢带)目前有货" in answer_facts(analyse("黑盘的有吗"), "zh", WATCH).reply


def test_an_option_of_another_colour_is_not_the_one_asked_for():
    assert answer_facts(analyse("有黑玛瑙的吗"), "zh", CLOVER) is None  # 红玛瑙 shares 玛瑙, not the colour


def test_a_product_named_only_by_an_option_is_not_named_by_its_name():
    from bot.catalog import named_by_option_only

    necklace = product("N001", "四叶草项链 锁骨链", variants=[{"name": "黑玛瑙", "stock": 0}])
    assert named_by_option_only("有黑玛瑙的吗", necklace)
    assert not named_by_option_only("四叶草项链有黑玛瑙的吗", necklace)


def test_a_clause_beside_the_key_asked_is_the_shoppers_story():
    straightener = product("STR", "负离子陶瓷直板夹", aliases=["夹板"], facts={"自动断电": "60分钟无操作自动断电", "刻字": "免费刻字"})
    assert not question_has_other_topic(analyse("夹板会自动断电不 我老忘关"), straightener)
    # Asked in the key's own clause, the other word is what is asked: 图案 is no 刻字 answer.
    assert question_has_other_topic(analyse("刻字能刻图案吗"), straightener)
    assert question_has_other_topic(analyse("刻字能刻图案吗 比如小爱心"), straightener)


def test_a_things_own_weight_is_its_weight_and_not_what_it_casts_or_carries():
    rod = product("ROD", "碳素台钓竿 28调", facts={"饵重": "5-15g", "承重": "10kg", "自重": "3.6米约98克"})
    assert "98克" in answer_facts(analyse("这个多重啊"), "zh", rod).reply
    assert "98克" in answer_facts(analyse("how much does it weigh?"), "en", rod).reply
    # The word before the measure asked names another thing measured: the pull, not the rod.
    assert answer_facts(analyse("最大拉力多少斤"), "zh", rod) is None


def test_a_shoppers_figure_in_the_asked_attributes_own_dimension_is_no_variant():
    from bot.question import measurements, measurements_fit

    assert measurements("蛋卷桌 (90×60cm 中号)")["length"] == [(90.0, 90.0), (60.0, 60.0)]
    assert measurements_fit("price for the 90cm roll table?", "The table (90×60cm 中号) costs ¥169.")
    assert measurements_fit("这床承重多少 我俩加起来快300斤了", "承重：500kg", ["load"])
    assert not measurements_fit("6.3米的呢", "自重：3.6米约98克，4.5米约136克", ["weight"])


def test_an_english_measure_word_is_the_records_own_count():
    multi = product("MV", "多种维生素矿物质片 男士款", title_en="Multivitamin Tablets for Men", facts={"规格": "60片/瓶"})
    assert not question_has_other_topic(analyse("how many tablets in a bottle of the men's multivitamin"), multi)


def test_how_big_a_pack_is_asks_what_it_holds():
    soil = product("SOIL", "通用营养土 养花种菜", facts={"净含量": "10L（约3kg）"})
    assert asked_attributes("营养土多大一袋啊") == ["capacity"]
    assert asked_attributes("how big is the tub?") == ["capacity"]
    assert asked_attributes("这个箱子多大") == ["dimensions"]
    assert not question_has_other_topic(analyse("营养土多大一袋啊"), soil)
    assert "10L" in answer_facts(analyse("营养土多大一袋啊"), "zh", soil).reply


def test_a_short_alias_inside_another_products_longer_name_is_not_the_name_meant():
    from bot.catalog import _within_longer_name

    flat = product("FLAT", "卡式炉专用扁气罐 丁烷", aliases=["扁气罐", "气罐"])
    mountain = product("MTN", "高山气罐 螺口 230g")
    assert _within_longer_name("高山气罐多少钱", flat, mountain)
    assert not _within_longer_name("扁气罐多少钱", flat, mountain)  # a name of its own beyond the shared 气罐


def test_per_and_each_name_no_other_topic():
    probiotic = product("PB", "益生菌冻干粉 成人款", title_en="Probiotic Powder for Adults", facts={"活菌数": "每袋200亿CFU"})
    assert not question_has_other_topic(analyse("how many CFU per sachet in the adult probiotic"), probiotic)


def test_each_sold_out_option_in_a_stock_list_says_when_it_is_back():
    tent = product("TENT", "速开帐篷 3-4人", variants=[{"name": "橄榄绿", "stock": 40},
                                                   {"name": "黑胶防晒款", "stock": 0, "restock": "预计6月25日补货"}])
    reply = answer_facts(analyse("啥时候有货"), "zh", tent).reply
    assert "橄榄绿有货" in reply and "黑胶防晒款（预计6月25日补货）缺货" in reply


def test_a_colour_named_in_english_finds_the_option_named_in_chinese():
    wig = product("WIG", "中长款大波浪假发", title_en="Mid-Length Wavy Wig",
                  variants=[{"name": "自然黑", "stock": 20}, {"name": "巧克力棕", "stock": 0, "restock": "预计12月20日到货"}])
    reply = answer_facts(analyse("do u have it in chocolate brown?"), "en", wig).reply
    assert "out of stock" in reply and "12月20日" in reply


def test_a_two_character_key_asked_around_its_measure_word_is_that_key():
    boot = product("BOOT", "8孔经典马丁靴", facts={"靴筒高度": "约16cm", "跟高": "4cm"})
    assert "4cm" in answer_facts(analyse("马丁靴跟多高啊"), "zh", boot).reply
    assert "16cm" in answer_facts(analyse("靴筒多高"), "zh", boot).reply


def test_an_english_word_for_one_character_of_a_chinese_key_picks_that_key():
    boot = product("BOOT", "8孔经典马丁靴", title_en="8-Eye Classic Combat Boot", facts={"靴筒高度": "约16cm", "跟高": "4cm"})
    assert "4cm" in answer_facts(analyse("how tall is the heel on the combat boot"), "en", boot).reply
    # "boot" is the product's own name and "tall" every height key's: neither picks a key.
    assert "16cm" in answer_facts(analyse("how tall is the combat boot"), "en", boot).reply


def test_a_follow_up_after_a_bare_how_much_asks_the_price_again():
    from bot.question import with_earlier_ask

    follow = with_earlier_ask(analyse("加宽楦的呢"), "德比鞋多少")
    assert follow.attributes == ["price"] and follow.ask == "price"
    assert with_earlier_ask(analyse("加宽楦的呢"), "德比鞋有几个颜色").attributes == ["colors"]
    derby = product("DERBY", "头层牛皮商务德比鞋", variants=[{"name": "黑色 标准楦", "price": 459, "stock": 5},
                                                       {"name": "黑色 加宽楦(EE)", "price": 479, "stock": 16}])
    assert "479" in answer_facts(follow, "zh", derby).reply


def test_sizes_written_under_another_key_answer_how_many_sizes(assistant):
    trees = product("TREE", "雪松木鞋撑 可调节", facts={"规格": "S(36-39)/M(40-42)/L(43-45)", "适用鞋款": "皮鞋/乐福鞋"})
    assert "M(40-42)" in answer_facts(analyse("鞋撑有哪几个码"), "zh", trees).reply
    # A count asked in a unit two facts count in: the key the question means by meaning.
    q10 = product("Q10", "辅酶Q10软胶囊", facts={"规格": "60粒/瓶", "每日用量": "每日1粒"})
    assert "每日1粒" in answer_facts(analyse("一天吃几粒"), "zh", q10, assistant.catalog.key_similarity).reply


def test_a_word_said_twice_around_bu_asks_yes_or_no():
    from bot.question import as_yes_no

    assert as_yes_no("电动卷帘噪音大不大") == "电动卷帘噪音大吗"
    assert as_yes_no("卖不卖连裤袜") == "卖连裤袜吗"
    # Asking words as they are, an attribute cue and an idiom stay.
    for text in ("有没有黑色的", "是不是纯银", "24寸的箱子重不重", "虾一动不动的"):
        assert as_yes_no(text) == text
    blind = product("RB02", "电动卷帘 智能遮光", facts={"噪音": "≤38分贝", "续航": "约3个月"})
    assert "38分贝" in answer_facts(analyse(as_yes_no("电动卷帘噪音大不大")), "zh", blind).reply


def test_a_yes_no_key_is_asked_though_the_title_says_it_too():
    shrimp = product("XIA", "厄瓜多尔白虾仁 去虾线 500g×2袋", aliases=["虾仁"], price=69,
                     facts={"是否去虾线": "是", "保质期": "12个月"})
    assert "是否去虾线：是" in answer_facts(analyse("虾仁去虾线了吗"), "zh", shrimp).reply
    cup = product("CUP", "陶瓷马克杯", facts={"可否机洗": "可以，建议手洗"})
    assert "建议手洗" in answer_facts(analyse("马克杯能机洗吗"), "zh", cup).reply
    assert "是否去虾线" not in answer_facts(analyse("去虾线的虾仁多少钱"), "zh", shrimp).reply  # a price, not whether


def test_a_how_much_that_named_a_fact_of_the_product_asked_no_price_for_the_follow_up():
    from bot.catalog import names_a_key
    from bot.question import with_earlier_ask

    curtain = product("BO02", "半遮光棉麻窗帘", facts={"遮光率": "70%-85%", "面料": "55%棉 45%麻"})
    follow = with_earlier_ask(analyse("克重呢"), "半遮光窗帘遮光率多少", lambda text: names_a_key(analyse(text), curtain))
    assert "price" not in follow.attributes
    assert answer_facts(follow, "zh", curtain) is None  # its record has no 克重: a decline, not its price


def test_a_compound_with_another_head_is_not_the_key_it_shares_two_characters_with():
    chair = product("CHAIR", "铝合金月亮椅 户外折叠椅", facts={"收纳尺寸": "42×14×12cm"})
    assert question_has_other_topic(analyse("这个有收纳袋吗"), chair)
    assert not question_has_other_topic(analyse("收纳尺寸多大"), chair)


def test_a_shelf_life_that_says_nothing_of_opening_does_not_answer_once_opened():
    probiotic = product("PB", "宠物益生菌", facts={"保质期": "18个月"})
    assert answer_facts(analyse("益生菌开封了能放多久"), "zh", probiotic) is None
    assert "18个月" in answer_facts(analyse("益生菌保质期多久"), "zh", probiotic).reply
    milk = product("MILK", "羊奶粉", facts={"保质期": "24个月（开封后4周内吃完）"})
    assert "4周" in answer_facts(analyse("开封了能放多久"), "zh", milk).reply


def test_a_colour_the_record_never_mentions_is_not_answered_by_its_stock():
    box = product("BOX", "多功能钓箱", title_en="Multi-function tackle box", variants=[{"name": "26升", "stock": 5}])
    assert answer_facts(analyse("is the tackle box available in black?"), "en", box) is None
    black = product("BOX2", "多功能钓箱", variants=[{"name": "黑色", "stock": 5}])
    assert answer_facts(analyse("is the tackle box available in black?"), "en", black) is not None


def test_a_restock_note_in_a_remark_answers_when_it_is_back_and_a_note_without_a_when_does_not():
    scissors = product("SC", "10寸裁缝剪刀", stock=0, facts={"备注": "缺货 补货时间待定"})
    assert "补货时间待定" in answer_facts(analyse("剪刀啥时候有货"), "zh", scissors).reply
    net = product("NET", "碳素抄网 3米", stock=0, facts={"状态": "补货中"})
    assert answer_facts(analyse("抄网啥时候补货"), "zh", net) is None  # 补货中 says nothing of when


def test_a_size_code_names_the_option_that_has_it_even_when_the_title_gives_it_too():
    from bot.catalog import _variant_for

    tyre = product("P4", "米其林轮胎 浩悦4 205/55R16 91V", variants=[{"name": "205/55R16 91V", "price": 569},
                                                             {"name": "215/55R17 94V", "price": 689}])
    assert _variant_for(tyre, "浩悦4 205/55R16多少钱一条")["price"] == 569  # not the 17" by the 55 of 55R17
    assert _variant_for(tyre, "浩悦4 215/55R17多少钱")["price"] == 689
    shoe = product("RUN", "缓震跑步鞋", variants=[{"name": "白灰色 EU42"}, {"name": "白灰色 EU42.5"}])
    assert _variant_for(shoe, "白色42.5有吗")["name"] == "白灰色 EU42.5"


def test_an_option_is_named_by_its_weight_or_volume_in_another_unit():
    from bot.catalog import _variant_for

    jelly = product("RJ", "新鲜蜂王浆", variants=[{"name": "250g", "price": 95}, {"name": "1000g", "price": 318}])
    assert _variant_for(jelly, "and the 1kg one?")["price"] == 318
    assert _variant_for(jelly, "2斤装多少钱")["price"] == 318  # 斤: half a kilogram
    heater = product("E5", "E5 电热水器", variants=[{"name": "50L", "price": 899}, {"name": "80L", "price": 1199}])
    assert _variant_for(heater, "50升的多少钱")["price"] == 899


def test_a_code_name_is_named_only_whole():
    station = product("E1500", "驰能 E1500 户外电源", aliases=["E1500", "1500"])
    assert name_match("e1500多少钱", station) == 1.0 and name_match("1500多少钱", station) == 1.0
    assert name_match("price of the expansion battery EB1500?", station) < 1.0  # 1500 is inside EB1500


def test_an_attribute_word_inside_the_products_name_asks_nothing_also_before_a_question_mark():
    fabric = product("WB", "无缝宽幅墙布", title_en="Seamless Wide Wall Fabric", facts={"材质": "涤纶提花", "起订量": "10平方米起订"})
    assert answer_facts(analyse("min order for the seamless wall fabric?"), "en", fabric) is None  # not its 材质


def test_a_yes_no_question_about_what_can_be_done_with_an_attribute_is_not_answered_by_its_value():
    station = product("E600", "驰能 E600 户外电源", facts={"电池容量": "640Wh"})
    assert answer_facts(analyse("E600电池容量多少"), "zh", station).reply == "驰能 E600 户外电源的电池容量：640Wh。"  # once
    assert answer_facts(analyse("E600电池能换吗"), "zh", station) is None  # 能换: whether it is replaceable


def test_a_model_number_the_product_does_not_have_names_another_model():
    from bot.catalog import _other_model

    drone = product("M4", "翎鹰 Mini 4 航拍无人机 249克", aliases=["mini4"])
    assert _other_model("mini 3还有卖吗", drone)
    assert not _other_model("mini4电池多久", drone) and not _other_model("mini 4多少钱", drone)
    tent = product("TENT", "Pop-up Tent for 3-4 People")
    assert not _other_model("how much is the pop-up tent for 4 people", tent)  # a count, not a model


def test_a_product_named_after_another_is_meant_when_the_question_names_more_of_it():
    from bot.catalog import _within_longer_name

    boot = product("BOOT", "8孔经典马丁靴", aliases=["马丁靴"])
    laces = product("LACE", "马丁靴替换鞋带 圆蜡绳")
    assert _within_longer_name("马丁靴鞋带多少钱", boot, laces)
    assert _within_longer_name("马丁靴的替换鞋带多长", boot, laces)
    assert not _within_longer_name("马丁靴多少钱", laces, boot)
    # A piece of the other's word (充电 of 充电器) names the thing itself, not the accessory.
    board, charger = product("B10", "驰风B10 自平衡车", aliases=["B10"]), product("CHG", "X8/B10 原装充电器 42V 2A")
    assert not _within_longer_name("b10充电要多久", board, charger)
    assert _within_longer_name("b10的充电器多少钱", board, charger)
    # A word jieba cuts into characters in the other's name is still a whole word of it (挂耳).
    beans, drip = product("YGC", "耶加雪菲 单品咖啡豆", aliases=["耶加雪菲"]), product("DRIP", "耶加雪菲 单品挂耳咖啡 10片装")
    assert _within_longer_name("耶加雪菲挂耳多少钱", beans, drip)


SKIRT = product("SK", "明制马面裙 鹤鸣", variants=[{"name": "朱红 M", "stock": 5}, {"name": "朱红 L", "stock": 0, "restock": "预计4月20日补货"},
                                                {"name": "藏青 L", "stock": 8}])


@pytest.mark.parametrize(
    "question, reply",
    [
        ("鹤鸣M码小了 想换朱红L", "朱红 L)目前缺货。预计4月20日补货"),  # the option wanted is sold out: say so
        ("想换藏青L 有货吗", "藏青 L)目前有货"),  # its stock, asked
        ("想换藏青L", None),  # in stock and not asked: how to exchange is the shop's answer
        ("尺码小了 想换货", None),  # no option named
    ],
)
def test_an_exchange_request_hears_when_the_option_wanted_is_sold_out(question, reply):
    fact = exchange_stock(question, "zh", SKIRT)
    if reply is None:
        assert fact is None
    else:
        assert fact is not None and reply in fact.reply


def test_a_short_option_name_inside_a_longer_size_is_not_that_option():
    skirt = product("RQ", "交领襦裙 清欢", variants=[{"name": "S", "stock": 21}, {"name": "M", "stock": 3}])
    assert answer_facts(analyse("有XS吗"), "zh", skirt) is None  # XS is no S
    assert "S)目前有货" in answer_facts(analyse("有S码吗"), "zh", skirt).reply


def test_a_size_the_product_lacks_gets_no_card():
    from bot.catalog import card_facts

    skirt = product("MMQ", "明制马面裙 鹤鸣", aliases=["鹤鸣"], price=459, stock=86)
    assert card_facts(analyse("鹤鸣"), "zh", skirt) is not None  # named, nothing asked: its card
    assert card_facts(analyse("鹤鸣有XL吗"), "zh", skirt) is None  # asks about a size


def test_a_part_jieba_leaves_in_single_characters_is_still_another_thing_measured():
    fan = product("FAN", "缂丝团扇 仕女图", facts={"尺寸": "扇面直径26cm"})
    assert answer_facts(analyse("团扇扇柄多长"), "zh", fan) is None  # 扇柄, not the 扇面 its size gives
    assert "26cm" in answer_facts(analyse("团扇扇面多大"), "zh", fan).reply


def test_a_measure_asked_by_its_form_alone_is_the_named_keys():
    beans = product("YGC", "耶加雪菲 单品咖啡豆 浅烘", aliases=["耶加"], facts={"海拔": "1900-2200米", "净含量": "227g"})
    assert "1900-2200米" in answer_facts(analyse("耶加海拔多高"), "zh", beans).reply  # 多高 asks the altitude, not a height
    bag = product("BAG", "链条斜挎小方包", facts={"链条": "可拆卸，长度120cm"})
    assert answer_facts(analyse("链条小方包多重"), "zh", bag) is None  # 链条 is its name: the bag's weight, not listed


def test_a_yes_no_question_may_end_in_mei_or_ask_in_its_first_clause():
    from bot.question import asking_clause

    assert analyse("30片的有没").ask == "yes_no"
    assert analyse("这个鞋楦正吗 我脚有点宽").ask == "yes_no"
    assert asking_clause("鹤鸣有XL吗 我腰围90") == "鹤鸣有XL吗"
    drip = product("DRIP", "挂耳咖啡 混合装", variants=[{"name": "10片装", "stock": 9}, {"name": "30片装", "stock": 0, "restock": "下周补货"}])
    assert "30片装)目前缺货。下周补货" in answer_facts(analyse("30片的有没"), "zh", drip).reply
    shoe = product("RUN", "轻风跑步鞋", facts={"鞋楦": "偏窄，拿不准建议选大半码", "尺码": "EU39-45"})
    # The shopper's own story after the question ("我脚有点宽") is nothing the record must state.
    assert "偏窄" in answer_facts(analyse("这个鞋楦正吗 我脚有点宽"), "zh", shoe).reply


def test_a_colour_named_alone_after_a_price_asks_that_colours_price():
    from bot.question import with_earlier_ask

    tee = product("TEE", "定制纯棉T恤", variants=[{"name": "白色", "price": 39, "stock": 3}, {"name": "黑色", "price": 42, "stock": 2}])
    follow_up = with_earlier_ask(analyse("黑色的呢"), "纯棉t恤多少钱")
    assert follow_up.attributes == ["price"]
    assert "(黑色)的价格是¥42" in answer_facts(follow_up, "zh", tee).reply
    assert with_earlier_ask(analyse("有什么颜色呢"), "纯棉t恤多少钱").attributes == ["colors"]  # colours asked outright


def test_a_letter_written_into_a_chinese_word_is_part_of_the_name():
    from bot.catalog import _pieces

    assert "t恤" in _pieces("麻灰色的t恤有货没")
    assert "i记" not in _pieces("mini记录仪")  # the end of an English word is no such letter


def test_how_many_left_asks_the_stock():
    assert asked_attributes("do u have the black A5 notebook? how many left") == ["stock"]


def test_the_one_fact_holding_every_character_asked_with_answers():
    from bot.catalog import covering_facts

    oyster = product("OY", "乳山鲜活生蚝 5斤装", facts={"产地": "山东乳山", "发货仓": "青岛仓", "储存方式": "0-4℃冷藏"})
    assert covering_facts(oyster, analyse("生蚝从哪个仓发")) == [("发货仓", "青岛仓")]  # jieba cuts 仓发; the characters still meet
    pendant = product("JB", "玉石禁步 压裙", facts={"材质": "岫玉+流苏", "尺寸": "总长32cm"})
    assert covering_facts(pendant, analyse("禁步是什么玉")) == [("材质", "岫玉+流苏")]
    chocolate = product("QKL", "黑巧克力 24粒", facts={"净含量": "288g（24粒）"})
    assert covering_facts(chocolate, analyse("巧克力可可含量多少")) == []  # 可可 is written nowhere
    case = product("A20", "全铝拉杆箱 20寸", facts={"外尺寸": "37×23×55cm（含轮）"})
    assert covering_facts(case, analyse("全铝箱有24寸的吗")) == []  # a size it does not list
    dried = product("HS", "大连淡干海参 250g", facts={"类型": "淡干（无糖无盐）"})
    assert covering_facts(dried, analyse("是淡干的还是盐干的")) == []  # which of two, not a bag of characters


def test_whether_a_thing_comes_with_the_product_is_read_where_the_record_says_so():
    from bot.catalog import included_facts

    arch = product("ARCH", "气球拱门支架 落地款", facts={"材质": "PVC管", "是否含气球": "不含气球"})
    assert "不含气球" in answer_facts(analyse("带气球吗"), "zh", arch).reply
    plant = product("MON", "龟背竹水培枝条", facts={"枝条长度": "约30-40cm", "是否含瓶": "不含玻璃瓶"})
    assert "不含玻璃瓶" in answer_facts(analyse("送瓶子不"), "zh", plant).reply  # 瓶子's head 瓶 is the 玻璃瓶
    chain = product("CH", "气球拱门链条 5米", facts={"材质": "PE塑料", "配件": "胶点100个"})
    assert included_facts(chain, analyse("送胶点吗 几个")) == [("配件", "胶点100个")]
    wine = product("W", "干红葡萄酒 750ml", facts={"酒精含量": "13%vol", "产区": "波尔多"})
    assert included_facts(wine, analyse("送酒杯吗")) == []  # 含量 is an amount, no word of inclusion


def test_when_a_sold_out_option_comes_back_is_answered_only_from_a_restock_note():
    lights = product("LED", "LED铜线灯串", variants=[{"name": "暖白", "stock": 5}, {"name": "彩色", "stock": 0, "restock": "5月15日左右补货"}])
    assert "5月15日左右补货" in answer_facts(analyse("彩色灯串啥时候补货"), "zh", lights).reply
    net = product("NET", "碳素抄网 3米", stock=0)
    assert answer_facts(analyse("抄网啥时候补货"), "zh", net) is None  # that it is sold out says nothing of when
    assert "目前缺货" in answer_facts(analyse("抄网还有货吗"), "zh", net).reply


def test_the_unit_a_price_is_asked_per_is_no_other_topic():
    paint = product("P01", "净味全效内墙乳胶漆", aliases=["全效乳胶漆"], price=259)
    assert not question_has_other_topic(analyse("净味全效乳胶漆多少钱一桶"), paint, set())
    assert "¥259" in answer_facts(analyse("净味全效乳胶漆多少钱一桶"), "zh", paint).reply
    from bot.catalog import card_facts

    probiotic = product("PB", "宠物益生菌 猫狗通用", price=68, stock=215)
    assert card_facts(analyse("益生菌多少"), "zh", probiotic) is not None  # a bare 多少: its price
    assert card_facts(analyse("益生菌 一天吃多少"), "zh", probiotic) is None  # an amount a day, not its price
    assert card_facts(analyse("益生菌一盒几袋"), "zh", probiotic) is None  # a count asked


def test_an_english_name_is_found_inside_a_chinese_name_by_the_dictionary_every_word_or_none():
    import numpy as np

    from bot.catalog import _english_naming_words, _link_by_dictionary

    def link(question):
        return _link_by_dictionary(question, _english_naming_words(question), shop, everyone)

    shop = [product("SUC", "多肉植物组合 9棵不重样 新手入门套餐"), product("CRAB", "阳澄湖大闸蟹礼券 8只装"),
            product("POT", "北欧陶瓷花盆 哑光白")]
    everyone = np.ones(len(shop), dtype=bool)
    named = link("is the succulent set in stock")
    assert named is not None and named.product.sku == "SUC"  # jieba never cuts 多肉植物 out of the name
    assert link("do u have king crab in stock") is None  # "king" is in no name


def test_an_attribute_word_inside_the_products_own_name_is_not_asked():
    bank = product("PB", "磁吸无线充电宝 10000mAh", title_en="Magnetic Power Bank 10000mAh", facts={"重量": "约215g", "容量": "10000mAh"})
    fact = answer_facts(analyse("whats the weight of the magnetic power bank"), "en", bank)
    assert fact is not None and "215g" in fact.reply  # its weight; "power" is its name, no attribute missing


def test_a_chinese_name_is_named_in_full_only_with_its_model_code():
    projector = product("P1", "光屿 P1 智能投影仪", aliases=["P1投影仪", "1080P投影仪"])
    laser = product("P1PRO", "光屿 P1 Pro 激光投影仪", aliases=["P1 Pro", "4K投影仪"])
    assert name_match("亲 P1投影仪多少钱", projector) == 1.0
    assert name_match("亲 P1投影仪多少钱", laser) < 1.0  # 投影仪 without 4K names every projector
    assert name_match("4K投影仪多少钱", laser) == 1.0
    filter_2 = product("F2", "RO600净水器专用 2号RO膜滤芯", aliases=["RO600 2号滤芯"])
    assert name_match("RO600的2号滤芯多少钱", filter_2) == 1.0
    nuts = product("NUT", "每日坚果 混合果仁", aliases=["每日坚果750g"])
    assert name_match("每日坚果多少钱", nuts) == 1.0  # a measure only tells the pack


def test_a_yes_no_about_a_number_the_fact_does_not_hold_is_declined():
    silk = product("S16", "16姆米真丝双绉 桑蚕丝面料", facts={"姆米": "16姆米"})
    assert answer_facts(analyse("真丝双绉有22姆米的吗"), "zh", silk) is None
    assert "16姆米" in answer_facts(analyse("真丝双绉有16姆米的吗"), "zh", silk).reply
    mats = product("MAT", "全包围脚垫", facts={"适配车型": "丰田 凯美瑞 2018-2024"})
    assert answer_facts(analyse("凯美瑞20款能用这个不"), "zh", mats) is not None  # the 2020 model, within the range
    assert answer_facts(analyse("凯美瑞12款能用这个不"), "zh", mats) is None
    mini = product("MINI", "口袋投影仪", facts={"分辨率": "854×480"})
    assert "854×480" in answer_facts(analyse("分辨率多少 是1080p的吗"), "zh", mini).reply  # the value asked answers it


def test_a_fact_keyed_by_the_thing_says_whether_it_comes_with_it():
    shower = product("SH2", "增压手持花洒头", props="材质:ABS电镀;软管:不含")
    shower.data["facts"] = {"材质": "ABS电镀", "软管": "不含"}
    assert "不含" in answer_facts(analyse("手持花洒带不带管子"), "zh", shower).reply


def test_colours_are_the_variants_named_by_colour_beside_a_bundle():
    projector = product("M2", "便携投影仪", variants=[{"name": "云白", "stock": 4}, {"name": "曜黑", "stock": 8},
                                                       {"name": "户外套装（含三脚架+收纳包）", "stock": 0}])
    reply = answer_facts(analyse("这个有几个色"), "zh", projector).reply
    assert "云白" in reply and "曜黑" in reply and "套装" not in reply


def test_a_chinese_key_named_by_meaning_needs_the_dictionary_to_agree_beyond_the_name():
    from bot.catalog import _dictionary_agrees

    projector = product("P1PRO", "光屿 P1 Pro 激光投影仪", title_en="Guangyu P1 Pro Laser Projector")
    assert _dictionary_agrees("投射比", "1.27:1", "throw ratio of the P1 Pro?", projector)  # 投射 is no word of 投影仪
    course = product("COURSE", "吉他30天入门视频课")
    assert not _dictionary_agrees("课时", "40节", "what language is the online guitar course in", course)


def test_a_word_of_the_name_is_still_asked_of_when_the_question_asks_it():
    eye = product("E1", "眼部按摩仪 热敷气压 可折叠", facts={"可折叠": "是", "重量": "0.25kg"})
    assert "可折叠：是" in answer_facts(analyse("这个能折叠吗 出差带"), "zh", eye).reply
    neck = product("C2", "颈椎按摩仪 脉冲热敷", facts={"脉冲档位": "15档", "热敷温度": "38-45℃三档可调"})
    assert "15档" in answer_facts(analyse("这个脉冲有几档"), "zh", neck).reply


def test_how_loud_a_thing_is_asks_its_noise():
    gun = product("M3", "筋膜枪 专业级", facts={"档位": "30档", "噪音": "≤45dB"})
    assert "45dB" in answer_facts(analyse("这个声音大不大 宿舍用"), "zh", gun).reply


def test_a_measure_names_a_product_in_either_script():
    from bot.catalog import _pieces

    assert "3m" in _pieces("price of the 3m hdmi cable?") and "3m" in _pieces("光屿 HDMI 2.1 高清线 3米")
    assert "120inch" in _pieces("120英寸") and "120inch" in _pieces("the 120 inch screen")
    assert "18l" in _pieces("how much is the 18L") and "18l" in _pieces("乳胶漆 18升装")


def test_it_in_an_english_question_leans_on_the_conversation():
    assert analyse("do you have it in 10m?").elliptical


def test_how_big_a_part_is_asks_the_fact_of_that_part():
    keyboard = product("K98", "键客K98 三模机械键盘", facts={"电池容量": "8000mAh", "重量": "约1.45kg"})
    assert "8000mAh" in answer_facts(analyse("K98电池多大的"), "zh", keyboard).reply


def test_a_span_of_time_is_read_out_in_english():
    from bot.catalog import _in_english

    assert _in_english("整机3年，阀芯5年") == "整机3 years，阀芯5 years"
    assert _in_english("1年") == "1 year" and _in_english("6个月") == "6 months"
    assert _in_english("2025年6月") == "2025年6月"  # a date, not a span


def test_an_a_not_a_question_asks_its_object_too():
    from bot.question import as_yes_no

    assert as_yes_no("pro的热床组件带不带pei板") == "pro的热床组件带pei板吗"
    assert as_yes_no("电动卷帘噪音大不大") == "电动卷帘噪音大吗"
    assert as_yes_no("这个好不好用啊") == "这个好用吗"
    bed = product("BED", "P1 Pro 热床组件", facts={"功率": "350W", "是否含打印板": "不含PEI板"})
    assert "不含PEI板" in answer_facts(analyse("pro的热床组件带pei板吗"), "zh", bed).reply
