"""Confidence as the probability of being right on a shop the bot has never seen.

The answerer's scores (bot/answerability.py for FAQ rows and policy passages, how surely the
product is named for a product record's facts) were fitted and tuned on the dev shops, where
they run high: on shops nobody had tuned for, record answers at 0.97 were right ~88% of the
time and FAQ answers at 0.70-0.75 about half the time. ``bench/first_sight.py`` maps them to
the share right on first-sight outcomes (each blind dev shop run with the code of the commit
that added it) and writes bot/data/first_sight.json:

* an FAQ row's or a passage's probability goes through that kind's isotonic map, fitted on
  the answers sent and those held back below the threshold (graded all the same);
* a record answer's confidence is a logistic model of how the product was named (in full, in
  part, or the product in focus) and how many of the question's words the record does not
  explain (``bot.catalog.unexplained_words``: "royal jelly freeze dried powder" answered from
  the fresh royal jelly's record leaves "dried" and "powder").

The answer threshold is then read against these: an answer goes out when it is at least that
likely to be right.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

FIRST_SIGHT_FILE = Path(__file__).with_name("data") / "first_sight.json"
GROUNDED_KINDS = ("faq", "passage")  # answers read as text from an FAQ row or a document's sentences


@lru_cache(maxsize=1)
def _maps() -> dict:
    return json.loads(FIRST_SIGHT_FILE.read_text(encoding="utf-8"))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def grounded_confidence(kind: str, probability: float) -> float:
    """An FAQ row's (``kind`` "faq") or a passage's ("passage") probability of answering, as
    the share right on first sight; any other kind (a product chunk read as text) unchanged."""
    if kind not in GROUNDED_KINDS:
        return probability
    fitted = _maps()[kind]
    return round(float(np.interp(probability, fitted["x"], fitted["y"])), 4)


def record_features(how: str, unexplained: int) -> list[float]:
    """The record model's inputs (bench/first_sight.py fits it on the same)."""
    return [float(how == "part"), float(how == "focus"), float(unexplained == 1), float(unexplained >= 2)]


def record_confidence(how: str, unexplained: int) -> float:
    """A product record's answer: ``how`` the product was found ("named" in full, in "part" or
    by meaning, or the one in "focus"; bot.catalog.how_found), ``unexplained``: how
    many of the question's words its record does not explain."""
    fitted = _maps()["product"]
    z = sum(w * f for w, f in zip(fitted["weights"], record_features(how, unexplained))) + fitted["bias"]
    return round(_sigmoid(z), 4)
