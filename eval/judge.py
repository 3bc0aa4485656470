"""An LLM as a second grader of answers (`xiaoer eval --judge`).

`answer_contains` is strict about wording: "you pay the return postage" fails a case that
expects "buyer pays". The judge reads the question, the reference strings and the reply
and says whether the reply answers correctly; `judge_accuracy` sits beside
`answer_accuracy`, and `judge_agreement` says how often the two graders agree. Personal
data is masked before anything is sent, as for the answering LLM.
"""

from __future__ import annotations

import json
import logging
import re

from pydantic import BaseModel

from xiaoer.privacy import mask_pii
from xiaoer.settings import Settings

log = logging.getLogger(__name__)

JUDGE_PROMPT = """You grade replies of an online shop's customer-service assistant.
You get the shopper's question, reference facts (any correct reply states at least one of
them, possibly in other words or another language) and the assistant's reply.
The reply is correct when it answers the question and agrees with the reference facts.
A reply that only says it is unsure, or hands over to a colleague, is not correct.
Answer with one JSON object and nothing else: {"correct": true or false, "reason": "<one short sentence>"}"""

_OBJECT = re.compile(r"\{.*\}", re.S)


class Verdict(BaseModel):
    correct: bool
    reason: str = ""


class LLMJudge:
    def __init__(self, settings: Settings) -> None:
        if not settings.llm_enabled:
            raise ValueError("the judge needs an LLM: set OPENAI_API_KEY (and OPENAI_BASE_URL for vLLM, Ollama…)")
        from langchain_openai import ChatOpenAI

        self.model = ChatOpenAI(
            model=settings.llm_model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout,
            max_retries=1,
            temperature=0.0,
        )

    def grade(self, question: str, reference: list[str], reply: str) -> Verdict | None:
        """The verdict, or None when the endpoint fails or says something that is not one
        (counted as `judge_errors`, never as right or wrong)."""
        facts = "\n".join(f"- {mask_pii(r)}" for r in reference)
        messages = [
            ("system", JUDGE_PROMPT),
            ("human", f"Question:\n{mask_pii(question)}\n\nReference facts:\n{facts}\n\nReply:\n{mask_pii(reply)}"),
        ]
        try:
            text = str(self.model.invoke(messages).content)
        except Exception as exc:  # noqa: BLE001 - endpoint down, timeout: the case stays unjudged
            log.warning("judge call failed: %s", exc.__class__.__name__)
            return None
        found = _OBJECT.search(text)
        try:
            return Verdict.model_validate(json.loads(found.group(0))) if found else None
        except ValueError:
            log.warning("judge said something that is not a verdict: %r", text[:200])
            return None
