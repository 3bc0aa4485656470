import pytest

from bot.safety import is_safety_report


@pytest.mark.parametrize(
    "text",
    [
        "陶瓷刀崩了个小碎片 掉菜里了 孩子可能吃进去了怎么办",
        "充电的时候冒烟了，差点着火",
        "my kid got some of the shoe polish in his mouth what do i do",  # a product in a child's mouth
        "宝宝把珠子放进嘴里了",
        "充电宝鼓包了",
        "孩子用了以后脸上起红疹",
        "狗吃了一直拉肚子还吐了",
        "升降桌往下降的时候夹到孩子手了 手指肿了",
        "the charger started smoking and burned my desk",
        "my cat ate it and has been vomiting all night",
        "用了这个面霜脸上刺痛泛红",
        "拉力绳用着用着崩断了打到脸",
        "哑铃掉下来砸到脚了",
        "the band snapped and hit my eye",
        "I sprained my ankle on the treadmill",
        "宝宝把积木的小零件吞下去了",
        "狗误食了半个玩具",
        "遥控车电池漏液了 孩子手上沾到了",
        "用了眼霜眼睛又红又疼",
        "my son swallowed one of the magnets",
        "拉杆突然断了 把我手划了个大口子 流了好多血",
        "登山杖锁扣突然松了 我摔了一跤脚扭了",  # a fall in use
        "the pole lock slipped and I fell",
        "机器外壳烫得把孩子手烫红了",  # a burn, however mild
        "开了两天轮子松了差点掉",  # a near accident
        "货架装好第二天整层塌下来 差点砸到孩子",  # something heavy falling, nearly on someone
        "转接线接口烧化了",  # burnt out
        "浮潜的时候突然喘不上气 胸口还疼",  # short of breath
        "安全鞋被砸了 压到脚趾 肿的走不了路",  # crushed
        "护腰绑了一天 腿发麻发紫",  # numb, blue
        "老人喝了参茶就流鼻血 睡不着",  # a nosebleed
        "my daughter had a nosebleed after the herbal tea",
        "有人冒充你们店的客服让我转账 被骗了500",  # fraud in the shop's name
        "给了验证码以后号被盗了",
        "I got scammed by someone posing as your support",
        "换硒鼓的时候碳粉撒了 吸进去一直咳嗽",  # breathed in
        "the toner spilled and my son inhaled some, he keeps coughing",
        "开到一半刹车发软差点追尾 人还在抖",  # a near accident on the road
        "the brakes failed on the highway",
        "装了你们发的工具之后 支付宝被人盗刷了两千多",  # money taken
        "there were unauthorized charges on my card after installing it",
        "拔箭的时候碳纤维扎进手里 好疼",  # a splinter driven in
        "got a splinter in my hand from the arrow",
    ],
)
def test_a_report_of_harm_is_a_safety_report(text):
    assert is_safety_report(text)


@pytest.mark.parametrize(
    "text",
    ["敏感肌会不会过敏", "花生过敏能吃这个吗", "is it safe if it gets hot?", "does this cause allergies?", "退货运费谁出",
     "刺痛吗 敏感肌能用吗", "跑步机会不会摔倒", "is it itchy?", "小零件会不会被孩子吞下去", "can my dog swallow the squeaker?",
     "猪肉脯有啥过敏原", "箱子把手划了一下", "包装划破了", "can my baby put it in his mouth?", "鱼油吃完老打嗝 嘴里一股鱼腥味",
     "手机摔了一下", "这个椅子会不会摔倒", "差点就买错了", "面罩会不会喘不上气",
     "your support is rude, scam shop", "会不会有人冒充客服", "长款钱包防盗刷吗", "my app crashed", "刹车灵不灵", "会不会扎手"],
)
def test_a_question_before_anything_happened_is_not(text):
    assert not is_safety_report(text)


def test_a_safety_report_is_a_complaint_whatever_else_it_says(assistant):
    for text in ("电钢琴的电源适配器冒烟了 还有股焦味", "钱包用了几天手上起红疹 痒得不行 是不是皮子有问题"):
        assert assistant.classifier.predict(text).label == "complaint"
    assert assistant.classifier.predict("猪肉脯有啥过敏原").label != "complaint"


def test_harm_told_in_words_the_lexicon_lacks_is_found_by_meaning(assistant, demo_merchant):
    from bot.turn import TurnRequest

    text = "电热毯睡了一晚上 腿上好几块红印子 又疼又痒"  # no word of the lexicon; close to written reports
    assert not is_safety_report(text)
    intent = assistant.classifier.predict(text)
    assert intent.label == "complaint" and intent.reason == "safety"
    result = assistant.handle(TurnRequest(merchant_id=demo_merchant, message=text))
    assert result.handoff is not None and result.handoff["reason"] == "safety" and result.handoff["priority"] == "urgent"
    # Damage, a fault and a question are no report of harm, however close their words.
    for calm in ("收到了 杯子碎了一个 咋办", "充电头用了三天就不充电了", "does the charger get hot?"):
        assert assistant.classifier.predict(calm).reason != "safety"
