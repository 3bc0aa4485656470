"""Shoppers' pinyin shorthand is read as the words it stands for, in Chinese messages only."""

from bot.shorthand import expand_shorthand


def test_shorthand_in_a_chinese_message_is_read_as_its_word():
    assert expand_shorthand("发啥kd") == "发啥快递"
    assert expand_shorthand("能发SF吗 有yfx没") == "能发顺丰吗 有运费险没"


def test_english_words_and_longer_codes_stay_as_typed():
    assert expand_shorthand("can you ship by sf?") == "can you ship by sf?"
    assert expand_shorthand("kdj多少钱") == "kdj多少钱"


def test_the_turn_answers_a_shorthand_question_and_keeps_what_the_shopper_typed(assistant, merchant_id, tmp_path):
    from bot.conversations import history
    from bot.turn import TurnRequest
    from xiaoer.db import session_scope

    (tmp_path / "faq_zh.csv").write_text("问题,答案\n发什么快递,默认发中通快递，江浙沪次日达。\n几天发货,下单后48小时内发货。\n",
                                         encoding="utf-8")
    assistant.knowledge.ensure_merchant(merchant_id)
    assistant.knowledge.ingest_paths(merchant_id, sorted(tmp_path.iterdir()))
    result = assistant.handle(TurnRequest(merchant_id=merchant_id, message="发啥kd"))
    assert result.route == "answer" and "中通" in result.reply
    with session_scope() as s:
        assert [m.text for m in history(s, result.conversation_id) if m.role == "shopper"] == ["发啥kd"]


def test_clipped_service_words_are_one_word_with_the_policys_spelling():
    from retrieval.tokenize import tokenize

    # 价保 / 价格保护 and 专票 / 增值税专用发票: the shopper's clip finds the policy's heading.
    assert "价保" in tokenize("四、价格保护") and "价保" in tokenize("价保几天")
    assert "专票" in tokenize("增值税专用发票需满1000元") and "专票" in tokenize("专票能开吗")


def test_possessives_and_irregular_plurals_are_the_word_itself():
    from retrieval.tokenize import tokenize

    assert tokenize("men's cotton pajamas for children, it's warm") == ["man", "cotton", "pajama", "child", "warm"]
