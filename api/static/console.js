/* xiaoer agent console: queue, claim, conversation with AI summary and suggested replies,
 * live replies, resolve / hand back. Plain DOM; every piece of data is set with textContent. */
(() => {
  'use strict';

  const QUEUE_POLL_MS = 2000;
  const TICKET_POLL_MS = 1500;
  const KEY_STORE = 'xiaoer.agentKey';
  const LANG_STORE = 'xiaoer.lang';

  const T = {
    zh: {
      brand: '小二 · 客服工作台', title: '小二 · 客服工作台', signOut: '退出', signInTitle: '客服登录',
      signInHint: '粘贴管理员为您生成的客服密钥（X-Agent-Key）。', agentKey: '客服密钥', signIn: '登录',
      badKey: '密钥无效，请检查后重试。', keyExpired: '密钥已失效，请重新登录。', network: '无法连接服务器，请稍后重试。',
      queue: '会话队列', live: '实时', offline: '离线', queueEmpty: '暂无排队的顾客', pickTicket: '从左侧队列选择一个会话',
      claim: '接入', handBack: '交还机器人', resolve: '标记已解决', send: '发送', summary: '会话摘要',
      order: '订单', orderNo: '订单号', orderStatus: '状态', orderItems: '商品', orderTracking: '物流', orderPromise: '承诺发货',
      orderAddress: '收货地址', orderRefund: '退款',
      suggestions: '推荐回复', suggestionHint: '点击插入输入框，编辑后再发送', suggestionsNone: '知识库暂无可推荐的回复',
      replyPlaceholder: '输入回复，顾客会实时收到…', enterHint: 'Enter 发送 · Shift+Enter 换行',
      ticket: '工单', notice: '系统通知', shopper: '顾客', bot: '机器人', agent: '客服', you: '我',
      waiting: '已等待 {t}', waited: '等待了 {t}', handling: '{who} 处理中', youHandle: '我处理中',
      claimed: '已接入，可以回复顾客了', alreadyClaimed: '该会话已被 {who} 接入，无法重复接入。',
      ticketClosed: '该工单已关闭（{status}）。', resolvedOk: '已解决，会话已关闭。', handedBackOk: '已交还机器人，顾客的下一条消息由机器人回答。',
      claimFirst: '接入后才能回复', notYours: '该会话由 {who} 处理，您只能查看。', sources: '来源',
      sec: '{s}秒', min: '{m}分{s}秒', hour: '{h}小时{m}分',
    },
    en: {
      brand: 'Xiaoer · Agent console', title: 'Xiaoer · Agent console', signOut: 'Sign out', signInTitle: 'Agent sign-in',
      signInHint: 'Paste the agent key (X-Agent-Key) your admin gave you.', agentKey: 'Agent key', signIn: 'Sign in',
      badKey: 'That key is not valid. Please check it and try again.', keyExpired: 'Your key is no longer valid; please sign in again.',
      network: 'Cannot reach the server; retrying.',
      queue: 'Queue', live: 'Live', offline: 'Offline', queueEmpty: 'Nobody is waiting', pickTicket: 'Pick a conversation from the queue',
      claim: 'Claim', handBack: 'Hand back to bot', resolve: 'Resolve', send: 'Send', summary: 'Summary',
      order: 'Order', orderNo: 'Order', orderStatus: 'Status', orderItems: 'Items', orderTracking: 'Tracking', orderPromise: 'Ships by',
      orderAddress: 'Address', orderRefund: 'Refund',
      suggestions: 'Suggested replies', suggestionHint: 'Click to insert into the reply box, edit, then send',
      suggestionsNone: 'No suggestion from the knowledge base', replyPlaceholder: 'Type a reply; the shopper sees it live…',
      enterHint: 'Enter to send · Shift+Enter for a new line',
      ticket: 'Ticket', notice: 'Notice', shopper: 'Shopper', bot: 'Bot', agent: 'Agent', you: 'You',
      waiting: 'waiting {t}', waited: 'waited {t}', handling: '{who} is handling it', youHandle: 'You are handling it',
      claimed: 'Claimed: you can reply now', alreadyClaimed: 'Already claimed by {who}: you cannot take this conversation.',
      ticketClosed: 'This ticket is closed ({status}).', resolvedOk: 'Resolved: the conversation is closed.',
      handedBackOk: "Handed back: the bot answers the shopper's next message.",
      claimFirst: 'Claim the ticket to reply', notYours: '{who} is handling this conversation; you can only read it.',
      sources: 'Sources', sec: '{s}s', min: '{m}m {s}s', hour: '{h}h {m}m',
    },
  };
  const REASONS = {
    explicit_request: { zh: '顾客要求转人工', en: 'Asked for a person' },
    angry_complaint: { zh: '投诉且情绪激动', en: 'Angry complaint' },
    anger: { zh: '顾客情绪激动', en: 'Shopper is upset' },
    low_confidence: { zh: '机器人无法可靠回答', en: "Bot couldn't answer" },
    repeated_low_confidence: { zh: '连续两次回答把握不足', en: 'Two weak answers in a row' },
    repeated_question: { zh: '顾客重复提问', en: 'Repeated question' },
    high_value: { zh: '高金额订单退款', en: 'High-value refund' },
    abnormal_order: { zh: '订单超时或物流异常', en: 'Late or stuck order' },
    order_source_down: { zh: '订单系统暂时查不到', en: 'Order system down' },
    order_check_failed: { zh: '订单身份核验失败', en: 'Order check failed' },
  };
  const ORDER_STATUS = {
    unpaid: { zh: '待付款', en: 'Unpaid' }, paid: { zh: '待发货', en: 'Paid, not shipped' },
    shipped: { zh: '已发货', en: 'Shipped' }, delivered: { zh: '已签收', en: 'Delivered' },
    refunding: { zh: '退款中', en: 'Refunding' }, refunded: { zh: '已退款', en: 'Refunded' },
    cancelled: { zh: '已取消', en: 'Cancelled' },
  };
  const ABNORMAL = {
    late_ship: { zh: '超时未发货', en: 'Late to ship' }, late_delivery: { zh: '超时未送达', en: 'Late delivery' },
    stuck: { zh: '物流超 48 小时未更新', en: 'No tracking news for 48 h' },
  };
  const STATUS = {
    queued: { zh: '排队中', en: 'Waiting' },
    claimed: { zh: '已接入', en: 'Claimed' },
    resolved: { zh: '已解决', en: 'Resolved' },
    handed_back: { zh: '已交还机器人', en: 'Handed back' },
  };

  const $ = (sel) => document.querySelector(sel);
  const state = {
    key: localStorage.getItem(KEY_STORE) || '',
    lang: localStorage.getItem(LANG_STORE) || ((navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en'),
    me: null,
    queue: [],
    fetchedAt: 0,
    detail: null,
    detailFetchedAt: 0,
    currentId: null,
    transcriptSig: '',
    suggestionsSig: '',
    timers: [],
    queueBusy: false,
    ticketBusy: false,
  };

  // ------------------------------------------------------------------ helpers

  function t(key, vars) {
    let s = (T[state.lang] && T[state.lang][key]) || T.en[key] || key;
    for (const [k, v] of Object.entries(vars || {})) s = s.split('{' + k + '}').join(String(v));
    return s;
  }
  function label(table, code) {
    return (table[code] && table[code][state.lang]) || code;
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c) node.append(c);
    return node;
  }
  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return t('sec', { s });
    if (s < 3600) return t('min', { m: Math.floor(s / 60), s: String(s % 60).padStart(2, '0') });
    return t('hour', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  }
  function utc(iso) {
    // The API's timestamps are naive UTC.
    return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + 'Z');
  }
  function clock(iso) {
    const d = utc(iso);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  }
  function shortId(conversationId) {
    return conversationId.slice(-6);
  }
  function snippet(summary) {
    // The summary ends with the shopper's own words; the queue shows those (the reason has its tag).
    for (const marker of ['顾客原话：', 'Shopper said: ']) {
      const at = summary.lastIndexOf(marker);
      if (at >= 0) return summary.slice(at + marker.length);
    }
    return summary;
  }
  function holderName(ticket) {
    if (!ticket.agent_id) return '';
    if (state.me && ticket.agent_id === state.me.id) return state.me.name;
    return ticket.agent_name || ticket.agent_id;
  }
  function isMine(ticket) {
    return ticket && ticket.status === 'claimed' && state.me && ticket.agent_id === state.me.id;
  }

  class ApiError extends Error {
    constructor(status, detail) { super(detail); this.status = status; }
  }

  async function api(method, path, body) {
    const headers = { 'X-Agent-Key': state.key };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, t('network'));
    }
    let data = null;
    try { data = await response.json(); } catch (e) { /* 204 or not JSON */ }
    if (!response.ok) {
      const detail = data && typeof data.detail === 'string' ? data.detail : response.statusText;
      if (response.status === 401 && state.me) signOut(t('keyExpired'));
      throw new ApiError(response.status, detail);
    }
    return data;
  }

  function banner(kind, text) {
    const node = $('#ticket-banner');
    if (!kind) { node.hidden = true; node.textContent = ''; node.className = 'banner'; return; }
    node.className = 'banner ' + kind;
    node.dataset.kind = kind;
    node.textContent = text;
    node.hidden = false;
  }

  // ------------------------------------------------------------------ language

  function applyLanguage() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('title');
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
    $('#lang-toggle').textContent = state.lang === 'zh' ? 'EN' : '中文';
    renderMe();
    renderQueue();
    state.transcriptSig = state.suggestionsSig = '';
    if (state.detail) renderTicket();
  }

  // ------------------------------------------------------------------ sign-in

  function renderMe() {
    const node = $('#me');
    node.replaceChildren();
    if (!state.me) { node.hidden = true; return; }
    node.append(
      el('span', { class: 'avatar', text: Array.from(state.me.name)[0] || '?' }),
      el('span', { class: 'online-dot', title: t('live') }),
      el('span', { id: 'me-name', text: state.me.name }),
    );
    node.hidden = false;
  }

  async function signIn(key) {
    state.key = key;
    const me = await api('GET', '/v1/agent/me');
    state.me = me;
    localStorage.setItem(KEY_STORE, key);
    $('#signin').hidden = true;
    $('#app').hidden = false;
    $('#signout').hidden = false;
    renderMe();
    startPolling();
  }

  function signOut(message, keepKey) {
    stopPolling();
    if (!keepKey) localStorage.removeItem(KEY_STORE);
    Object.assign(state, { key: '', me: null, queue: [], detail: null, currentId: null, transcriptSig: '', suggestionsSig: '' });
    $('#app').hidden = true;
    $('#signout').hidden = true;
    $('#ticket').hidden = true;
    $('#ticket-empty').hidden = false;
    renderMe();
    $('#signin').hidden = false;
    $('#agent-key').value = keepKey ? state.key || localStorage.getItem(KEY_STORE) || '' : '';
    const err = $('#signin-error');
    err.hidden = !message;
    err.textContent = message || '';
  }

  // ------------------------------------------------------------------ polling

  function startPolling() {
    stopPolling();
    refreshQueue();
    state.timers.push(setInterval(refreshQueue, QUEUE_POLL_MS));
    state.timers.push(setInterval(refreshTicket, TICKET_POLL_MS));
    state.timers.push(setInterval(tick, 1000));
  }
  function stopPolling() {
    state.timers.forEach(clearInterval);
    state.timers = [];
  }

  async function refreshQueue() {
    if (state.queueBusy || !state.me) return;
    state.queueBusy = true;
    try {
      state.queue = await api('GET', '/v1/agent/queue');
      state.fetchedAt = Date.now();
      $('#queue-live').classList.remove('offline');
      $('#queue-live').textContent = t('live');
      renderQueue();
    } catch (e) {
      if (e.status === 0) {
        $('#queue-live').classList.add('offline');
        $('#queue-live').textContent = t('offline');
      }
    } finally {
      state.queueBusy = false;
    }
  }

  async function refreshTicket() {
    const id = state.currentId;
    if (!id || state.ticketBusy || !state.detail || !['queued', 'claimed'].includes(state.detail.status)) return;
    state.ticketBusy = true;
    try {
      const detail = await api('GET', `/v1/agent/tickets/${id}`);
      if (state.currentId === id) setDetail(detail);
    } catch (e) { /* the next poll retries */ } finally {
      state.ticketBusy = false;
    }
  }

  function liveWait(ticket, fetchedAt) {
    return ticket.status === 'queued' ? ticket.waiting_seconds + (Date.now() - fetchedAt) / 1000 : ticket.waiting_seconds;
  }
  function waitText(ticket, fetchedAt) {
    const seconds = liveWait(ticket, fetchedAt);
    return t(ticket.status === 'queued' ? 'waiting' : 'waited', { t: duration(seconds) });
  }
  function waitClass(ticket, fetchedAt) {
    const seconds = liveWait(ticket, fetchedAt);
    if (ticket.status !== 'queued') return 'wait';
    return seconds >= 180 ? 'wait bad' : seconds >= 60 ? 'wait warn' : 'wait';
  }
  function tick() {
    for (const node of document.querySelectorAll('#queue .wait')) {
      const ticket = state.queue.find((x) => String(x.id) === node.dataset.waitFor);
      if (ticket) { node.textContent = waitText(ticket, state.fetchedAt); node.className = waitClass(ticket, state.fetchedAt); }
    }
    if (state.detail) {
      const node = $('#ticket-wait');
      node.textContent = waitText(state.detail, state.detailFetchedAt);
      node.className = waitClass(state.detail, state.detailFetchedAt);
    }
  }

  // ------------------------------------------------------------------ queue

  function renderQueue() {
    const list = $('#queue');
    const waiting = state.queue.filter((x) => x.status === 'queued').length;
    $('#queue-count').textContent = String(waiting);
    document.title = (waiting ? `(${waiting}) ` : '') + t('title');
    $('#queue-empty').hidden = state.queue.length > 0;
    list.replaceChildren(...state.queue.map((ticket) => {
      const mine = isMine(ticket);
      const statusTag = el('span', {
        class: 'tag status ' + (mine ? 'mine' : ticket.status),
        text: mine ? t('youHandle') : label(STATUS, ticket.status),
      });
      const claimButton = ticket.status === 'queued'
        ? el('button', {
          type: 'button', class: 'btn primary small claim', text: t('claim'),
          onclick: (ev) => { ev.stopPropagation(); openTicket(ticket.id).then(() => claim(ticket.id)); },
        })
        : null;
      return el('li', {
        class: 'queue-item' + (ticket.id === state.currentId ? ' active' : '') + (mine ? ' mine' : ''),
        dataset: { ticket: String(ticket.id), conversation: ticket.conversation_id, status: ticket.status },
        tabindex: '0',
        onclick: () => openTicket(ticket.id),
        onkeydown: (ev) => { if (ev.key === 'Enter') openTicket(ticket.id); },
      },
      el('div', { class: 'queue-row' },
        el('span', { class: 'who', text: `${t('shopper')} #${shortId(ticket.conversation_id)}` }),
        el('span', { class: waitClass(ticket, state.fetchedAt), dataset: { waitFor: String(ticket.id) }, text: waitText(ticket, state.fetchedAt) })),
      el('div', { class: 'snippet', text: snippet(ticket.summary), title: ticket.summary }),
      el('div', { class: 'queue-row' },
        el('span', {}, el('span', { class: 'tag reason', text: label(REASONS, ticket.reason) }), ' ', statusTag),
        claimButton || (ticket.status === 'claimed' && !mine
          ? el('span', { class: 'claimed-by', text: t('handling', { who: holderName(ticket) }) }) : null)));
    }));
  }

  // ------------------------------------------------------------------ ticket

  async function openTicket(id) {
    if (state.currentId !== id) {
      banner(null);
      state.transcriptSig = state.suggestionsSig = '';
      $('#reply-input').value = '';
      state.suggestionId = null;
    }
    state.currentId = id;
    renderQueue();
    try {
      setDetail(await api('GET', `/v1/agent/tickets/${id}`));
    } catch (e) {
      banner('error', e.message);
    }
  }

  function setDetail(detail) {
    state.detail = detail;
    state.detailFetchedAt = Date.now();
    renderTicket();
  }

  function renderTicket() {
    const d = state.detail;
    if (!d) return;
    $('#ticket-empty').hidden = true;
    const view = $('#ticket');
    view.hidden = false;
    view.dataset.ticket = String(d.id);
    view.dataset.conversation = d.conversation_id;
    view.dataset.status = d.status;
    const mine = isMine(d);
    $('#ticket-title').textContent = `${t('ticket')} #${d.id} · ${t('shopper')} #${shortId(d.conversation_id)}`;
    $('#ticket-reason').textContent = label(REASONS, d.reason);
    const status = $('#ticket-status');
    status.className = 'tag ' + (mine ? 'mine' : d.status);
    status.textContent = mine ? t('youHandle')
      : d.status === 'claimed' ? t('handling', { who: holderName(d) }) : label(STATUS, d.status);
    tick();

    $('#claim-btn').hidden = d.status !== 'queued';
    $('#resolve-btn').hidden = !mine;
    $('#handback-btn').hidden = !mine;
    $('#composer').hidden = !mine;
    $('#summary').textContent = d.summary;
    renderOrder(d.order);
    renderSuggestions(d, mine);
    renderTranscript(d);
  }

  function renderOrder(order) {
    $('#order-card').hidden = !order;
    if (!order) return;
    const when = (iso) => (iso ? new Date(iso + 'Z').toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'UTC', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '');
    const rows = [
      [t('orderNo'), order.order_id],
      [t('orderStatus'), label(ORDER_STATUS, order.status)],
      order.items.length ? [t('orderItems'), order.items.join(' / ')] : null,
      order.carrier || order.tracking_no ? [t('orderTracking'), [order.carrier, order.tracking_no].filter(Boolean).join(' ')] : null,
      order.promised_ship_by && !order.shipped_at ? [t('orderPromise'), when(order.promised_ship_by)] : null,
      order.address ? [t('orderAddress'), order.address] : null,
      order.refund ? [t('orderRefund'), `${order.refund.status}${order.refund.amount != null ? ' ¥' + order.refund.amount : ''}`] : null,
    ].filter(Boolean);
    const flag = order.abnormal ? [el('span', { class: 'tag abnormal', text: label(ABNORMAL, order.abnormal) })] : [];
    $('#order-info').replaceChildren(...flag,
      ...rows.map(([k, v]) => el('div', { class: 'order-row' }, el('span', { class: 'muted small', text: k }), el('span', { text: v }))));
    $('#order-timeline').replaceChildren(...order.timeline.map((e) => el('li', {},
      el('span', { class: 'muted small', text: when(e.time) + (e.location ? ' · ' + e.location : '') }), el('span', { text: e.description }))));
  }

  function renderSuggestions(d, mine) {
    const sig = JSON.stringify([d.id, mine, state.lang, d.suggestions.map((s) => s.text)]);
    if (sig === state.suggestionsSig) return;
    state.suggestionsSig = sig;
    const box = $('#suggestions');
    if (!d.suggestions.length) {
      box.replaceChildren(el('p', { class: 'muted small', text: t('suggestionsNone') }));
      return;
    }
    box.replaceChildren(...d.suggestions.map((s) => el('button', {
      type: 'button', class: 'suggestion', disabled: !mine, title: mine ? '' : t('claimFirst'),
      onclick: () => { insertSuggestion(s.text); state.suggestionId = s.chunk; },
    }, el('span', { class: 'text', text: s.text }), s.document ? el('span', { class: 'source', text: `${t('sources')}: ${s.document}` }) : null)));
  }

  function insertSuggestion(text) {
    const input = $('#reply-input');
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    input.setRangeText(text, start, end, 'end');
    input.focus();
  }

  function renderTranscript(d) {
    const sig = JSON.stringify([d.id, state.lang, d.agent_id, d.messages.map((m) => m.id)]);
    if (sig === state.transcriptSig) return;
    state.transcriptSig = sig;
    const box = $('#transcript');
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    box.replaceChildren(...d.messages.map((m) => {
      let who;
      if (m.role === 'shopper') who = t('shopper');
      else if (m.role === 'bot') who = t('bot');
      else if (m.role === 'agent') {
        who = state.me && m.agent_id === state.me.id ? `${state.me.name}（${t('you')}）`
          : m.agent_id === d.agent_id ? holderName(d) : (m.agent_id || t('agent'));
      } else if (m.role === 'system') who = t('notice');
      else who = m.role;
      const citations = m.role === 'bot' && m.data && Array.isArray(m.data.citations)
        ? [...new Set(m.data.citations.map((c) => c.document).filter(Boolean))] : [];
      return el('div', { class: 'msg ' + m.role, dataset: { id: String(m.id), role: m.role } },
        el('div', { class: 'meta', text: `${who} · ${clock(m.created_at)}` + (citations.length ? ` · ${t('sources')}: ${citations.join(', ')}` : '') }),
        el('div', { class: 'bubble', text: m.text }));
    }));
    if (nearBottom || box.dataset.ticket !== String(d.id)) box.scrollTop = box.scrollHeight;
    box.dataset.ticket = String(d.id);
  }

  // ------------------------------------------------------------------ actions

  async function claim(id) {
    try {
      setDetail(await api('POST', `/v1/agent/tickets/${id}/claim`));
      banner('ok', t('claimed'));
      $('#reply-input').focus();
    } catch (e) {
      if (e.status !== 409) { banner('error', e.message); return; }
      let text = e.message;
      try {
        const now = await api('GET', `/v1/agent/tickets/${id}`);
        if (state.currentId === id) setDetail(now);
        text = now.status === 'claimed'
          ? t('alreadyClaimed', { who: holderName(now) })
          : t('ticketClosed', { status: label(STATUS, now.status) });
      } catch (e2) { /* keep the server's message */ }
      banner('conflict', text);
    } finally {
      refreshQueue();
    }
  }

  async function send(ev) {
    ev.preventDefault();
    const input = $('#reply-input');
    const text = input.value.trim();
    if (!text || !state.detail) return;
    const button = $('#send-btn');
    button.disabled = true;
    try {
      // The suggestion inserted (maybe edited) counts toward the agent's adoption figure.
      await api('POST', `/v1/agent/tickets/${state.detail.id}/messages`, { text, suggestion_id: state.suggestionId ?? null });
      input.value = '';
      state.suggestionId = null;
      setDetail(await api('GET', `/v1/agent/tickets/${state.detail.id}`));
    } catch (e) {
      banner('error', e.message);
    } finally {
      button.disabled = false;
      input.focus();
    }
  }

  async function close(action) {
    const d = state.detail;
    if (!d) return;
    try {
      await api('POST', `/v1/agent/tickets/${d.id}/${action}`);
      setDetail(await api('GET', `/v1/agent/tickets/${d.id}`));
      banner('ok', t(action === 'resolve' ? 'resolvedOk' : 'handedBackOk'));
    } catch (e) {
      banner('error', e.message);
    } finally {
      refreshQueue();
    }
  }

  // ------------------------------------------------------------------ wiring

  $('#signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = $('#agent-key').value.trim();
    if (!key) return;
    const err = $('#signin-error');
    err.hidden = true;
    try {
      await signIn(key);
    } catch (e) {
      state.key = '';
      err.textContent = e.status === 401 ? t('badKey') : e.message;
      err.hidden = false;
    }
  });
  $('#signout').addEventListener('click', () => signOut());
  $('#lang-toggle').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem(LANG_STORE, state.lang);
    applyLanguage();
  });
  $('#claim-btn').addEventListener('click', () => state.detail && claim(state.detail.id));
  $('#resolve-btn').addEventListener('click', () => close('resolve'));
  $('#handback-btn').addEventListener('click', () => close('hand-back'));
  $('#composer').addEventListener('submit', send);
  $('#reply-input').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $('#composer').requestSubmit(); }
  });

  applyLanguage();
  if (state.key) {
    const saved = state.key;
    signIn(saved).catch((e) => {
      if (e.status === 401) signOut(t('keyExpired'));
      else { signOut(e.message, true); $('#agent-key').value = saved; }
    });
  } else {
    signOut();
  }
})();
