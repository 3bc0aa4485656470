"""A service said as one character (退, 修, 洗): the topic of the question, held inside the
shop's own words (退货, 维修), and searched with them. Each on a small shop of our own."""

from bot.answerability import content_words
from retrieval.tokenize import action_character, words_holding
from tests.test_answer_subject import ask, small_shop

FAQ = ("问题,答案\n"
       "壁纸可以自己贴吗,可以，素色无纺布壁纸新手也容易上手，店铺首页有视频教程。\n"
       "壁纸有味道吗,E0级环保标准，拆封后会有轻微的纸张气味，开窗通风3-7天即可消散。\n"
       "壁纸起泡怎么办,刚贴完出现小气泡是正常的，胶水干透后大多会消失。\n"
       "可以退货吗,未拆封、未裁剪的商品支持7天无理由退货。\n"
       "几天发货,付款后48小时内发货。\n")


def test_a_one_character_service_is_a_content_word_of_faq_questions_only():
    assert action_character("退") and action_character("修") and action_character("洗")
    assert not action_character("买") and not action_character("用") and not action_character("没")
    assert "退" in content_words(["没", "拆", "壁纸", "退"], actions=True)
    assert "退" not in content_words(["没", "拆", "壁纸", "退"])  # a product record's words: no service asked of it
    assert words_holding("退", {"退货": 5, "退款": 3, "无理由退货": 2, "壁纸": 9}) == ["退货", "退款"]


PAINT_FAQ = ("问题,答案\n"
             "乳胶漆有味道吗,本店乳胶漆为净味配方，刷完开窗通风3天即可入住。\n"
             "乳胶漆一桶能刷多少,5L一桶约可刷35平米（两遍）。\n"
             "乳胶漆能放多久,未开桶的乳胶漆保质期36个月。\n")
PAINT_POLICY = """# 售后

## 退换
- 未开桶的乳胶漆支持7天无理由退货。
- 电脑调色的乳胶漆属于定制商品，非质量问题不退不换。

## 活动
- 店庆期间全店满500元减50元，满1000元减120元。
"""


def test_a_one_character_service_finds_the_policy_sentence_that_speaks_of_it(assistant):
    with small_shop(assistant, "action-verbs-paint", faq_zh=PAINT_FAQ, policy_zh=PAINT_POLICY) as merchant:
        # Before: 退 and 减 were no words of these questions; the paint rows (漆) were all
        # they held, and nothing answered sure enough.
        returned = ask(assistant, merchant, "调过色的漆能退吗")
        assert "不退不换" in returned.reply and returned.handoff is None, returned.reply
        off = ask(assistant, merchant, "满多少减多少")
        assert "满500元减50元" in off.reply and off.handoff is None, off.reply


def test_can_i_return_it_is_answered_by_the_return_row_not_the_rows_of_the_product(assistant):
    with small_shop(assistant, "action-verbs", faq_zh=FAQ) as merchant:
        turn = ask(assistant, merchant, "没拆的壁纸能退吗")
        # Before: 退 was no word of the question, so any 壁纸 row covered it ("可以，…新手也容易上手" at 0.79).
        assert "新手" not in turn.reply and "气味" not in turn.reply, turn.reply
        assert "7天无理由退货" in turn.reply or turn.handoff is not None, turn.reply
        assert "7天无理由退货" in ask(assistant, merchant, "能退吗").reply


def test_a_modal_before_an_after_sale_verb_leaves_the_verb():
    from retrieval.tokenize import tokenize

    assert "换" in tokenize("鞋子小了 想换大一码") and "想换" not in tokenize("鞋子小了 想换大一码")
    assert tokenize("能修吗") == ["修"]
    # words of their own, and verbs that ask what a product can do, stay whole
    assert "可靠" in tokenize("质量可靠吗") and "要求" in tokenize("有什么要求")
    assert tokenize("能装吗") == ["能装"]
