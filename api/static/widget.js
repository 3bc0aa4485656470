/*!
 * xiaoer shopper widget: one tag on any page opens a chat bubble.
 *
 *   <script src="https://YOUR-XIAOER-HOST/widget.js" data-merchant="SHOP" defer></script>
 *
 * Options (data-* attributes on the script tag):
 *   data-merchant  required: the merchant id
 *   data-lang      "zh" | "en": the UI language (default: <html lang>, then the browser's)
 *   data-order     an order id sent with every message (order-aware refund offers)
 *   data-title     the panel title (default "在线客服" / "Customer service")
 *   data-color     accent colour as #rgb or #rrggbb
 *   data-open      "true": open the panel on load
 *
 * The API base is the folder the script was loaded from, so the tag works on any site.
 * Replies stream over the WebSocket /v1/ws/chat (see api/routes/live.py); if it cannot be
 * used, turns go through POST /v1/chat and agent messages are polled from the transcript.
 * The conversation id is kept in sessionStorage, so a reload continues the conversation.
 *
 * Everything lives in a Shadow DOM (the host page's CSS cannot reach it, ours cannot leak
 * out); every piece of text from the server or the shopper is inserted with textContent.
 * window.XiaoerWidget = {open(), close(), toggle(), conversationId()} for the host page.
 * Plain ES2017, no dependencies, no build step.
 */
(function () {
  "use strict";

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll("script[data-merchant][src]");
    for (var i = all.length - 1; i >= 0; i--) if (/widget\.js(\?|#|$)/.test(all[i].src)) return all[i];
    return null;
  })();
  if (!script) return;
  var merchant = (script.getAttribute("data-merchant") || "").trim();
  if (!merchant) {
    console.error("[xiaoer] the widget's script tag needs data-merchant=\"YOUR_MERCHANT_ID\"");
    return;
  }
  if (window.XiaoerWidget) return; // the tag was included twice

  // --- configuration ---------------------------------------------------------------------

  var BASE = new URL(script.src, location.href).href.replace(/[?#].*$/, "").replace(/\/[^/]*$/, "");
  var WS_BASE = BASE.replace(/^http/, "ws");
  var ORDER = (script.getAttribute("data-order") || "").trim() || null;
  // A signed-in shopper: the shop's server signs the id (HMAC-SHA256 with its identity secret).
  var SHOPPER = (script.getAttribute("data-shopper-id") || "").trim() || null;
  var SHOPPER_HMAC = (script.getAttribute("data-shopper-hmac") || "").trim() || null;
  var COLOR = /^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(script.getAttribute("data-color") || "") ? script.getAttribute("data-color") : null;
  var PREFIX = "xiaoer:" + merchant + ":";
  var POLL_MS = 4000;

  function pickLang() {
    var want = (script.getAttribute("data-lang") || "").toLowerCase();
    if (want.indexOf("zh") === 0) return "zh";
    if (want.indexOf("en") === 0) return "en";
    var page = (document.documentElement.getAttribute("lang") || "").toLowerCase();
    if (page.indexOf("zh") === 0) return "zh";
    if (page.indexOf("en") === 0) return "en";
    var nav = ((navigator.languages && navigator.languages[0]) || navigator.language || "").toLowerCase();
    return nav.indexOf("zh") === 0 ? "zh" : "en";
  }
  var LANG = pickLang();

  var TEXT = {
    zh: {
      title: "在线客服",
      statusBot: "智能客服在线",
      statusQueued: "正在为您转接人工客服…",
      statusHuman: "人工客服为您服务中",
      open: "打开在线客服",
      close: "收起对话窗口",
      human: "转人工",
      humanMessage: "转人工",
      end: "结束对话",
      inputLabel: "输入您的问题",
      placeholder: "请输入您的问题，按 Enter 发送",
      send: "发送",
      welcome: "您好！我是店铺智能客服，商品、尺码、发货、退换货的问题都可以问我。",
      suggestions: ["几天发货？", "退货运费谁出？", "尺码怎么选？"],
      bot: "智能客服",
      agent: function (id) { return "人工客服 " + id; },
      sources: function (n) { return "参考资料（" + n + "）"; },
      hideSources: "收起参考资料",
      handoff: "已为您转接人工客服，请稍候。客服接入后，消息会直接显示在这里。",
      ratePrompt: "请为本次服务打分",
      star: function (n) { return n + " 星"; },
      rateLater: "继续咨询",
      rateThanks: "感谢您的评价！祝您购物愉快。",
      rateFailed: "评价提交失败，请稍后再试。",
      newChat: "开始新对话",
      sendFailed: "消息未发送成功，请稍后重试。",
      tooFast: "您发送得太快了，请稍等片刻再试。",
      unavailable: "抱歉，客服暂时不可用。",
      statusOff: "暂不可用",
      reconnecting: "连接中断，正在重连…"
    },
    en: {
      title: "Customer service",
      statusBot: "Assistant online",
      statusQueued: "Connecting you to a person…",
      statusHuman: "You're chatting with a person",
      open: "Open customer service chat",
      close: "Minimise chat",
      human: "Talk to a person",
      humanMessage: "I'd like to talk to a person",
      end: "End chat",
      inputLabel: "Type your question",
      placeholder: "Ask a question, press Enter to send",
      send: "Send",
      welcome: "Hi! I'm the shop's assistant: ask me about products, sizes, shipping, returns or refunds.",
      suggestions: ["When will my order ship?", "Who pays return shipping?", "How do I pick a size?"],
      bot: "Assistant",
      agent: function (id) { return "Agent " + id; },
      sources: function (n) { return n === 1 ? "1 source" : n + " sources"; },
      hideSources: "Hide sources",
      handoff: "A person will join you shortly. Their messages will appear right here.",
      ratePrompt: "How did we do?",
      star: function (n) { return n === 1 ? "1 star" : n + " stars"; },
      rateLater: "Keep chatting",
      rateThanks: "Thank you for your rating! Have a great day.",
      rateFailed: "Sorry, the rating could not be sent. Please try again.",
      newChat: "Start a new chat",
      sendFailed: "Your message could not be sent. Please try again.",
      tooFast: "You're sending messages too quickly. Please wait a moment and try again.",
      unavailable: "Sorry, chat is unavailable right now.",
      statusOff: "Unavailable",
      reconnecting: "Connection lost, reconnecting…"
    }
  };
  var T = TEXT[LANG];
  var TITLE = (script.getAttribute("data-title") || "").trim() || T.title;

  // --- small helpers -----------------------------------------------------------------------

  var store = {
    get: function (k) { try { return sessionStorage.getItem(PREFIX + k); } catch (e) { return null; } },
    set: function (k, v) { try { sessionStorage.setItem(PREFIX + k, v); } catch (e) { /* storage blocked */ } },
    del: function (k) { try { sessionStorage.removeItem(PREFIX + k); } catch (e) { /* storage blocked */ } }
  };

  /** An element; children are nodes or strings (strings become text nodes, never HTML). */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    var a = attrs || {};
    Object.keys(a).forEach(function (k) {
      var v = a[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return el;
  }

  var SVG = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: { d: "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2h-9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z", fill: true },
    down: { d: "M6 9l6 6 6-6" },
    close: { d: "M6 6l12 12M18 6L6 18" },
    send: { d: "M3.4 20.4l17.5-7.5a1 1 0 0 0 0-1.8L3.4 3.6a1 1 0 0 0-1.4 1.2L4.5 12l-2.5 7.2a1 1 0 0 0 1.4 1.2zM4.5 12H12", stroke2: true },
    person: { d: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0" },
    star: { d: "M12 3.5l2.6 5.3 5.9.9-4.3 4.1 1 5.8-5.2-2.8-5.2 2.8 1-5.8-4.3-4.1 5.9-.9z" },
    doc: { d: "M7 3h7l5 5v13H7zM14 3v5h5" },
    chevron: { d: "M9 6l6 6-6 6" }
  };
  function icon(name, size) {
    var spec = ICONS[name];
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size || 20));
    svg.setAttribute("height", String(size || 20));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", spec.d);
    if (spec.fill) {
      path.setAttribute("fill", "currentColor");
    } else {
      path.setAttribute("fill", spec.stroke2 ? "currentColor" : "none");
      path.setAttribute("stroke", spec.stroke2 ? "none" : "currentColor");
      path.setAttribute("stroke-width", "2");
      path.setAttribute("stroke-linecap", "round");
      path.setAttribute("stroke-linejoin", "round");
    }
    svg.appendChild(path);
    return svg;
  }

  var PIECE = /[\u4e00-\u9fff]{1,3}|\S+\s*|\s+/g; // the same pieces the server streams
  function pieces(text) { return text.match(PIECE) || []; }

  function api(method, path, body) {
    var init = { method: method, credentials: "omit", headers: {} };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(BASE + path, init).then(function (res) {
      if (!res.ok) {
        var err = new Error("HTTP " + res.status);
        err.status = res.status;
        return res.json().then(function (b) { err.detail = String((b && b.detail) || ""); throw err; }, function () { err.detail = ""; throw err; });
      }
      return res.status === 204 ? null : res.json();
    });
  }

  // --- styles (inside the shadow root only) ---------------------------------------------------

  var CSS = [
    ":host{all:initial}",
    "*,*::before,*::after{box-sizing:border-box}",
    ".root{--xe-accent:" + (COLOR || "#0f7b5f") + ";--xe-accent-soft:color-mix(in srgb,var(--xe-accent) 12%,#fff);",
    "position:fixed;right:20px;bottom:20px;z-index:2147483000;color:#1f2328;-webkit-font-smoothing:antialiased;",
    "font:14px/1.55 -apple-system,BlinkMacSystemFont,'Segoe UI','PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC',Roboto,Helvetica,Arial,sans-serif}",
    "button{font:inherit;color:inherit}",
    "button:focus-visible{outline:2px solid var(--xe-accent);outline-offset:2px}",
    ".sr-only{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);border:0;white-space:nowrap}",
    ".launcher{position:relative;width:60px;height:60px;border-radius:50%;border:0;background:var(--xe-accent);color:#fff;cursor:pointer;",
    "display:grid;place-items:center;box-shadow:0 8px 24px rgba(15,23,42,.25);transition:transform .15s ease}",
    ".launcher:hover{transform:translateY(-2px)}",
    ".launcher:focus-visible{outline:3px solid #fff;box-shadow:0 0 0 6px var(--xe-accent)}",
    ".badge{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#e5484d;color:#fff;",
    "font-size:12px;font-weight:600;line-height:20px;text-align:center;box-shadow:0 0 0 2px #fff}",
    ".badge[hidden]{display:none}",
    ".panel{position:fixed;right:20px;bottom:92px;width:380px;height:min(680px,calc(100vh - 112px));min-height:360px;display:flex;flex-direction:column;",
    "background:#f4f5f7;border-radius:16px;overflow:hidden;box-shadow:0 16px 48px rgba(15,23,42,.28),0 2px 8px rgba(15,23,42,.08)}",
    ".panel[hidden]{display:none}",
    ".head{display:flex;align-items:center;gap:10px;padding:12px 8px 12px 14px;background:var(--xe-accent);color:#fff;flex:none}",
    ".head .avatar{width:36px;height:36px;background:rgba(255,255,255,.2);font-size:15px}",
    ".titles{flex:1;min-width:0}",
    ".title{margin:0;font-size:16px;font-weight:600;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".status{margin:0;font-size:12px;line-height:1.4;opacity:.92;display:flex;align-items:center;gap:6px}",
    ".status .dot{width:8px;height:8px;border-radius:50%;background:#6ee7b7;flex:none}",
    ".status[data-state=queued] .dot{background:#fcd34d}",
    ".status[data-state=human] .dot{background:#93c5fd}",
    ".status[data-state=off] .dot{background:#d1d5db}",
    ".iconbtn{flex:none;width:36px;height:36px;border:0;border-radius:8px;background:transparent;cursor:pointer;display:grid;place-items:center;color:inherit}",
    ".iconbtn:hover{background:rgba(255,255,255,.16)}",
    ".log{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px 14px 10px;display:flex;flex-direction:column;gap:12px}",
    ".row{display:flex;gap:8px;align-items:flex-start}",
    ".row.me{justify-content:flex-end}",
    ".avatar{flex:none;width:30px;height:30px;border-radius:50%;display:grid;place-items:center;background:var(--xe-accent);color:#fff;font-size:13px;font-weight:600}",
    ".row.agent .avatar{background:#2f6fdb}",
    ".msg{display:flex;flex-direction:column;gap:4px;min-width:0;max-width:80%}",
    ".row.me .msg{align-items:flex-end}",
    ".who{font-size:12px;color:#6b7280;line-height:1.2}",
    ".bubble{padding:9px 12px;border-radius:14px;background:#fff;white-space:pre-wrap;overflow-wrap:anywhere;box-shadow:0 1px 2px rgba(15,23,42,.06)}",
    ".row.bot .bubble,.row.agent .bubble{border-top-left-radius:4px}",
    ".row.agent .bubble{background:#e8f0fe}",
    ".row.me .bubble{background:var(--xe-accent);color:#fff;border-top-right-radius:4px}",
    ".row.failed .bubble{opacity:.55}",
    ".failnote{font-size:12px;color:#b42318}",
    ".typing{display:inline-flex;gap:4px;padding:4px 2px}",
    ".typing i{width:6px;height:6px;border-radius:50%;background:#9ca3af;animation:xe-blink 1.2s infinite ease-in-out}",
    ".typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}",
    "@keyframes xe-blink{0%,80%,100%{opacity:.25;transform:translateY(0)}40%{opacity:1;transform:translateY(-2px)}}",
    ".srcbtn{align-self:flex-start;display:inline-flex;align-items:center;gap:3px;border:0;background:none;padding:2px 4px 2px 0;",
    "font-size:12px;color:var(--xe-accent);cursor:pointer}",
    ".srcbtn svg{transition:transform .15s ease}",
    ".srcbtn[aria-expanded=true] svg{transform:rotate(90deg)}",
    ".srclist{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}",
    ".srclist[hidden]{display:none}",
    ".src{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:8px 10px;font-size:12px;line-height:1.5;color:#374151}",
    ".src .doc{display:flex;align-items:center;gap:4px;font-weight:600;color:#111827}",
    ".src .doc svg{color:#6b7280;flex:none}",
    ".src .ttl{color:#4b5563;margin-top:2px}",
    ".src .snip{margin-top:4px;color:#6b7280;white-space:pre-wrap;overflow-wrap:anywhere;display:-webkit-box;-webkit-line-clamp:5;-webkit-box-orient:vertical;overflow:hidden}",
    ".quick{display:flex;flex-wrap:wrap;gap:8px;padding-left:38px}",
    ".qbtn{border:1px solid var(--xe-accent);background:#fff;color:var(--xe-accent);border-radius:999px;padding:6px 14px;font-size:13px;line-height:1.3;cursor:pointer}",
    ".qbtn:hover{background:var(--xe-accent-soft)}",
    ".qbtn.primary{background:var(--xe-accent);color:#fff}",
    ".qbtn.primary:hover{filter:brightness(1.08)}",
    ".qbtn:disabled{opacity:.5;cursor:default}",
    ".notice{align-self:center;max-width:92%;text-align:center;font-size:12px;line-height:1.5;color:#4b5563;background:#e5e7eb;padding:5px 12px;border-radius:12px}",
    ".notice.handoff{background:#fef3c7;color:#7c4a03}",
    ".notice.error{background:#fee4e2;color:#b42318}",
    ".card{align-self:stretch;background:#fff;border-radius:14px;padding:14px 12px;text-align:center;box-shadow:0 1px 3px rgba(15,23,42,.08)}",
    ".card p{margin:0 0 6px;font-weight:600}",
    ".stars{display:flex;justify-content:center;gap:2px}",
    ".stars button{border:0;background:none;cursor:pointer;padding:2px;color:#d1d5db;border-radius:6px;line-height:0}",
    ".stars button.on{color:#f5a623}",
    ".stars button svg path{fill:currentColor;stroke:currentColor}",
    ".card .later,.card .again{margin-top:8px;border:0;background:none;color:#6b7280;font-size:12px;cursor:pointer;text-decoration:underline}",
    ".card .again{color:var(--xe-accent)}",
    ".conn{flex:none;background:#fef3c7;color:#7c4a03;font-size:12px;text-align:center;padding:4px 8px}",
    ".conn[hidden]{display:none}",
    ".tools{flex:none;display:flex;gap:8px;padding:8px 12px 0;background:#fff;border-top:1px solid #eceef1}",
    ".tool{display:inline-flex;align-items:center;gap:4px;border:1px solid #d9dde3;background:#fff;border-radius:999px;padding:3px 10px;font-size:12px;color:#374151;cursor:pointer}",
    ".tool:hover{border-color:var(--xe-accent);color:var(--xe-accent)}",
    ".tool:disabled{opacity:.45;cursor:default;border-color:#d9dde3;color:#374151}",
    ".composer{flex:none;display:flex;align-items:flex-end;gap:8px;padding:8px 12px 12px;background:#fff}",
    "textarea{flex:1;min-width:0;resize:none;border:1px solid #d9dde3;border-radius:20px;padding:9px 14px;font:inherit;font-size:14px;line-height:1.4;",
    "max-height:120px;background:#f9fafb;color:inherit;outline:none}",
    "textarea:disabled{opacity:.6}",
    "textarea:focus{border-color:var(--xe-accent);background:#fff;box-shadow:0 0 0 3px var(--xe-accent-soft)}",
    ".send{flex:none;width:40px;height:40px;border:0;border-radius:50%;background:var(--xe-accent);color:#fff;cursor:pointer;display:grid;place-items:center}",
    ".send:disabled{opacity:.4;cursor:default}",
    "@media (max-width:480px){",
    ".root{right:16px;bottom:16px}",
    ".panel{top:0;left:0;right:0;bottom:0;width:auto;height:auto;min-height:0;border-radius:0}",
    ".root.open .launcher{display:none}",
    ".msg{max-width:84%}",
    "textarea{font-size:16px}",
    "}",
    "@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}"
  ].join("\n");

  // --- the DOM -----------------------------------------------------------------------------

  var host = h("div", { id: "xiaoer-widget", "data-merchant": merchant });
  var shadow = host.attachShadow({ mode: "open" });
  shadow.appendChild(h("style", { text: CSS }));

  var badge = h("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  var launcherIcon = h("span", { class: "launcher-icon" }, icon("chat", 28));
  var launcher = h("button", { type: "button", class: "launcher", "aria-label": T.open, "aria-expanded": "false", "aria-controls": "xe-panel" }, launcherIcon, badge);

  var statusText = h("span", { text: T.statusBot });
  var status = h("p", { class: "status", "data-state": "bot" }, h("span", { class: "dot" }), statusText);
  var closeBtn = h("button", { type: "button", class: "iconbtn close", "aria-label": T.close, title: T.close }, icon("down", 22));
  var head = h("header", { class: "head" },
    h("span", { class: "avatar", "aria-hidden": "true" }, icon("chat", 20)),
    h("div", { class: "titles" }, h("h2", { class: "title", id: "xe-title", text: TITLE }), status),
    closeBtn);
  var log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-labelledby": "xe-title" });
  var conn = h("div", { class: "conn", role: "status", hidden: true, text: T.reconnecting });
  var humanBtn = h("button", { type: "button", class: "tool human" }, icon("person", 14), T.human);
  var endBtn = h("button", { type: "button", class: "tool end", disabled: true }, icon("star", 14), T.end);
  var tools = h("div", { class: "tools" }, humanBtn, endBtn);
  var input = h("textarea", { id: "xe-input", rows: "1", "aria-label": T.inputLabel, placeholder: T.placeholder, maxlength: "4000", autocomplete: "off", enterkeyhint: "send" });
  var sendBtn = h("button", { type: "submit", class: "send", "aria-label": T.send, title: T.send, disabled: true }, icon("send", 20));
  var composer = h("form", { class: "composer", novalidate: true },
    h("label", { class: "sr-only", for: "xe-input", text: T.inputLabel }), input, sendBtn);
  var panel = h("section", { class: "panel", id: "xe-panel", role: "dialog", "aria-labelledby": "xe-title", hidden: true },
    head, conn, log, tools, composer);
  var root = h("div", { class: "root", lang: LANG === "zh" ? "zh-CN" : "en" }, panel, launcher);
  shadow.appendChild(root);

  // --- state ---------------------------------------------------------------------------------

  var cid = store.get("conversation");
  var sock = null;            // the live WebSocket, once open
  var connecting = null;      // one being opened
  var sockCid = null;         // the conversation the socket speaks for (the server keeps it per socket)
  var httpChain = Promise.resolve();
  var wsAttempts = 0;
  var wsEverOpened = false;
  var wsGaveUp = typeof WebSocket === "undefined";
  var reconnectTimer = null;
  var wsPending = [];         // turns sent on the socket, answered in order
  var httpPending = 0;
  var rendered = 0;           // transcript messages shown (shopper, bot, agent)
  var agentIds = {};          // agent message ids already shown
  var ticketsShown = {};      // handoff notices already shown
  var needSync = false;
  var unread = 0;
  var quickRow = null;
  var unavailable = false;

  function isOpen() { return !panel.hidden; }

  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
  function toBottom() { log.scrollTop = log.scrollHeight; }
  function append(node, force) {
    var stick = force || nearBottom();
    log.appendChild(node);
    if (stick) toBottom();
    return node;
  }

  function setConversation(id) {
    if (!id || id === cid) return;
    cid = id;
    store.set("conversation", id);
    endBtn.disabled = false;
  }

  function setStatus(state) {
    status.setAttribute("data-state", state);
    statusText.textContent = state === "queued" ? T.statusQueued : state === "human" ? T.statusHuman : T.statusBot;
    store.set("owner", state);
  }

  function bumpUnread() {
    if (isOpen()) return;
    unread += 1;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    badge.hidden = false;
  }

  // --- messages ---------------------------------------------------------------------------------

  function shopperRow(text) {
    var row = h("div", { class: "row me" }, h("div", { class: "msg" }, h("div", { class: "bubble", text: text })));
    rendered += 1;
    return append(row, true);
  }

  function botRow(who) {
    var isAgent = !!who;
    var bubble = h("div", { class: "bubble" });
    var msg = h("div", { class: "msg" }, h("span", { class: "who", text: isAgent ? T.agent(who) : T.bot }), bubble);
    var avatar = h("span", { class: "avatar", "aria-hidden": "true" }, isAgent ? String(who).charAt(0).toUpperCase() : icon("chat", 16));
    var row = h("div", { class: "row " + (isAgent ? "agent" : "bot") }, avatar, msg);
    return { row: row, msg: msg, bubble: bubble };
  }

  function citationsBlock(citations) {
    if (!citations || !citations.length) return null;
    var list = h("ul", { class: "srclist", hidden: true });
    citations.forEach(function (c) {
      list.appendChild(h("li", { class: "src" },
        h("div", { class: "doc" }, icon("doc", 13), h("span", { text: c.document || "" })),
        c.title ? h("div", { class: "ttl", text: c.title }) : null,
        c.snippet ? h("div", { class: "snip", text: c.snippet }) : null));
    });
    var label = h("span", { text: T.sources(citations.length) });
    var btn = h("button", { type: "button", class: "srcbtn", "aria-expanded": "false" }, icon("chevron", 14), label);
    btn.addEventListener("click", function () {
      var open = list.hidden;
      list.hidden = !open;
      btn.setAttribute("aria-expanded", open ? "true" : "false");
      label.textContent = open ? T.hideSources : T.sources(citations.length);
    });
    var frag = document.createDocumentFragment();
    frag.appendChild(btn);
    frag.appendChild(list);
    return frag;
  }

  function notice(text, kind) {
    return append(h("div", { class: "notice" + (kind ? " " + kind : ""), role: kind === "error" ? "alert" : null, text: text }));
  }

  function handoffNotice(handoff) {
    if (!handoff || ticketsShown[handoff.ticket_id]) return;
    ticketsShown[handoff.ticket_id] = true;
    if (handoff.status === "queued" || handoff.status === "claimed") notice(T.handoff, "handoff");
  }

  function showAgentMessage(m) {
    if (agentIds[m.id]) return;
    agentIds[m.id] = true;
    if (m.role === "system") {  // resolved / handed back: the bot speaks for the shop again
      rendered += 1;
      notice(m.text);
      setStatus("bot");
      return;
    }
    var b = botRow(m.agent_id || "");
    b.bubble.textContent = m.text;
    rendered += 1;
    append(b.row);
    setStatus("human");
    bumpUnread();
  }

  function clearQuick() {
    if (quickRow && quickRow.parentNode) quickRow.parentNode.removeChild(quickRow);
    quickRow = null;
  }

  function showQuick(items, replyText) {
    clearQuick();
    if (!items || !items.length) return;
    store.set("quick", JSON.stringify({ reply: replyText, items: items }));
    var row = h("div", { class: "quick", role: "group" });
    items.forEach(function (q) {
      var primary = q.action === "accept_offer";
      var btn = h("button", { type: "button", class: "qbtn" + (primary ? " primary" : ""), text: q.label });
      btn.addEventListener("click", function () {
        var payload = { message: q.label, quick_reply: true };
        if (q.action === "accept_offer" || q.action === "decline_offer") payload.action = q.action;
        if (q.refund_reason) payload.refund_reason = q.refund_reason;
        send(payload);
      });
      row.appendChild(btn);
    });
    quickRow = append(row);
  }

  function welcome() {
    var b = botRow(null);
    b.bubble.textContent = T.welcome;
    append(b.row);
    var row = h("div", { class: "quick suggestions", role: "group" });
    T.suggestions.forEach(function (s) {
      row.appendChild(h("button", { type: "button", class: "qbtn", text: s, onclick: function () { send({ message: s }); } }));
    });
    quickRow = append(row);
  }

  /** A bot bubble that fills in as pieces arrive, then is finalised with the whole result. */
  function newTurn() {
    var b = botRow(null);
    b.bubble.appendChild(h("span", { class: "typing", "aria-label": "…" }, h("i"), h("i"), h("i")));
    append(b.row, true);
    return { b: b, queue: [], text: "", started: false, result: null, timer: null, done: false };
  }

  function tick(turn) {
    turn.timer = null;
    if (turn.done) return;
    if (turn.queue.length) {
      if (!turn.started) { turn.started = true; turn.b.bubble.textContent = ""; }
      var n = Math.max(1, Math.ceil(turn.queue.length / 6));
      turn.text += turn.queue.splice(0, n).join("");
      var stick = nearBottom();
      turn.b.bubble.textContent = turn.text;
      if (stick) toBottom();
    }
    if (turn.queue.length) turn.timer = setTimeout(tick, 28, turn);
    else if (turn.result) finish(turn, turn.result);
  }
  function pump(turn) { if (!turn.timer) turn.timer = setTimeout(tick, 0, turn); }

  function finish(turn, result) {
    turn.done = true;
    if (turn.timer) clearTimeout(turn.timer);
    setConversation(result.conversation_id);
    var reply = result.reply || "";
    if (!reply.trim()) {
      // route "silent": a person holds the conversation, the bot says nothing
      if (turn.b.row.parentNode) turn.b.row.parentNode.removeChild(turn.b.row);
    } else {
      turn.b.bubble.textContent = reply;
      var cites = citationsBlock(result.citations);
      if (cites) turn.b.msg.appendChild(cites);
      rendered += 1;
      bumpUnread();
    }
    handoffNotice(result.handoff);
    setStatus(result.owner === "queued" ? "queued" : result.owner === "human" ? "human" : "bot");
    if (result.quick_replies && result.quick_replies.length && reply.trim()) showQuick(result.quick_replies, reply);
    toBottom();
    settle();
  }

  function fail(turn, shopperEl) {
    turn.done = true;
    if (turn.timer) clearTimeout(turn.timer);
    if (turn.b.row.parentNode) turn.b.row.parentNode.removeChild(turn.b.row);
    if (shopperEl) {
      shopperEl.classList.add("failed");
      shopperEl.firstChild.appendChild(h("span", { class: "failnote", text: T.sendFailed }));
      rendered -= 1; // the server did not keep it
    }
    settle();
  }

  function settle() {
    if (needSync && !wsPending.length && !httpPending) sync();
  }

  // --- sending ---------------------------------------------------------------------------------

  function send(payload) {
    var text = (payload.message || "").trim();
    if (!text || unavailable) return;
    payload.message = text;
    if (ORDER) payload.order_id = ORDER;
    if (SHOPPER && SHOPPER_HMAC) { payload.shopper_id = SHOPPER; payload.shopper_hmac = SHOPPER_HMAC; }
    payload.page = location.href.split("#")[0].slice(0, 2000);  // shown to the agent who takes the chat
    clearQuick();
    store.del("quick");
    var shopperEl = shopperRow(text);
    var turn = newTurn();
    turn.shopperEl = shopperEl;
    if (sock && sock.readyState === 1 && (sockCid === cid || !cid)) {
      wsPending.push(turn);
      var frame = { type: "message" };
      Object.keys(payload).forEach(function (k) { frame[k] = payload[k]; });
      sock.send(JSON.stringify(frame));
    } else {
      if (sock && cid && sockCid !== cid) rebind();
      httpTurn(payload, turn);
    }
  }

  /** The socket speaks for another conversation (one started over HTTP): open a new one. */
  function rebind() {
    var old = sock;
    sock = null;
    old.onclose = null;
    old.close();
    wsPending.splice(0).forEach(function (t) { t.done = true; if (t.b.row.parentNode) t.b.row.parentNode.removeChild(t.b.row); });
    needSync = true;
    connect();
  }

  function httpTurn(payload, turn) {
    httpPending += 1;
    // One at a time, so a second message joins the conversation the first one started.
    httpChain = httpChain.then(function () {
      var body = { merchant_id: merchant, conversation_id: cid };
      Object.keys(payload).forEach(function (k) { body[k] = payload[k]; });
      return api("POST", "/v1/chat", body);
    }).then(function (result) {
      setConversation(result.conversation_id);
      httpPending -= 1;
      turn.result = result;
      turn.queue = pieces(result.reply || "");
      pump(turn);
    }, function (err) {
      httpPending -= 1;
      fail(turn, turn.shopperEl);
      refused(err.status, err.detail || "");
    }).then(null, function (e) { console.error("[xiaoer]", e); });
  }

  // --- the live socket ---------------------------------------------------------------------------

  function connect() {
    if (wsGaveUp || unavailable || sock || connecting || reconnectTimer) return;
    var url = WS_BASE + "/v1/ws/chat?merchant_id=" + encodeURIComponent(merchant) + (cid ? "&conversation_id=" + encodeURIComponent(cid) : "");
    var ws;
    try { ws = new WebSocket(url); } catch (e) { wsGaveUp = true; return; }
    connecting = ws;
    var bound = cid;
    ws.onopen = function () {
      connecting = null;
      wsEverOpened = true;
      wsAttempts = 0;
      sock = ws;
      sockCid = bound;
      conn.hidden = true;
      // Messages written while we were away are in the transcript; new ones are pushed.
      if (cid) sync();
    };
    ws.onmessage = function (ev) {
      var frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      onFrame(frame);
    };
    ws.onclose = function (ev) {
      if (sock === ws) sock = null;
      if (connecting === ws) connecting = null;
      if (ev.code === 4404) { goUnavailable(); return; }
      // Turns in flight may or may not have been answered: the transcript will tell.
      var lost = wsPending.splice(0);
      lost.forEach(function (turn) { turn.done = true; if (turn.b.row.parentNode) turn.b.row.parentNode.removeChild(turn.b.row); });
      if (lost.length) needSync = true;
      wsAttempts += 1;
      var delay = Math.min(15000, 500 * Math.pow(2, wsAttempts - 1)) * (0.8 + Math.random() * 0.4);
      if (!wsEverOpened && wsAttempts >= 3) delay = 60000; // WebSocket blocked here: HTTP, retry now and then
      // While the socket is down, turns go through POST /v1/chat and agent messages are polled.
      conn.hidden = !wsEverOpened;
      reconnectTimer = setTimeout(function () { reconnectTimer = null; connect(); }, delay);
      settle();
    };
  }

  function onFrame(frame) {
    if (frame.type === "token") {
      var turn = wsPending[0];
      if (turn) { turn.queue.push(frame.text); pump(turn); }
    } else if (frame.type === "result") {
      if (frame.result && frame.result.conversation_id) sockCid = frame.result.conversation_id;
      var t = wsPending.shift();
      if (t) { t.result = frame.result; pump(t); }
      else setConversation(frame.result && frame.result.conversation_id);
    } else if (frame.type === "agent_message") {
      showAgentMessage(frame.message);
    } else if (frame.type === "error") {
      var f = wsPending.shift();
      if (f) fail(f, f.shopperEl);
      refused(frame.status, String(frame.detail || ""));
    }
  }

  /** A turn the API refused: an unknown shop disables the widget, an unknown conversation starts afresh. */
  function refused(status, detail) {
    if (status === 404 && /^unknown merchant/.test(detail)) { goUnavailable(); return; }
    if (status === 404 && /^unknown conversation/.test(detail)) resetConversation();
    notice(status === 429 ? T.tooFast : T.sendFailed, "error");
  }

  function goUnavailable() {
    if (unavailable) return;
    unavailable = true;
    clearQuick();
    status.setAttribute("data-state", "off");
    statusText.textContent = T.statusOff;
    notice(T.unavailable, "error");
    input.disabled = true;
    sendBtn.disabled = true;
    humanBtn.disabled = true;
  }

  // --- the transcript (reload, reconnect, and the HTTP fallback) ----------------------------------

  var syncing = false;
  function sync() {
    if (!cid || syncing) return;
    if (wsPending.length || httpPending) { needSync = true; return; }
    needSync = false;
    syncing = true;
    var asked = cid;
    api("GET", "/v1/conversations/" + encodeURIComponent(cid) + "/messages?merchant_id=" + encodeURIComponent(merchant)).then(function (messages) {
      syncing = false;
      if (asked !== cid) return;
      if (wsPending.length || httpPending) { needSync = true; return; }
      if (messages.length === rendered) return; // nothing new
      if (messages.length > rendered && rendered > 0 && onlyNewAgentMessages(messages)) return;
      rerender(messages);
    }, function (err) {
      syncing = false;
      if (err.status === 404 && asked === cid) resetConversation(); // gone (e.g. the shop's data was reset)
    });
  }

  /** New agent messages at the end are appended without redrawing the whole log. */
  function onlyNewAgentMessages(messages) {
    var extra = messages.slice(rendered);
    if (!extra.every(function (m) { return m.role === "agent" || m.role === "system"; })) return false;
    extra.forEach(showAgentMessage);
    return true;
  }

  function rerender(messages) {
    log.textContent = "";
    quickRow = null;
    rendered = 0;
    agentIds = {};
    ticketsShown = {};
    var owner = store.get("owner") || "bot";
    messages.forEach(function (m) {
      if (m.role === "shopper") {
        shopperRow(m.text);
      } else if (m.role === "system") {
        agentIds[m.id] = true;
        notice(m.text);
        rendered += 1;
        owner = "bot";
      } else if (m.role === "agent") {
        agentIds[m.id] = true;
        var a = botRow(m.agent_id || "");
        a.bubble.textContent = m.text;
        append(a.row);
        rendered += 1;
        owner = "human";
      } else {
        var b = botRow(null);
        b.bubble.textContent = m.text;
        var data = m.data || {};
        var cites = citationsBlock(data.citations);
        if (cites) b.msg.appendChild(cites);
        append(b.row);
        rendered += 1;
        if (data.handoff) handoffNotice(data.handoff);
        owner = data.handoff ? "queued" : "bot";
      }
    });
    if (!messages.length) welcome();
    var last = messages[messages.length - 1];
    var saved = null;
    try { saved = JSON.parse(store.get("quick") || "null"); } catch (e) { saved = null; }
    if (last && last.role === "bot" && saved && saved.reply === last.text) showQuick(saved.items, saved.reply);
    endBtn.disabled = !cid;
    setStatus(owner);
    toBottom();
  }

  function resetConversation() {
    cid = null;
    ["conversation", "quick", "owner"].forEach(store.del);
    log.textContent = "";
    quickRow = null;
    rendered = 0;
    agentIds = {};
    ticketsShown = {};
    endBtn.disabled = true;
    setStatus("bot");
    welcome();
    // the socket is bound to the old conversation: start a fresh one
    [sock, connecting].forEach(function (old) { if (old) { old.onclose = null; old.close(); } });
    sock = connecting = null;
    wsPending.splice(0);
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
    connect();
  }

  // HTTP fallback: while the socket is down, agent messages are polled from the transcript.
  setInterval(function () {
    if (cid && !sock && !document.hidden && !unavailable) sync();
  }, POLL_MS);

  // --- rating -----------------------------------------------------------------------------------------

  function rate() {
    if (!cid) return;
    clearQuick();
    var stars = [];
    var card = h("div", { class: "card rating", role: "group", "aria-label": T.ratePrompt });
    var row = h("div", { class: "stars" });
    function light(n) { stars.forEach(function (s, i) { s.classList.toggle("on", i < n); }); }
    for (var i = 1; i <= 5; i++) {
      (function (n) {
        var b = h("button", { type: "button", "aria-label": T.star(n), title: T.star(n) }, icon("star", 30));
        b.addEventListener("mouseenter", function () { light(n); });
        b.addEventListener("focus", function () { light(n); });
        b.addEventListener("click", function () { submit(n); });
        stars.push(b);
        row.appendChild(b);
      })(i);
    }
    row.addEventListener("mouseleave", function () { light(0); });
    var later = h("button", { type: "button", class: "later", text: T.rateLater, onclick: function () { card.remove(); endBtn.disabled = false; } });
    card.appendChild(h("p", { text: T.ratePrompt }));
    card.appendChild(row);
    card.appendChild(later);
    endBtn.disabled = true;
    append(card, true);

    function submit(n) {
      stars.forEach(function (s) { s.disabled = true; });
      light(n);
      api("POST", "/v1/conversations/" + encodeURIComponent(cid) + "/rating", { merchant_id: merchant, rating: n }).then(function () {
        card.textContent = "";
        card.appendChild(h("p", { class: "thanks", role: "status", text: T.rateThanks }));
        var done = h("div", { class: "stars", "aria-hidden": "true" });
        for (var k = 1; k <= 5; k++) {
          var s = h("span", { class: k <= n ? "on" : "" }, icon("star", 20));
          s.style.color = k <= n ? "#f5a623" : "#d1d5db";
          done.appendChild(s);
        }
        card.appendChild(done);
        card.appendChild(h("button", { type: "button", class: "again", text: T.newChat, onclick: resetConversation }));
        endBtn.disabled = false;
        toBottom();
      }, function () {
        stars.forEach(function (s) { s.disabled = false; });
        notice(T.rateFailed, "error");
      });
    }
  }

  // --- wiring -----------------------------------------------------------------------------------------

  function open() {
    if (isOpen()) return;
    panel.hidden = false;
    root.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", T.close);
    launcherIcon.textContent = "";
    launcherIcon.appendChild(icon("down", 28));
    unread = 0;
    badge.hidden = true;
    store.set("open", "1");
    if (!log.childNodes.length && !cid) welcome();
    connect();
    toBottom();
    setTimeout(function () { input.focus(); }, 0);
  }

  function close() {
    if (!isOpen()) return;
    panel.hidden = true;
    root.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", T.open);
    launcherIcon.textContent = "";
    launcherIcon.appendChild(icon("chat", 28));
    store.del("open");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (isOpen()) close(); else open(); });
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  humanBtn.addEventListener("click", function () { send({ message: T.humanMessage, quick_reply: true }); });
  endBtn.addEventListener("click", rate);

  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
    sendBtn.disabled = !input.value.trim() || unavailable;
  }
  input.addEventListener("input", grow);
  input.addEventListener("keydown", function (e) {
    // Enter sends; Shift+Enter is a new line; never while an IME is composing (pinyin!)
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submitInput();
    }
  });
  composer.addEventListener("submit", function (e) { e.preventDefault(); submitInput(); });
  function submitInput() {
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    grow();
    send({ message: text });
  }

  function mount() {
    document.body.appendChild(host);
    if (cid) {
      endBtn.disabled = false;
      sync();      // the transcript, at once
      connect();   // and the live channel (which syncs again once open)
    }
    if (store.get("open") || script.getAttribute("data-open") === "true") open();
  }

  window.XiaoerWidget = {
    open: open,
    close: close,
    toggle: function () { if (isOpen()) close(); else open(); },
    conversationId: function () { return cid; }
  };

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
