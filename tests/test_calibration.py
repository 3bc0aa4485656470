"""Confidence as the share of answers right on shops the bot never saw (bot/calibration.py)."""

import json

from bot.calibration import FIRST_SIGHT_FILE, grounded_confidence, record_confidence

from tests.test_answer_subject import small_shop


def test_the_shipped_maps_are_the_fit_of_the_shipped_first_sight_outcomes():
    from bench.first_sight import fit_maps, load_outcomes

    assert fit_maps(load_outcomes()) == json.loads(FIRST_SIGHT_FILE.read_text(encoding="utf-8"))


def test_a_surer_score_never_maps_lower():
    for kind in ("faq", "passage"):
        mapped = [grounded_confidence(kind, i / 100) for i in range(101)]
        assert all(0.0 <= a <= b <= 1.0 for a, b in zip(mapped, mapped[1:]))
    assert grounded_confidence("product", 0.9) == 0.9  # a product chunk read as text: no map of its own


def test_words_a_record_does_not_explain_make_its_answer_less_sure():
    for how in ("named", "part"):
        assert record_confidence(how, 0) > record_confidence(how, 1) > record_confidence(how, 2) == record_confidence(how, 5)


def test_a_record_that_leaves_two_words_of_the_question_unexplained_is_no_answer(assistant):
    # "freeze dried powder" of the fresh royal jelly's record: that record answers another
    # product's price, not the powder's (a shop that sells both, the powder named in Chinese only).
    catalog = [{"sku": "FRESH", "title": "新鲜蜂王浆 冷链", "aliases": ["royal jelly"], "price": 168},
               {"sku": "POWDER", "title": "蜂王浆冻干粉 60g", "price": 158}]
    with small_shop(assistant, "calibration-jelly", catalog) as merchant:
        asked = assistant.answer(merchant, "price of the royal jelly freeze dried powder?", "en")
        assert "168" not in asked.reply
        plain = assistant.answer(merchant, "price of the royal jelly?", "en")
        assert "168" in plain.reply and not plain.handoff
        assert plain.confidence == record_confidence("named", 0)
