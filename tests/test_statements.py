"""A passage's statements carry what they lean on: a list item its lead-in, a table row its
header, a later sentence its item's label."""

from knowledge.statements import statements, without_repeated_leads


def test_list_items_carry_their_lead_in():
    text = "以下商品不支持无理由退换货：\n1. 刻字、定制商品；\n2. 耳钉、耳环一经拆封（出于卫生原因）；\n\n其他商品支持7天无理由退货。"
    assert statements(text) == [
        "以下商品不支持无理由退换货：刻字、定制商品；",
        "以下商品不支持无理由退换货：耳钉、耳环一经拆封（出于卫生原因）；",
        "其他商品支持7天无理由退货。",
    ]


def test_a_nested_lead_in_ends_with_its_items():
    text = "- 退货运费：\n  - 无理由退货，运费由买家承担。\n  - 质量问题，运费由我们承担。\n- 拆封使用过的不支持无理由退货。"
    assert statements(text) == [
        "退货运费：无理由退货，运费由买家承担。",
        "退货运费：质量问题，运费由我们承担。",
        "拆封使用过的不支持无理由退货。",
    ]


def test_table_rows_are_read_with_their_header():
    text = "| 商品 | 质保期 | 说明 |\n|---|---|---|\n| 车载吸尘器 V8 | 主机1年，电池6个月 | 滤芯为耗材 |\n| 手机支架 | 1年 | |"
    assert statements(text) == ["车载吸尘器 V8：质保期 主机1年，电池6个月；说明 滤芯为耗材", "手机支架：质保期 1年"]
    english = "| Item | Warranty |\n|---|---|\n| Heron pen | 12 months |"
    assert statements(english) == ["Heron pen: Warranty 12 months"]


def test_later_sentences_keep_the_label_of_their_item():
    text = "2. **猫爬架**：结构件质保1年。剑麻柱属于易耗品，不在保修范围内。"
    assert statements(text) == ["猫爬架：结构件质保1年。", "猫爬架：剑麻柱属于易耗品，不在保修范围内。"]


def test_a_clock_time_is_not_a_label():
    text = "每日16:00前付款当天发出。周日顺延。"
    assert statements(text) == ["每日16:00前付款当天发出。", "周日顺延。"]


def test_english_sentences_split_at_full_stops_but_not_in_numbers():
    text = "Orders paid before 3:00 pm ship the same day. Parcels weigh 3.5 kg at most. Questions?"
    assert statements(text) == ["Orders paid before 3:00 pm ship the same day.", "Parcels weigh 3.5 kg at most.", "Questions?"]


def test_statements_quoted_together_say_their_lead_in_once():
    assert without_repeated_leads(["退款时效：仓库2天内退款。", "退款时效：支付宝当天到账。"]) == ["退款时效：仓库2天内退款。", "支付宝当天到账。"]
    assert without_repeated_leads(["Holiday returns: until 31 January.", "Gift wrap: not refunded."]) == [
        "Holiday returns: until 31 January.", "Gift wrap: not refunded."]
