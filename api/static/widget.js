/*!
 * xiaoer shopper widget: one tag on any page opens a chat bubble.
 *
 *   <script src="https://YOUR-XIAOER-HOST/widget.js" data-merchant="SHOP" defer></script>
 *
 * Options (data-* attributes on the script tag):
 *   data-merchant  required: the merchant id
 *   data-lang      "zh" | "en": the UI language (default: the browser's, navigator.languages;
 *                  the shopper's choice on the header's 中/EN switch wins over both)
 *   data-order     an order id sent with every message (order-aware refund offers)
 *   data-title     the panel title (default "在线客服" / "Customer service")
 *   data-color     accent colour as #rgb or #rrggbb
 *   data-open      "true": open the panel on load
 *
 * The API base is the folder the script was loaded from, so the tag works on any site.
 * Replies stream over the WebSocket /v1/ws/chat (see api/routes/live.py); if it cannot be
 * used, turns go through POST /v1/chat and agent messages are polled from the transcript.
 * The conversation id and its transcript are kept in localStorage (per merchant), so a
 * reload or another tab continues the conversation, fetching only newer messages (after=).
 * The greeting and its suggestion chips come from GET /v1/merchants/{m}/greeting.
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
  var TYPING_EVERY_MS = 2500;   // the shopper's "typing" frames, at most this often
  var PEER_TYPING_MS = 6000;    // the agent's typing indicator lapses after this
  var MAX_PHOTO_BYTES = 5 * 1024 * 1024;
  var CACHED_MESSAGES = 300;    // transcript messages kept in localStorage

  /** Storage under the merchant's prefix: the conversation in localStorage (shared by the
   * shop's tabs), whether the panel is open in sessionStorage (this tab only). */
  function storage(area) {
    return {
      get: function (k) { try { return window[area].getItem(PREFIX + k); } catch (e) { return null; } },
      set: function (k, v) { try { window[area].setItem(PREFIX + k, v); } catch (e) { /* storage blocked or full */ } },
      del: function (k) { try { window[area].removeItem(PREFIX + k); } catch (e) { /* storage blocked */ } }
    };
  }
  var store = storage("localStorage");
  var tabStore = storage("sessionStorage");

  /** The shopper's own choice (the 中/EN switch), then data-lang, then the browser's languages. */
  function pickLang() {
    var chosen = store.get("lang");
    if (chosen === "zh" || chosen === "en") return chosen;
    var want = (script.getAttribute("data-lang") || "").toLowerCase();
    if (want.indexOf("zh") === 0) return "zh";
    if (want.indexOf("en") === 0) return "en";
    var langs = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || ""];
    for (var i = 0; i < langs.length; i++) {
      var l = String(langs[i] || "").toLowerCase();
      if (l.indexOf("zh") === 0) return "zh";
      if (l.indexOf("en") === 0) return "en";
    }
    var page = (document.documentElement.getAttribute("lang") || "").toLowerCase();
    return page.indexOf("en") === 0 ? "en" : "zh";
  }

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
      welcome: "您好！请问有什么可以帮您？",  // only if the shop's greeting cannot be fetched
      bot: "智能客服",
      agent: function (name) { return "客服 " + name; },
      joined: function (name) { return "客服 " + name + " 已加入"; },
      agentTyping: "客服正在输入…",
      switchLang: "Switch to English",
      switchLabel: "EN",
      photo: "图片",
      photoHint: "上传图片（JPEG、PNG、WebP，5 MB 以内）",
      photoAlt: "您发送的图片",
      photoTooBig: "图片不能超过 5 MB。",
      photoNotImage: "只能发送 JPEG、PNG 或 WebP 图片。",
      photoFailed: "图片发送失败，请稍后重试。",
      sources: function (n) { return "参考资料（" + n + "）"; },
      hideSources: "收起参考资料",
      handoff: "已为您转接人工客服，请稍候。客服接入后，消息会直接显示在这里。",  // only if the bot said nothing
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
      welcome: "Hi! How can I help you?",  // only if the shop's greeting cannot be fetched
      bot: "Assistant",
      agent: function (name) { return name + " (agent)"; },
      joined: function (name) { return name + " has joined"; },
      agentTyping: "Agent is typing…",
      switchLang: "切换到中文",
      switchLabel: "中",
      photo: "Photo",
      photoHint: "Attach a photo (JPEG, PNG or WebP, up to 5 MB)",
      photoAlt: "Your photo",
      photoTooBig: "Photos can be at most 5 MB.",
      photoNotImage: "Only JPEG, PNG or WebP photos can be sent.",
      photoFailed: "The photo could not be sent. Please try again.",
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
  var LANG = pickLang();
  var T = TEXT[LANG];
  var OWN_TITLE = (script.getAttribute("data-title") || "").trim();

  // --- small helpers -----------------------------------------------------------------------


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
    image: { d: "M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zM3 16l5-5 4 4 3-3 6 6M15.5 9.5a1 1 0 1 0 0-.01" },
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
    ".notice.event-joined{background:#dbeafe;color:#1e3a8a}",
    ".row.handoff .bubble{background:#fef3c7;color:#5b3702}",
    ".bubble.photo{padding:4px;background:#fff!important}",
    ".bubble.photo img{display:block;max-width:220px;max-height:260px;width:auto;height:auto;border-radius:10px}",
    ".peer-typing{align-self:flex-start;font-size:12px;color:#6b7280;padding-left:38px}",
    ".langswitch{font-size:12px;font-weight:600;width:auto;min-width:36px;padding:0 8px}",
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

  var statusText = h("span");
  var status = h("p", { class: "status", "data-state": "bot" }, h("span", { class: "dot" }), statusText);
  var closeBtn = h("button", { type: "button", class: "iconbtn close" }, icon("down", 22));
  var langBtn = h("button", { type: "button", class: "iconbtn langswitch" });
  var headAvatar = h("span", { class: "avatar", "aria-hidden": "true" }, icon("chat", 20));
  var title = h("h2", { class: "title", id: "xe-title" });
  var head = h("header", { class: "head" }, headAvatar, h("div", { class: "titles" }, title, status), langBtn, closeBtn);
  var log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-labelledby": "xe-title" });
  var conn = h("div", { class: "conn", role: "status", hidden: true });
  var humanLabel = h("span");
  var humanBtn = h("button", { type: "button", class: "tool human" }, icon("person", 14), humanLabel);
  var photoLabel = h("span");
  var photoBtn = h("button", { type: "button", class: "tool photo" }, icon("image", 14), photoLabel);
  var photoInput = h("input", { type: "file", accept: "image/jpeg,image/png,image/webp", hidden: true, tabindex: "-1" });
  var endLabel = h("span");
  var endBtn = h("button", { type: "button", class: "tool end", disabled: true }, icon("star", 14), endLabel);
  var tools = h("div", { class: "tools" }, humanBtn, photoBtn, photoInput, endBtn);
  var input = h("textarea", { id: "xe-input", rows: "1", maxlength: "4000", autocomplete: "off", enterkeyhint: "send" });
  var sendBtn = h("button", { type: "submit", class: "send", disabled: true }, icon("send", 20));
  var inputLabel = h("label", { class: "sr-only", for: "xe-input" });
  var composer = h("form", { class: "composer", novalidate: true }, inputLabel, input, sendBtn);
  var panel = h("section", { class: "panel", id: "xe-panel", role: "dialog", "aria-labelledby": "xe-title", hidden: true },
    head, conn, log, tools, composer);
  var root = h("div", { class: "root" }, panel, launcher);
  shadow.appendChild(root);

  /** Every label in the current language (at start, and when the shopper flips 中/EN). */
  function applyTexts() {
    root.setAttribute("lang", LANG === "zh" ? "zh-CN" : "en");
    launcher.setAttribute("aria-label", isOpen() ? T.close : T.open);
    title.textContent = OWN_TITLE || T.title;
    [closeBtn, sendBtn].forEach(function (b) { var t = b === closeBtn ? T.close : T.send; b.setAttribute("aria-label", t); b.title = t; });
    langBtn.textContent = T.switchLabel;
    langBtn.setAttribute("aria-label", T.switchLang);
    langBtn.title = T.switchLang;
    conn.textContent = T.reconnecting;
    humanLabel.textContent = T.human;
    photoLabel.textContent = T.photo;
    photoBtn.title = T.photoHint;
    endLabel.textContent = T.end;
    input.setAttribute("aria-label", T.inputLabel);
    input.placeholder = T.placeholder;
    inputLabel.textContent = T.inputLabel;
  }

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
  var typingSentAt = 0;       // when the last "typing" frame went out
  var peerTyping = null;      // the "agent is typing" row, while shown
  var peerTypingTimer = null;
  var greetings = {};         // lang → the shop's greeting (GET /v1/merchants/{m}/greeting)

  function isOpen() { return !panel.hidden; }
  applyTexts();

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

  /** Who speaks for the shop: the bot, the queue, or a named agent (the header shows the
   * agent's display name and its initial, as soon as they join). */
  function setStatus(state, agentName) {
    if (agentName) store.set("agent", agentName);
    var name = state === "human" ? (agentName || store.get("agent")) : null;
    status.setAttribute("data-state", state);
    statusText.textContent = state === "queued" ? T.statusQueued : state === "human" ? (name ? T.joined(name) : T.statusHuman) : T.statusBot;
    headAvatar.textContent = "";
    if (name) headAvatar.appendChild(document.createTextNode(initial(name)));
    else headAvatar.appendChild(icon("chat", 20));
    store.set("owner", state);
  }

  function initial(name) { return (Array.from(String(name).trim())[0] || "?").toUpperCase(); }
  function agentName(m) { return String((m.data && m.data.agent_name) || m.agent_id || ""); }
  function photoUrl(photo) {
    return BASE + "/v1/conversations/" + encodeURIComponent(cid) + "/photos/" + encodeURIComponent(photo.id) + "?merchant_id=" + encodeURIComponent(merchant);
  }

  function bumpUnread() {
    if (isOpen()) return;
    unread += 1;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    badge.hidden = false;
  }

  // --- messages ---------------------------------------------------------------------------------

  /** The shopper's message: text, or a photo (``photo`` = {id, width, height} or a preview URL). */
  function shopperRow(text, photo) {
    var bubble = h("div", { class: "bubble" + (photo ? " photo" : "") });
    if (photo) {
      var src = typeof photo === "string" ? photo : photoUrl(photo);
      bubble.appendChild(h("img", { src: src, alt: T.photoAlt, width: photo.width || null, height: photo.height || null }));
    } else {
      bubble.textContent = text;
    }
    var row = h("div", { class: "row me" }, h("div", { class: "msg" }, bubble));
    rendered += 1;
    return append(row, true);
  }

  function botRow(who) {
    var isAgent = !!who;
    var bubble = h("div", { class: "bubble" });
    var msg = h("div", { class: "msg" }, h("span", { class: "who", text: isAgent ? T.agent(who) : T.bot }), bubble);
    var avatar = h("span", { class: "avatar", "aria-hidden": "true" }, isAgent ? initial(who) : icon("chat", 16));
    var row = h("div", { class: "row " + (isAgent ? "agent" : "bot") }, avatar, msg);
    return { row: row, msg: msg, bubble: bubble };
  }

  function citationsBlock(citations) {
    if (!citations || !citations.length) return null;
    var list = h("ul", { class: "srclist", hidden: true });
    citations.forEach(function (c) {
      list.appendChild(h("li", { class: "src" },
        h("div", { class: "doc" }, icon("doc", 13), h("span", { text: c.source || c.title || "" })),
        c.source && c.section ? h("div", { class: "ttl", text: c.section }) : null,
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

  /** The handoff is said once: by the bot's reply (in the chat's language), marked as such;
   * only a handoff the bot said nothing about gets the widget's own notice. */
  function handoffSaid(handoff, row) {
    if (!handoff || ticketsShown[handoff.ticket_id]) return;
    ticketsShown[handoff.ticket_id] = true;
    if (row) row.classList.add("handoff");
    else if (handoff.status === "queued" || handoff.status === "claimed") notice(T.handoff, "handoff");
  }

  /** A notice the server pushed (role "system"): an agent joined, resolved, or handed back. */
  function systemNotice(m, live) {
    var event = (m.data && m.data.event) || "";
    notice(m.text, event ? "event-" + event : null);
    if (event === "joined") {
      setStatus("human", m.data.agent_name);
    } else {
      setStatus("bot");
      store.del("agent");
      if (event === "resolved" && live) rate();
    }
  }

  function showAgentMessage(m) {
    if (agentIds[m.id]) return;
    agentIds[m.id] = true;
    hidePeerTyping();
    rendered += 1;
    if (m.role === "system") { systemNotice(m, true); bumpUnread(); return; }
    var b = botRow(agentName(m));
    b.bubble.textContent = m.text;
    append(b.row);
    setStatus("human", (m.data && m.data.agent_name) || null);
    bumpUnread();
  }

  /** "Agent is typing…" under the log, until they send or PEER_TYPING_MS passes. */
  function showPeerTyping() {
    if (!peerTyping) {
      peerTyping = h("div", { class: "peer-typing", role: "status", text: T.agentTyping });
      append(peerTyping);
    } else if (peerTyping !== log.lastChild) {
      log.appendChild(peerTyping);
    }
    if (peerTypingTimer) clearTimeout(peerTypingTimer);
    peerTypingTimer = setTimeout(hidePeerTyping, PEER_TYPING_MS);
  }
  function hidePeerTyping() {
    if (peerTypingTimer) { clearTimeout(peerTypingTimer); peerTypingTimer = null; }
    if (peerTyping && peerTyping.parentNode) peerTyping.parentNode.removeChild(peerTyping);
    peerTyping = null;
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

  /** The shop's greeting and suggestion chips, from its profile (fetched once per language). */
  function welcome() {
    var b = botRow(null);
    append(b.row);
    var row = h("div", { class: "quick suggestions", role: "group" });
    quickRow = append(row);
    var lang = LANG;
    var got = greetings[lang] || (greetings[lang] = api("GET", "/v1/merchants/" + encodeURIComponent(merchant) + "/greeting?lang=" + lang));
    got.then(function (g) {
      b.bubble.textContent = g.greeting;
      (g.suggestions || []).forEach(function (s) {
        row.appendChild(h("button", { type: "button", class: "qbtn", text: s, onclick: function () { send({ message: s }); } }));
      });
    }, function (err) {
      delete greetings[lang];
      b.bubble.textContent = T.welcome;
      if (err.status === 404 && /^unknown merchant/.test(err.detail || "")) goUnavailable();
    });
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
    var said = null;
    if (!reply.trim()) {
      // route "silent": a person holds the conversation, the bot says nothing
      if (turn.b.row.parentNode) turn.b.row.parentNode.removeChild(turn.b.row);
    } else {
      turn.b.bubble.textContent = reply;
      var cites = citationsBlock(result.citations);
      if (cites) turn.b.msg.appendChild(cites);
      rendered += 1;
      said = turn.b.row;
      bumpUnread();
    }
    handoffSaid(result.handoff, said);
    setStatus(result.owner === "queued" ? "queued" : result.owner === "human" ? "human" : "bot");
    if (result.quick_replies && result.quick_replies.length && reply.trim()) showQuick(result.quick_replies, reply);
    toBottom();
    needSync = true;  // fetch the turn's two messages (after=), so another tab starts from them
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
      turn.payload = payload;
      wsPending.push(turn);
      var frame = { type: "message" };
      Object.keys(payload).forEach(function (k) { frame[k] = payload[k]; });
      sock.send(JSON.stringify(frame));
    } else {
      if (sock && cid && sockCid !== cid) rebind();
      httpTurn(payload, turn);
    }
  }

  /** A photo: shown at once, then sent (multipart) to a person; the server checks it is an
   * image by its content, so the size check here only spares a pointless upload. */
  function sendPhoto(file) {
    if (unavailable) return;
    if (file.size > MAX_PHOTO_BYTES) { notice(T.photoTooBig, "error"); return; }
    clearQuick();
    var preview = URL.createObjectURL(file);
    var row = shopperRow(null, preview);
    var form = new FormData();
    form.append("merchant_id", merchant);
    form.append("lang", LANG);
    if (cid) form.append("conversation_id", cid);
    form.append("file", file, file.name || "photo");
    httpPending += 1;
    fetch(BASE + "/v1/chat/photo", { method: "POST", body: form, credentials: "omit" }).then(function (res) {
      return res.json().then(function (body) { return { ok: res.ok, status: res.status, body: body }; });
    }).then(function (r) {
      httpPending -= 1;
      if (!r.ok) {
        row.remove();
        rendered -= 1;
        notice(r.status === 413 ? T.photoTooBig : r.status === 415 ? T.photoNotImage : T.photoFailed, "error");
        settle();
        return;
      }
      setConversation(r.body.conversation_id);
      var img = row.querySelector("img");
      img.src = photoUrl(r.body.message.data.photo);  // the stored, re-encoded photo
      URL.revokeObjectURL(preview);
      if (r.body.reply) {
        var b = botRow(null);
        b.bubble.textContent = r.body.reply.text;
        append(b.row, true);
        rendered += 1;
        handoffSaid(r.body.handoff, b.row);
      }
      setStatus(r.body.owner === "human" ? "human" : "queued");
      // A photo that started the conversation: the socket must speak for it to push the agent's words.
      if (sockCid !== cid && (sock || connecting)) { needSync = true; rebindSocket(); }
      settle();
    }, function () {
      httpPending -= 1;
      row.remove();
      rendered -= 1;
      notice(T.photoFailed, "error");
      settle();
    });
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
      if (!cid) {
        // A new conversation's first turn: there is no transcript to read it back from,
        // so it goes again over HTTP rather than vanish.
        lost.forEach(function (turn) {
          if (turn.b.row.parentNode) turn.b.row.parentNode.removeChild(turn.b.row);  // drop any half-streamed text
          var again = newTurn();
          again.shopperEl = turn.shopperEl;
          httpTurn(turn.payload, again);
        });
      } else {
        lost.forEach(function (turn) { turn.done = true; if (turn.b.row.parentNode) turn.b.row.parentNode.removeChild(turn.b.row); });
        if (lost.length) needSync = true;
      }
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
    } else if (frame.type === "typing" && frame.who === "agent") {
      showPeerTyping();
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
    var cached = cachedTranscript();
    var after = cached.length ? cached[cached.length - 1].id : 0;
    api("GET", "/v1/conversations/" + encodeURIComponent(cid) + "/messages?merchant_id=" + encodeURIComponent(merchant) + "&after=" + after).then(function (fresh) {
      syncing = false;
      if (asked !== cid) return;
      var messages = cached.concat(fresh);
      if (fresh.length) cacheTranscript(messages);
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

  /** The transcript this browser has (shared by the shop's tabs): what a new tab shows at
   * once, then asks only for newer messages (after=). */
  function cachedTranscript() {
    var saved = null;
    try { saved = JSON.parse(store.get("transcript") || "null"); } catch (e) { saved = null; }
    return saved && saved.conversation === cid && Array.isArray(saved.messages) ? saved.messages : [];
  }
  function cacheTranscript(messages) {
    store.set("transcript", JSON.stringify({ conversation: cid, messages: messages.slice(-CACHED_MESSAGES) }));
  }

  function rerender(messages) {
    log.textContent = "";
    quickRow = null;
    peerTyping = null;
    rendered = 0;
    agentIds = {};
    ticketsShown = {};
    var owner = store.get("owner") || "bot";
    var name = null;
    messages.forEach(function (m) {
      var data = m.data || {};
      if (m.role === "shopper") {
        shopperRow(m.text, data.photo);
      } else if (m.role === "system") {
        agentIds[m.id] = true;
        notice(m.text, data.event ? "event-" + data.event : null);
        rendered += 1;
        owner = data.event === "joined" ? "human" : "bot";
        name = data.event === "joined" ? data.agent_name : null;
      } else if (m.role === "agent") {
        agentIds[m.id] = true;
        var a = botRow(agentName(m));
        a.bubble.textContent = m.text;
        append(a.row);
        rendered += 1;
        owner = "human";
        name = data.agent_name || name;
      } else {
        var b = botRow(null);
        b.bubble.textContent = m.text;
        var cites = citationsBlock(data.citations);
        if (cites) b.msg.appendChild(cites);
        append(b.row);
        rendered += 1;
        if (data.handoff) handoffSaid(data.handoff, b.row);
        owner = data.handoff ? "queued" : "bot";
      }
    });
    if (!messages.length) welcome();
    var last = messages[messages.length - 1];
    var saved = null;
    try { saved = JSON.parse(store.get("quick") || "null"); } catch (e) { saved = null; }
    if (last && last.role === "bot" && saved && saved.reply === last.text) showQuick(saved.items, saved.reply);
    endBtn.disabled = !cid;
    if (owner !== "human") store.del("agent");
    setStatus(owner, name);
    // Resolved while this page was away: the rating is still asked for, once.
    if (last && last.role === "system" && (last.data || {}).event === "resolved" && store.get("rated") !== cid) rate();
    toBottom();
  }

  /** Forget the conversation here; ``everywhere`` also forgets it in the shop's other tabs. */
  function resetConversation(everywhere) {
    cid = null;
    if (everywhere !== false) ["conversation", "quick", "owner", "agent", "transcript"].forEach(store.del);
    log.textContent = "";
    quickRow = null;
    peerTyping = null;
    rendered = 0;
    agentIds = {};
    ticketsShown = {};
    endBtn.disabled = true;
    setStatus("bot");
    welcome();
    rebindSocket();
  }

  /** The socket speaks for one conversation: after a switch, open a fresh one. */
  function rebindSocket() {
    [sock, connecting].forEach(function (old) { if (old) { old.onclose = null; old.close(); } });
    sock = connecting = null;
    wsPending.splice(0);
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
    connect();
  }

  // Another tab of the shop started or ended a conversation: follow it.
  window.addEventListener("storage", function (e) {
    if (e.key !== PREFIX + "conversation" || e.newValue === cid) return;
    if (!e.newValue) { resetConversation(false); return; }
    cid = e.newValue;
    rerender(cachedTranscript());
    rebindSocket();
    sync();
  });

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
        store.set("rated", cid);
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
    tabStore.set("open", "1");
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
    tabStore.del("open");
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
  // While a person is on the conversation, they see the shopper typing (a frame every few seconds).
  input.addEventListener("input", function () {
    var owner = status.getAttribute("data-state");
    if (!input.value.trim() || (owner !== "queued" && owner !== "human")) return;
    if (!sock || sock.readyState !== 1 || sockCid !== cid || Date.now() - typingSentAt < TYPING_EVERY_MS) return;
    typingSentAt = Date.now();
    sock.send(JSON.stringify({ type: "typing" }));
  });

  langBtn.addEventListener("click", function () {
    LANG = LANG === "zh" ? "en" : "zh";
    T = TEXT[LANG];
    store.set("lang", LANG);
    applyTexts();
    if (cid) { rerender(cachedTranscript()); sync(); }  // and whatever the copy lacks
    else { log.textContent = ""; quickRow = null; rendered = 0; welcome(); }
    setStatus(status.getAttribute("data-state") || "bot");
  });

  photoBtn.addEventListener("click", function () { photoInput.click(); });
  photoInput.addEventListener("change", function () {
    var file = photoInput.files && photoInput.files[0];
    photoInput.value = "";
    if (file) sendPhoto(file);
  });
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
      var cached = cachedTranscript();
      if (cached.length) rerender(cached);  // what this browser already has, at once
      sync();      // the transcript, at once
      connect();   // and the live channel (which syncs again once open)
    }
    if (tabStore.get("open") || script.getAttribute("data-open") === "true") open();
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
