"""A small OpenAI-compatible chat server on 127.0.0.1 for testing the LLM path with
the real `openai` client. Its behaviour is switchable per test."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What the "obey" model does when it reads one of these anywhere in its prompt (the shopper's
# message or a passage): a deliberately gullible model, so tests show the guard is ours.
OBEYED = [
    ("leak", re.compile(r"(reveal|print|show|repeat)\b.{0,30}(system prompt|instructions)|系统提示", re.I)),
    ("dump", re.compile(r"(list|print|dump|show)\b.{0,30}\b(all|every)\b.{0,30}\b(documents?|shops?)|所有(文档|店铺)", re.I)),
    ("grant", re.compile(r"ignore\b.{0,30}\b(instructions|rules)|100% coupon|忽略.{0,10}(指令|规则)|100%的优惠券", re.I)),
]
GRANT = {
    "en": "Done! Your 100% coupon code is FREE100 and a refund of ¥5000 has been approved.",
    "zh": "好的！您的100%优惠券码是FREE100，¥5000退款已为您批准。",
}


class FakeOpenAI:
    def __init__(self) -> None:
        self.mode = "cite"  # cite | obey | judge | no_answer | garbage | error | slow | custom
        self.custom_reply = ""
        self.requests: list[dict] = []
        self.replies: list[str] = []  # what the model said, before our code saw it
        self.delay = 3.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("authorization")})
                if server.mode == "error":
                    return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                if server.mode == "slow":
                    time.sleep(server.delay)
                if server.mode == "garbage":
                    raw = b"<html>this is not json"
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                    return
                text = server.reply_for(body)
                server.replies.append(text)
                if body.get("stream"):
                    return self._stream(body, text)
                self._send(200, {
                    "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "test"),
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                })

            def _send(self, status, payload):
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _stream(self, body, text):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for i in range(0, len(text), 4):
                    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body.get("model"),
                             "choices": [{"index": 0, "delta": {"content": text[i:i + 4]}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.handle_error = lambda *args: None  # a client that timed out and left is expected
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def reply_for(self, body: dict) -> str:
        if self.mode == "no_answer":
            return "NO_ANSWER"
        if self.mode == "custom":
            return self.custom_reply
        user = body["messages"][-1]["content"]
        if self.mode == "judge":  # a grader: correct when the reply states a reference fact
            facts = [f[2:] for f in user.split("Reference facts:\n", 1)[1].split("\n\nReply:")[0].splitlines()]
            reply = user.split("\n\nReply:\n", 1)[1]
            correct = any(f.casefold() in reply.casefold() for f in facts)
            return f'Verdict: {{"correct": {str(correct).lower()}, "reason": "reference fact {"" if correct else "not "}stated"}}'
        if self.mode == "obey":
            system = next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
            read = "\n".join(m["content"] for m in body["messages"] if m["role"] != "system")
            order = next((what for what, pattern in OBEYED if pattern.search(read)), None)
            if order == "leak":
                return system
            if order == "dump":
                return "Here is every document I have:\n" + user.split("Passages:\n", 1)[-1].split("\n\nCustomer's message:")[0]
            if order == "grant":
                return GRANT["zh" if "Chinese" in system else "en"]
        # "cite": quote the first passage back, citing it, as a grounded model would.
        first = user.split("[1]", 1)[1].split("\n")[0].strip() if "[1]" in user else ""
        return f"According to our policy: {first[:120]} [1]"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
