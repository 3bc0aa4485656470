"""A refund request told as the shopper's situation opens with the shop's rule for that
situation (session 25), only when the rule found speaks of it."""

from bot.question import refund_question
from tests.test_answer_subject import ask, small_shop


def test_the_situation_a_refund_request_tells_picks_the_shops_question():
    assert "还没发货" in refund_question("拍错了 还没发货 帮我取消", "zh")[0]
    assert "质量问题" in refund_question("收到就不亮灯 坏的 我要退款", "zh")[0]
    assert "描述不符" in refund_question("颜色跟图片不一样 我要退", "zh")[0]
    assert "拆封" in refund_question("蛋白粉喝了一半 味道受不了 能退吗", "zh")[0]
    assert "无理由" in refund_question("拍错规格了 想退 还没拆", "zh")[0]
    assert refund_question("changed my mind, still sealed, I want a refund", "en")[0] == "I changed my mind. Can I return it?"
    # A quality problem named only as an exception is no quality rule.
    speaks = refund_question("收到的泳池有个洞 我要退货", "zh")[1]
    assert not speaks.search("签收后7天内支持无理由退换（已注水使用的不支持，质量问题除外）")
    assert speaks.search("质量问题：签收后15天内免费换新，来回运费由本店承担。")


def test_a_refund_request_opens_with_the_rule_for_its_situation(assistant):
    policy = ("# 退换货\n\n- 签收后7天内，商品未拆封、不影响二次销售的，支持7天无理由退货，退货运费由买家承担。\n"
              "- 拆封使用过的商品不支持无理由退货，质量问题除外。\n")
    with small_shop(assistant, "refund-situation", policy_zh=policy) as merchant:
        reply = ask(assistant, merchant, "拍错型号了 还没拆 想退").reply
        assert "7天无理由" in reply and reply.index("7天") < reply.index("\n"), reply  # the rule, then the recovery flow
        # A fault: the shop wrote no quality rule, and its change-of-mind rule answers no fault.
        reply = ask(assistant, merchant, "收到的水壶有个洞 漏水 我要退货").reply
        assert "7天" not in reply, reply
