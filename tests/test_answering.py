"""The offline answerer on the bundled demo shop, in both languages."""

import pytest

from bot.turn import TurnRequest


def ask(assistant, merchant, message):
    return assistant.handle(TurnRequest(merchant_id=merchant, message=message))


@pytest.mark.parametrize(
    ("question", "expected", "document"),
    [
        ("退货运费谁出？", "买家承担", "faq_zh.csv"),
        ("付款后多久发货", "48小时", "faq_zh.csv"),
        ("Who pays for return shipping?", "you pay the return postage", "faq_en.csv"),
        ("how long until my order ships", "48 hours", "faq_en.csv"),
        ("云雾三合一冲锋衣多少钱", "599", "catalog.json"),
        ("How much is the Cloudmist 3-in-1 Shell Jacket?", "599", "catalog.json"),
        ("Is the Summit Pro Hardshell in stock?", "out of stock", "catalog.json"),
    ],
)
def test_demo_questions_are_answered_with_citations(assistant, demo_merchant, question, expected, document):
    result = ask(assistant, demo_merchant, question)
    assert expected.casefold() in result.reply.casefold()
    assert result.handoff is None
    assert result.confidence >= assistant.settings.answer_threshold
    assert result.citations and result.citations[0].document == document


def test_answers_come_back_in_the_shoppers_language(assistant, demo_merchant):
    zh = ask(assistant, demo_merchant, "支持花呗分期吗")
    en = ask(assistant, demo_merchant, "Can I pay with Huabei instalments?")
    assert zh.lang == "zh" and any("\u4e00" <= ch <= "\u9fff" for ch in zh.reply)
    assert en.lang == "en" and en.citations[0].document.endswith("_en.csv")


@pytest.mark.parametrize("question", ["你们卖皮划艇吗", "Can you write my resume?", "明天杭州天气怎么样"])
def test_unanswerable_questions_hand_off_instead_of_guessing(assistant, demo_merchant, question):
    result = ask(assistant, demo_merchant, question)
    assert result.handoff["reason"] == "low_confidence" and result.handoff["status"] == "queued"
    assert result.confidence < assistant.settings.answer_threshold
    assert "colleague" in result.reply or "人工客服" in result.reply


def test_policy_passage_answers_quote_the_document(assistant, demo_merchant):
    result = ask(assistant, demo_merchant, "Can personalised embroidered items be returned?")
    assert result.citations[0].document == "policy_en.md"


def test_unknown_merchant_is_a_clear_lookup_error(assistant):
    from bot.turn import UnknownMerchant

    with pytest.raises(UnknownMerchant, match="nobody-here"):
        ask(assistant, "nobody-here", "hello?")


def test_a_fact_in_one_sentence_of_a_long_passage_outranks_a_near_miss_faq(assistant, demo_merchant):
    # The deadline lives only in the policy's returns section, among five other rules; the
    # "how long does a refund take" FAQ matches the wording better as a whole.
    # The answerability gate may decline it (the question's words are half elsewhere); it
    # must never answer with the near-miss FAQ.
    result = ask(assistant, demo_merchant, "袜子拆开包装了还能退吗")
    assert result.citations[0].document == "policy_zh.md"
    assert "拆封" in result.reply or result.handoff is not None


@pytest.mark.parametrize(
    ("shorthand", "word"), [("yfx能赔多少", "运费险"), ("能发sf吗", "顺丰"), ("双11买的", "双十一"), ("双 12 有活动吗", "双十二")]
)
def test_shoppers_shorthand_is_folded_into_the_knowledge_bases_words(shorthand, word):
    from retrieval.tokenize import tokenize

    assert word in tokenize(shorthand)
    assert word in tokenize(f"关于{word}的说明")  # the documents' side yields the same token


def test_the_english_embedder_judges_the_head_of_open_english_questions_only(assistant, demo_merchant):
    from bot.extractive import ENGLISH_RERANK_DEPTH, ExtractiveAnswerer
    from retrieval.embedders import get_embedder

    class Recording:
        def __init__(self, inner):
            self.inner, self.calls = inner, []

        def embed(self, texts):
            self.calls.append(texts)
            return self.inner.embed(texts)

    english = Recording(get_embedder("minilm"))
    blended = ExtractiveAnswerer(assistant.retriever.embedder, assistant.settings.answer_threshold, english)
    plain = ExtractiveAnswerer(assistant.retriever.embedder, assistant.settings.answer_threshold)

    evidence, tokens = assistant.evidence(demo_merchant, "运费险能赔多少钱")
    assert blended.answer("运费险能赔多少钱", "zh", evidence, tokens) == plain.answer("运费险能赔多少钱", "zh", evidence, tokens)
    assert not english.calls

    sure = "Who pays for return shipping?"  # USE alone is sure: no second opinion is paid for
    evidence, tokens = assistant.evidence(demo_merchant, sure)
    assert blended.answer(sure, "en", evidence, tokens) == plain.answer(sure, "en", evidence, tokens)
    assert not english.calls

    question = "how many days does shipping to Beijing take?"
    evidence, tokens = assistant.evidence(demo_merchant, question)
    with_second_opinion, alone = blended.answer(question, "en", evidence, tokens), plain.answer(question, "en", evidence, tokens)
    assert english.calls[0] == [question]
    assert len(english.calls) - 1 <= ENGLISH_RERANK_DEPTH  # one batch per head chunk, cached after
    assert with_second_opinion.confidence != alone.confidence
    # Beijing is in neither FAQ: the delivery-time row is right, or the bot declines.
    assert "2-4 days" in with_second_opinion.reply or with_second_opinion.handoff


# The demo shop's own near misses (issue 12): each is answered right or declined, never
# answered from the nearby FAQ that merely shares words.
@pytest.mark.parametrize(
    "question, right",
    [
        ("几天发货？", "48小时"),
        ("可以用微信支付吗？", None),  # 微信: a word the shop never uses carries most of the question
        ("冲锋衣可以刺绣名字吗", None),
        ("Do you offer a student discount?", None),
        ("Do you sell tents?", None),
    ],
)
def test_demo_near_misses_are_answered_right_or_declined(assistant, demo_merchant, question, right):
    result = ask(assistant, demo_merchant, question)
    if right is None:
        assert result.handoff is not None and result.confidence < 0.5, result.reply
    else:
        assert right in result.reply or result.handoff is not None, result.reply


def test_a_follow_up_resolves_against_the_product_in_focus(assistant, demo_merchant):
    first = ask(assistant, demo_merchant, "云雾冲锋衣多少钱")
    assert "599" in first.reply
    colour = assistant.handle(TurnRequest(merchant_id=demo_merchant, message="有藏青色的吗", conversation_id=first.conversation_id))
    assert "有的" in colour.reply and "云雾" in colour.reply and "藏青" in colour.reply
    # A colour the record does not list is for a person to answer (it may be made in more
    # colours than are listed): no sure "no".
    other = ask(assistant, demo_merchant, "云雾冲锋衣多少钱")
    blue = assistant.handle(TurnRequest(merchant_id=demo_merchant, message="有蓝色的吗", conversation_id=other.conversation_id))
    assert blue.handoff is not None and "没有" not in blue.reply
    ack = assistant.handle(TurnRequest(merchant_id=demo_merchant, message="好的", conversation_id=first.conversation_id))
    assert ack.route == "chitchat" and "599" not in ack.reply


def test_the_product_in_view_answers_a_question_that_names_nothing(assistant, demo_merchant):
    result = assistant.handle(TurnRequest(merchant_id=demo_merchant, message="还有库存吗", product="QS-JK-001"))
    assert "库存" in result.reply and result.handoff is None


def test_a_safety_report_escalates_at_once_with_priority(assistant, demo_merchant):
    result = ask(assistant, demo_merchant, "充电的时候冒烟了，差点着火")
    assert result.handoff is not None and result.handoff["reason"] == "safety" and result.handoff["priority"] == "urgent"


def test_an_answer_about_other_measurements_is_not_sent():
    from bot.question import measurements_fit

    assert not measurements_fit("178cm 160斤穿什么码", "身高175cm、体重70kg一般建议穿L码")
    assert measurements_fit("孩子122公分，童装买多大的", "110-120cm选110码，121-130cm选120码")
    assert measurements_fit("裤子腰围80cm左右选几码", "29码腰围约74cm，30码约76cm，31码约79cm，32码约81cm，34码约86cm")
    assert measurements_fit("退货运费谁出", "运费由买家承担")
    # Instalments count too: 24 (or 6) instalments are not the 3 the shop offers.
    assert not measurements_fit("花呗能分24期吗", "单笔满300元可享花呗3期免息；6期和12期需自行承担手续费")
    assert not measurements_fit("花呗能分6期免息吗", "单笔满300元可以使用花呗3期免息")
    assert measurements_fit("能分6期吗", "3期免息，6期和12期需手续费")
    # An option asked for by its measure needs an answer that speaks of that measure.
    assert not measurements_fit("灯串有20米的吗", "LED铜线灯串防水等级为IP65，可户外使用")
    assert measurements_fit("灯串有20米的吗", "长度可选：10米、20米")
    assert measurements_fit("买了2米的 能退吗", "签收后7天内可申请无理由退货")  # a measure told, not asked for


def test_the_size_question_with_other_measurements_is_declined(assistant, demo_merchant):
    result = ask(assistant, demo_merchant, "178cm 160斤穿什么码")
    assert "XL" in result.reply or result.handoff is not None, result.reply


def test_a_question_mostly_about_words_the_shop_never_uses_is_capped_below_the_threshold():
    from bot.answerability import VETOED, Features, probability

    close = dict(similarity=0.75, coverage=0.5, uncovered=0.6, ask_fits=True, margin=0.35, match=0.7)
    assert probability(Features(unknown=0.0, **close)) > 0.5
    assert probability(Features(unknown=0.6, **close)) <= VETOED


def test_a_time_of_day_or_a_spending_threshold_needs_that_kind_of_fact():
    from bot.question import analyse, answer_fits

    assert analyse("几点前下单能当天发").ask == "time"
    assert analyse("whats the cutoff time for same day shipping").ask == "time"
    assert answer_fits("time", "每日16:00前付款的现货订单当天发出")
    assert not answer_fits("time", "现货付款后48小时内发货")
    # A clock time stamping a date is when an event begins or ends, not a time of day.
    assert not answer_fits("time", "活动时间：6月1日 00:00 - 6月20日 23:59，活动期间发货延长至72小时")
    assert analyse("满多少发顺丰啊").ask == "price"
    assert not answer_fits("price", "默认发中通快递；18K金商品发顺丰快递并保价。")


def test_place_names_are_found_in_both_languages_and_nothing_else():
    from bot.places import place_words, speaks_of_places

    assert place_words("发广州大概几天到") == {"广州"}
    assert place_words("do you ship to hong kong?") == {"hong", "kong"}
    assert "singapore" in place_words("do you ship to Singapore?")
    assert "beijing" in place_words("how many days to Beijing?")
    for text in ("能发京东快递吗", "开封后能退吗", "能用微信付款吗", "上门安装吗"):
        assert not place_words(text), text
    assert speaks_of_places("发货后大部分省份2-4天送达")
    assert speaks_of_places("Sorry, we only ship within mainland China.")
    assert not speaks_of_places("默认发中通快递；新疆、西藏除外")  # a few places named are no class


@pytest.mark.parametrize(("question", "expected"), [("发广州大概几天到", "2-4天"), ("how many days to Beijing?", "2-4 days")])
def test_a_destination_the_shop_never_wrote_is_no_other_topic(assistant, demo_merchant, question, expected):
    result = ask(assistant, demo_merchant, question)
    assert expected in result.reply and result.handoff is None, result.reply


def test_a_destination_the_shop_never_wrote_is_not_answered_by_a_rule_with_unnamed_exceptions(assistant, merchant_id, tmp_path):
    from bot.places import leaves_places_out

    assert leaves_places_out("全店满49元包邮（偏远地区除外）") and not leaves_places_out("江浙沪1-2天，其他省份2-4天")
    (tmp_path / "faq_zh.csv").write_text("问题,答案\n包邮吗,全国大部分地区包邮，偏远地区除外。\n几天到,江浙沪1-2天，其他省份2-4天。\n",
                                         encoding="utf-8")
    assistant.knowledge.ensure_merchant(merchant_id)
    assistant.knowledge.ingest_paths(merchant_id, [tmp_path / "faq_zh.csv"])
    assert ask(assistant, merchant_id, "海南包邮吗").handoff is not None  # is Hainan one of the exceptions? unsaid
    assert "2-4天" in ask(assistant, merchant_id, "发广州几天到").reply


def test_policy_passages_are_calibrated_on_their_own():
    from dataclasses import replace

    from bot.answerability import Features, probability

    # A passage states its fact in a sentence unlike the question, and the model, fitted mostly
    # on FAQ rows, under-rates it: on the fifteen dev shops passages the model put at 0.6-0.7
    # were right 78 % of the time. The isotonic map lifts those; an FAQ row keeps the model's own figure.
    row = Features(similarity=0.45, coverage=0.67, uncovered=0.0, unknown=0.0, ask_fits=True, margin=0.02, match=0.43)
    raw = probability(row)
    assert 0.55 < raw < 0.7
    assert probability(replace(row, passage=True)) > max(raw, 0.75)
    vetoed = replace(row, passage=True, ask_fits=False)
    assert probability(vetoed) <= 0.3  # a passage without the kind of fact asked stays capped


@pytest.mark.parametrize(("message", "lang"), [
    ("退款到哪了 琴寄回去都三天了", "zh"), ("申请退款三天了 钱怎么还没到", "zh"),
    ("I'm still waiting for my refund, sent the desk back last week", "en"), ("where's my refund??", "en"),
])
def test_tracking_a_refund_asks_how_long_a_refund_takes(message, lang):
    from bot.question import REFUND_STATUS_QUESTION, as_asked

    assert as_asked(message, lang) == REFUND_STATUS_QUESTION[lang]


@pytest.mark.parametrize("message", ["退款多久到账", "我要退款", "How do I return this?", "can I get a refund if it doesn't fit"])
def test_other_refund_questions_are_asked_as_written(message):
    from bot.question import as_asked

    assert as_asked(message, "zh") is None


def test_a_refund_tracked_with_a_story_gets_the_shops_refund_time(assistant, demo_merchant):
    result = ask(assistant, demo_merchant, "I'm still waiting for my refund, sent the jacket back last week")
    assert result.handoff is None and "business days" in result.reply, result.reply


@pytest.mark.parametrize(("message", "lang"), [("花盆到了碎成两半了", "zh"), ("脚垫收到有个角裂了", "zh"),
                                               ("my ceramic pot arrived cracked", "en")])
def test_a_parcel_that_arrived_damaged_asks_the_shops_damage_question(message, lang):
    from bot.question import DAMAGE_QUESTION, plain_question

    assert plain_question(message, lang) == DAMAGE_QUESTION[lang]


@pytest.mark.parametrize(("message", "lang"), [("今天下午5点拍的 今天能发不", "zh"), ("我下午三点付的款今天能发吗", "zh"),
                                               ("if i pay now will you ship it today?", "en")])
def test_whether_an_order_ships_today_asks_the_shops_cut_off_time(message, lang):
    from bot.question import CUTOFF_QUESTION, analyse, plain_question

    assert analyse(message).ask == "time"  # the answer must hold a clock time
    assert plain_question(message, lang) == CUTOFF_QUESTION[lang]


@pytest.mark.parametrize("message", ["羽绒服买了半年拉链坏了，保修吗", "会不会压坏", "收到了 谢谢"])
def test_other_messages_are_no_damage_report(message):
    from bot.question import plain_question

    assert plain_question(message, "zh") is None


def test_a_damage_story_gets_the_shops_after_sale_answer(assistant, demo_merchant):
    result = ask(assistant, demo_merchant, "冲锋衣到了 拉链头断了 袖子还有个口子")
    assert result.handoff is None and "拍照" in result.reply, result.reply


def test_sending_to_a_place_leaves_the_place_as_what_is_asked():
    from bot.answerability import content_words
    from retrieval.tokenize import tokenize

    assert content_words(tokenize("发到广州要几天")) == ["广州"]  # jieba's 发到 is the sending, not a topic
    assert "收到" in content_words(tokenize("收到窗帘全是折痕咋办"))  # receiving is what a damage story is about


def test_what_a_thing_is_wanted_for_is_no_topic_word():
    from bot.answerability import content_words
    from retrieval.tokenize import tokenize

    assert content_words(tokenize("能开专票吗 公司报销用")) == ["专票", "公司"]  # 报销 is why, not what


def test_how_much_extra_and_money_units_are_asking_words():
    from bot.answerability import content_words
    from retrieval.tokenize import tokenize

    assert content_words(tokenize("能发顺丰吗 要加多少钱")) == ["顺丰"]
    assert content_words(tokenize("我就买了80块钱的东西，要付运费吗")) == ["运费"]


def test_a_product_named_with_nothing_asked_gets_its_card_and_the_focus(assistant, demo_merchant):
    from bot.turn import TurnRequest

    first = assistant.handle(TurnRequest(merchant_id=demo_merchant, message="想买个山岚轻量冲锋衣"))
    assert first.handoff is None and "¥" in first.reply and "库存" in first.reply, first.reply
    again = assistant.handle(TurnRequest(merchant_id=demo_merchant, message="有XL吗", conversation_id=first.conversation_id))
    assert again.handoff is None and "XL" in again.reply, again.reply


@pytest.mark.parametrize("word, other, stands", [
    ("邮费", "运费", True),  # the shopper's word for the shop's
    ("双十二", "双十一", False),  # another day
    ("配竿袋", "鱼竿", False),  # a bag for the rod is no rod
    ("七天无理由", "7天无理由", True),  # one count written two ways
    ("拆开", "拆封", True),  # a two-character verb: its last character is no head
])
def test_a_close_word_stands_in_only_for_the_same_thing(word, other, stands):
    from bot.extractive import stands_in

    assert stands_in(word, other) is stands


@pytest.mark.parametrize("word, other, same", [
    ("下单", "付款", True),  # "几点前下单" is answered by "16:00前付款的订单"
    ("包邮", "免运费", True),
    ("下单", "包邮", False),
    ("付款", "付款", False),  # the same word is held, not stood in for
    ("微信", "支付宝", False),
])
def test_shop_words_for_one_thing_stand_in_for_each_other(word, other, same):
    from bot.extractive import same_shop_word

    assert same_shop_word(word, other) is same


def test_the_day_framing_a_clock_time_question_is_not_its_topic():
    from bot.answerability import features
    from bot.question import analyse
    from retrieval.tokenize import tokenize

    question = "今天几点前拍能当天发"
    passage = "每天16:00前付款的现货订单当天发货，16:00之后付款的次日发货。"
    f = features(analyse(question), tokenize(question), {}, set(tokenize(passage)), passage, 0.5, 0.0, {}, set())
    assert f.uncovered == 0.0 and f.coverage == 1.0  # 今天 frames the time; 当天 is held
    other = features(analyse("今天能发顺丰吗"), tokenize("今天能发顺丰吗"), {}, set(tokenize(passage)), passage, 0.5, 0.0, {}, set())
    assert other.uncovered > 0.0  # not a clock-time question: 今天 and 顺丰 stay words to cover


@pytest.mark.parametrize("question", ["收货4个月了还能开发票吗", "上半年买的 现在还能补开发票吗", "买了两年了还保修吗",
                                      "i bought it 2 months ago, can i still return it?"])
def test_time_gone_by_and_still_asks_a_time_limit(question):
    from bot.question import analyse, answer_fits

    assert analyse(question).ask == "deadline"
    assert answer_fits("deadline", "请在确认收货后 90天内申请发票，逾期不再补开。")
    assert answer_fits("deadline", "整机保修1年") and answer_fits("deadline", "支持7天无理由退货")
    # How long the service takes is no time limit.
    assert not answer_fits("deadline", "可以开电子普通发票，确认收货后在订单页申请，一般3个工作日内开出。")


def test_still_without_time_gone_by_is_a_plain_yes_no():
    from bot.question import analyse

    assert analyse("还能开发票吗").ask == "yes_no"
    assert analyse("几天发货").ask == "duration"


@pytest.mark.parametrize("question", ["双12有啥活动", "双12有啥活动 满减多少", "满多少减多少", "金卡会员打几折", "any deals right now?",
                                      "双11有活动吗", "买两件有优惠没"])
def test_what_a_promotion_gives_is_answered_by_the_offer_not_its_dates(question):
    from bot.question import analyse, answer_fits

    assert analyse(question).ask == "offer"
    assert answer_fits("offer", "全店满300元减40元，满600元减100元")
    assert not answer_fits("offer", "活动时间：2026年12月10日00:00 — 12月12日23:59。活动不可与店铺优惠券叠加使用。")
    assert not answer_fits("offer", "付款后15天内本店降价可补差价；秒杀、赠品及双12活动期间的满减不参与价保。")


def test_a_members_coupon_and_points_are_what_membership_gives():
    from bot.question import analyse, answer_fits

    assert analyse("会员有啥福利").ask == "offer"
    assert answer_fits("offer", "免费入会。新会员可领5元无门槛券，每消费1元积1分，100积分可抵1元。")
    assert not answer_fits("offer", "默认中通快递，不满49元收运费8元。")


def test_a_free_shipping_threshold_is_still_a_price():
    from bot.question import analyse

    assert analyse("满多少包邮").ask == "price"


def test_an_unseen_word_is_not_stood_in_for_by_a_word_it_only_shares_letters_with():
    from bot.answerability import _shares_letters, features
    from bot.question import analyse
    from retrieval.tokenize import tokenize

    assert _shares_letters("paypal", {"pay", "alipay"}) and _shares_letters("paypal", {"payment"})
    assert not _shares_letters("installation", {"install"}) and not _shares_letters("bookshelf", {"bookshelve"})
    answer = "You can pay with Alipay or with Visa/Mastercard through Alipay."
    q = "can I pay with PayPal"
    near = features(analyse(q), tokenize(q), {"pay": 1.0, "paypal": 3.0}, set(tokenize(answer)), answer, 0.5, 0.1,
                    {"paypal": 0.66}, {"paypal"})
    assert near.uncovered > 0.5 and near.unknown > 0.5  # 0.66 to "payment" is the letters, not the meaning


def test_a_count_or_a_day_the_shop_never_writes_is_story_not_another_topic():
    from bot.answerability import features
    from bot.question import analyse
    from retrieval.tokenize import tokenize

    answer = "床垫属于贴身用品，未拆封的可以7天无理由退货；拆封使用后如非质量问题，不支持退货。"
    q = "床垫拆了睡了一晚 还能退吗"
    story = features(analyse(q), tokenize(q), {}, set(tokenize(answer)), answer, 0.6, 0.2, {}, {"一晚"})
    assert story.unknown == 0.0 and story.uncovered > 0.0  # 一晚 is not covered, but it is no topic the shop never wrote
    q = "微信能付款吗"
    other = features(analyse(q), tokenize(q), {}, set(tokenize(answer)), answer, 0.6, 0.2, {}, {"微信"})
    assert other.unknown >= 0.5  # 微信 is
    assert analyse("亲 啥时候发货").ask == "date"  # 啥时候 is 什么时候


def test_a_rule_for_some_regions_is_no_rival_to_a_general_answer():
    from bot.extractive import _another_region

    general = "默认发中通或韵达快递，暂不支持指定快递；需要顺丰的可以拍顺丰补差价链接。"
    regional = "港澳台地区仅支持顺丰到付，不支持中通、韵达。"
    assert _another_region(regional, general, "能发顺丰吗")
    assert not _another_region(regional, general, "香港能发顺丰吗")  # asked for a place: the rule may be the answer
    assert not _another_region(general, regional, "能发顺丰吗")


@pytest.mark.parametrize("question, answer, fits", [
    ("这个几天能发货", "发货后江浙沪一般1-2天送达，其他地区一般3-5天。", False),  # how long it travels once sent
    ("几天发货？", "付款后48小时内发货。", True),
    ("多久能发", "现货48小时内发出，定制款7天。", True),
    ("那发货后几天能到", "发货后江浙沪一般1-2天送达。", True),  # asks the travel itself
    ("发到北京要几天", "顺丰2-3天。", True),
])
def test_when_a_parcel_ships_is_not_answered_by_how_long_it_travels(question, answer, fits):
    from bot.question import events_fit
    assert events_fit(question, answer) is fits


@pytest.mark.parametrize("answer, asked, lists_others", [
    ("Yes, we ship to Hong Kong, Macau, Taiwan, Singapore and Malaysia via our overseas partner.", "do you ship to japan", True),
    ("Yes, we ship to Hong Kong, Macau, Taiwan, Singapore and Malaysia via our overseas partner.", "do you ship to singapore", False),
    ("发货后大部分省份2-4天送达，新疆、西藏等偏远地区需要5-7天。", "发广州几天到", False),  # "most provinces": the rest
    ("We do not ship directly overseas; use a consolidation warehouse in China.", "do you ship to singapore", False),
])
def test_a_list_of_places_without_the_one_asked_does_not_answer_for_it(answer, asked, lists_others):
    from bot.places import names_other_places, place_words
    assert names_other_places(answer, place_words(asked)) is lists_others
