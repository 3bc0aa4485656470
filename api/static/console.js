/* xiaoer agent console: queue (with a sound and a desktop notification for new tickets),
 * presence and chat load, claim, the conversation (its own scrolling pane) with AI summary,
 * suggested replies, canned replies and the shopper's context, live replies, resolve / hand
 * back / transfer. Plain DOM; every piece of data is set with textContent. Shared helpers
 * (t, api, labels) come from common.js. */
(() => {
  'use strict';

  const QUEUE_POLL_MS = 2000;
  const TICKET_POLL_MS = 1500;
  const KEY_STORE = 'xiaoer.agentKey';
  const NOTIFY_ASKED_STORE = 'xiaoer.notifyAsked';

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
      presence: '状态', load: '接待中 / 上限', atLimit: '您已接待 {n} / {max} 个会话，达到上限：请先解决或交还一个再接入。',
      youAreAway: '您当前为“离开”状态，不会接到新会话；切换为“在线”后再接入。',
      newTicket: '新的排队顾客', newTickets: '{n} 位新顾客在排队', transferredToYou: '{who} 转给您的会话',
      transfer: '转给同事', transferTitle: '转给同事', transferTo: '接收的同事', transferNote: '备注（同事会看到）', transferOk: '转交',
      cancel: '取消', transferNobody: '没有可转交的同事', transferredOk: '已转给 {who}。', transferNoteFrom: '{who} 转交给您：{note}',
      transferNoNote: '{who} 把这个会话转交给您（没有备注）。', transferBy: '{who} 转交：{note}', transferByNoNote: '由 {who} 转交',
      colleagueFull: '已满 {n}/{max}', chatsOf: '{n}/{max}',
      canned: '快捷回复', cannedNone: '还没有快捷回复：请商家在后台添加。', cannedNoMatch: '没有匹配的快捷回复',
      shopperContext: '顾客信息', identity: '身份', verified: '已验证', anonymous: '未登录（匿名）', page: '咨询页面', language: '语言',
      pastConversations: '历史会话', pastNone: '没有更早的会话', pastNeedsId: '顾客未登录，无法关联历史会话', messagesN: '{n} 条消息',
      lang_zh: '中文', lang_en: '英文',
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
      presence: 'Status', load: 'Chats / limit', atLimit: 'You hold {n} of {max} chats, your limit: resolve or hand one back first.',
      youAreAway: 'You are away, so you get no new chats; switch to online to claim.',
      newTicket: 'New shopper waiting', newTickets: '{n} new shoppers waiting', transferredToYou: '{who} transferred a chat to you',
      transfer: 'Transfer', transferTitle: 'Transfer to a colleague', transferTo: 'Colleague', transferNote: 'Note (they will see it)',
      transferOk: 'Transfer', cancel: 'Cancel', transferNobody: 'No colleague to transfer to', transferredOk: 'Transferred to {who}.',
      transferNoteFrom: '{who} transferred this to you: {note}', transferNoNote: '{who} transferred this to you (no note).',
      transferBy: 'Transferred by {who}: {note}', transferByNoNote: 'Transferred by {who}', colleagueFull: 'full {n}/{max}', chatsOf: '{n}/{max}',
      canned: 'Canned replies', cannedNone: 'No canned replies yet: the merchant adds them.', cannedNoMatch: 'No canned reply matches',
      shopperContext: 'Shopper', identity: 'Identity', verified: 'verified', anonymous: 'Not signed in (anonymous)', page: 'Page',
      language: 'Language', pastConversations: 'Earlier conversations', pastNone: 'No earlier conversations',
      pastNeedsId: 'Not signed in: earlier conversations cannot be linked', messagesN: '{n} messages',
      lang_zh: 'Chinese', lang_en: 'English',
    },
  };
  const $ = (sel) => document.querySelector(sel);
  const state = {
    key: localStorage.getItem(KEY_STORE) || '',
    lang: Xiaoer.savedLang(),
    me: null,
    queue: [],
    fetchedAt: 0,
    detail: null,
    detailFetchedAt: 0,
    currentId: null,
    transcriptSig: '',
    suggestionsSig: '',
    seen: null,  // queue entries already announced; null until the first queue load
    canned: [],
    picker: null,  // the open canned-reply picker: {items, active, from} (from: where the "/query" starts)
    timers: [],
    queueBusy: false,
    ticketBusy: false,
  };

  // ------------------------------------------------------------------ helpers

  const { el } = Xiaoer;
  const { t, label, api, loadLabels } = Xiaoer.create({
    strings: T,
    lang: () => state.lang,
    headers: () => ({ 'X-Agent-Key': state.key }),
    onUnauthorized: () => { if (state.me) signOut(t('keyExpired')); },
  });
  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return t('sec', { s });
    if (s < 3600) return t('min', { m: Math.floor(s / 60), s: String(s % 60).padStart(2, '0') });
    return t('hour', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  }
  function clock(iso) {
    const d = Xiaoer.utc(iso);
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

  function banner(kind, text) {
    const node = $('#ticket-banner');
    node.className = 'banner' + (kind ? ' ' + kind : '');
    Xiaoer.show(node, kind, text);
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
    const box = $('#presence-box');
    node.replaceChildren();
    if (!state.me) { node.hidden = true; box.hidden = true; return; }
    const away = state.me.presence === 'away';
    node.classList.toggle('away', away);
    node.append(
      el('span', { class: 'avatar', text: Array.from(state.me.name)[0] || '?' }),
      el('span', { class: 'online-dot', title: label('agent_presence', state.me.presence) }),
      el('span', { id: 'me-name', text: state.me.name }),
    );
    node.hidden = false;
    const select = $('#presence');
    for (const option of select.options) option.textContent = label('agent_presence', option.value);
    select.value = state.me.presence;
    select.setAttribute('aria-label', t('presence'));
    box.classList.toggle('away', away);
    const load = $('#load');
    load.textContent = t('chatsOf', { n: state.me.chats, max: state.me.max_chats });
    load.title = t('load');
    load.classList.toggle('full', state.me.chats >= state.me.max_chats);
    box.hidden = false;
  }

  async function setPresence(presence) {
    try {
      state.me = await api('PUT', '/v1/agent/me/presence', { presence });
      renderMe();
      refreshQueue();
    } catch (e) {
      banner('error', e.message);
      renderMe();
    }
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
    loadCanned();
    startPolling();
  }

  function signOut(message, keepKey) {
    stopPolling();
    if (!keepKey) localStorage.removeItem(KEY_STORE);
    Object.assign(state, { key: '', me: null, queue: [], detail: null, currentId: null, transcriptSig: '', suggestionsSig: '', seen: null, canned: [] });
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
      const [queue, me] = await Promise.all([api('GET', '/v1/agent/queue'), api('GET', '/v1/agent/me')]);
      state.queue = queue;
      state.me = me;
      state.fetchedAt = Date.now();
      renderMe();
      announceNew(queue);
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

  // ------------------------------------------------------------------ new-ticket alerts

  let audio = null;
  // Browsers let a page play sound (and ask for notifications) only after a user gesture:
  // the sign-in click, or the first click on a console that signed in by itself.
  function onFirstGesture() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === 'suspended') audio.resume().catch(() => {});
    askNotificationsOnce();
  }
  function askNotificationsOnce() {
    if (!('Notification' in window) || Notification.permission !== 'default' || localStorage.getItem(NOTIFY_ASKED_STORE)) return;
    localStorage.setItem(NOTIFY_ASKED_STORE, '1');
    Promise.resolve(Notification.requestPermission()).catch(() => {});
  }
  // A two-tone chime made by the Web Audio API: no sound file to ship or fetch.
  function chime() {
    if (!audio || audio.state !== 'running') return;
    const start = audio.currentTime;
    [[880, 0], [1320, 0.16]].forEach(([hz, at]) => {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.type = 'sine';
      tone.frequency.value = hz;
      gain.gain.setValueAtTime(0.0001, start + at);
      gain.gain.exponentialRampToValueAtTime(0.25, start + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + at + 0.3);
      tone.connect(gain).connect(audio.destination);
      tone.start(start + at);
      tone.stop(start + at + 0.32);
    });
  }
  function notify(title, body, ticketId) {
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    try {
      const note = new Notification(title, { body, tag: 'xiaoer-queue', lang: state.lang === 'zh' ? 'zh-CN' : 'en' });
      note.onclick = () => { window.focus(); openTicket(ticketId); note.close(); };
    } catch (e) { /* some browsers allow notifications only from a service worker */ }
  }
  /* Chime and notify for tickets that arrived in the queue, or were transferred to me,
   * since the last poll (the first load after sign-in only takes note of what is there). */
  function announceNew(queue) {
    const key = (x) => `${x.id}:${isMine(x) ? 'mine' : x.status}`;
    const first = state.seen === null;
    const seen = state.seen || new Set();
    const fresh = queue.filter((x) => !seen.has(key(x))
      && (x.status === 'queued' || (isMine(x) && x.transferred_by && x.transferred_by !== state.me.id)));
    queue.forEach((x) => seen.add(key(x)));
    state.seen = seen;
    if (first || !fresh.length) return;
    chime();
    const x = fresh[0];
    const title = x.status === 'queued'
      ? (fresh.length > 1 ? t('newTickets', { n: fresh.length }) : t('newTicket'))
      : t('transferredToYou', { who: x.transferred_by_name || x.transferred_by });
    notify(title, `${label('escalation_reasons', x.reason)} · ${snippet(x.summary)}`, x.id);
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
        text: mine ? t('youHandle') : label('ticket_statuses', ticket.status),
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
        el('span', {}, el('span', { class: 'tag reason', text: label('escalation_reasons', ticket.reason) }), ' ', statusTag),
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
    $('#ticket-reason').textContent = label('escalation_reasons', d.reason);
    const status = $('#ticket-status');
    status.className = 'tag ' + (mine ? 'mine' : d.status);
    status.textContent = mine ? t('youHandle')
      : d.status === 'claimed' ? t('handling', { who: holderName(d) }) : label('ticket_statuses', d.status);
    tick();

    $('#claim-btn').hidden = d.status !== 'queued';
    $('#resolve-btn').hidden = !mine;
    $('#handback-btn').hidden = !mine;
    $('#transfer-btn').hidden = !mine;
    $('#composer').hidden = !mine;
    if (!mine) closePicker();
    renderTransferNote(d, mine);
    $('#summary').textContent = d.summary;
    renderShopper(d.shopper);
    renderOrder(d.order);
    renderSuggestions(d, mine);
    renderTranscript(d);
  }

  function renderTransferNote(d, mine) {
    const node = $('#ticket-transfer');
    if (d.status !== 'claimed' || !d.transferred_by) { node.hidden = true; return; }
    const who = d.transferred_by_name || d.transferred_by;
    node.textContent = mine
      ? (d.transfer_note ? t('transferNoteFrom', { who, note: d.transfer_note }) : t('transferNoNote', { who }))
      : d.transfer_note ? t('transferBy', { who, note: d.transfer_note }) : t('transferByNoNote', { who });
    node.hidden = false;
  }

  function checkIcon() {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'icon');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', 'M5 12.5l4.5 4.5L19 7.5');
    svg.append(path);
    return svg;
  }

  /* Who the shopper is (only a verified id), where they write from, their language and
   * their earlier conversations with the shop. */
  function renderShopper(shopper) {
    const row = (key, name, value) => el('div', { class: 'order-row', dataset: { field: key } },
      el('span', { class: 'muted small', text: name }), value);
    const identity = shopper.shopper_id
      ? el('span', { class: 'verified' }, checkIcon(), el('span', { text: `${shopper.shopper_id} · ${t('verified')}` }))
      : el('span', { class: 'muted', text: t('anonymous') });
    const url = shopper.page_url || '';
    const page = /^https?:\/\//i.test(url)
      ? el('a', { class: 'page-link', href: url, target: '_blank', rel: 'noopener noreferrer', text: url })
      : el('span', { text: url || '—' });
    $('#shopper-info').replaceChildren(
      row('identity', t('identity'), identity),
      row('page', t('page'), page),
      row('lang', t('language'), el('span', { text: t('lang_' + shopper.lang) })),
    );
    const past = $('#shopper-past');
    if (!shopper.past.length) {
      past.replaceChildren(el('li', { class: 'muted small', text: shopper.shopper_id ? t('pastNone') : t('pastNeedsId') }));
      return;
    }
    const day = (iso) => Xiaoer.utc(iso).toLocaleDateString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { year: 'numeric', month: 'numeric', day: 'numeric' });
    past.replaceChildren(...shopper.past.map((p) => el('li', { dataset: { conversation: p.conversation_id } },
      el('span', { class: 'muted small', text: [day(p.created_at), t('messagesN', { n: p.messages }), p.ticket_status ? label('ticket_statuses', p.ticket_status) : ''].filter(Boolean).join(' · ') }),
      el('span', { class: 'first', text: p.first_message, title: p.first_message }))));
  }

  function renderOrder(order) {
    $('#order-card').hidden = !order;
    if (!order) return;
    const when = (iso) => (iso ? new Date(iso + 'Z').toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'UTC', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '');
    const rows = [
      [t('orderNo'), order.order_id],
      [t('orderStatus'), label('order_statuses', order.status)],
      order.items.length ? [t('orderItems'), order.items.join(' / ')] : null,
      order.carrier || order.tracking_no ? [t('orderTracking'), [order.carrier, order.tracking_no].filter(Boolean).join(' ')] : null,
      order.promised_ship_by && !order.shipped_at ? [t('orderPromise'), when(order.promised_ship_by)] : null,
      order.address ? [t('orderAddress'), order.address] : null,
      order.refund ? [t('orderRefund'), `${order.refund.status}${order.refund.amount != null ? ' ¥' + order.refund.amount : ''}`] : null,
    ].filter(Boolean);
    const flag = order.abnormal ? [el('span', { class: 'tag abnormal', text: label('order_abnormal', order.abnormal) })] : [];
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
    }, el('span', { class: 'text', text: s.text }), (s.source || s.document) ? el('span', { class: 'source', text: `${t('sources')}: ${s.source || s.document}` }) : null)));
  }

  function insertSuggestion(text) {
    const input = $('#reply-input');
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    input.setRangeText(text, start, end, 'end');
    input.focus();
  }

  function renderTranscript(d) {
    renderShopperTyping(d);
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
        ? [...new Set(m.data.citations.map((c) => c.source || c.document).filter(Boolean))] : [];
      return el('div', { class: 'msg ' + m.role, dataset: { id: String(m.id), role: m.role } },
        el('div', { class: 'meta', text: `${who} · ${clock(m.created_at)}` + (citations.length ? ` · ${t('sources')}: ${citations.join(', ')}` : '') }),
        m.data && m.data.photo ? el('div', { class: 'bubble photo' }, photoImage(m.data.photo)) : el('div', { class: 'bubble', text: m.text }));
    }));
    if (nearBottom || box.dataset.ticket !== String(d.id)) box.scrollTop = box.scrollHeight;
    box.dataset.ticket = String(d.id);
  }

  // A shopper's photo: fetched with the agent's key (an <img src> cannot send it), kept as a blob URL.
  const photoUrls = new Map();
  function photoImage(photo) {
    const img = el('img', { alt: state.lang === 'zh' ? '顾客发来的图片' : "Shopper's photo", width: photo.width, height: photo.height });
    if (!photoUrls.has(photo.id)) {
      photoUrls.set(photo.id, fetch(`/v1/agent/photos/${encodeURIComponent(photo.id)}`, { headers: { 'X-Agent-Key': state.key } })
        .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status))))).then((b) => URL.createObjectURL(b)));
    }
    photoUrls.get(photo.id).then((url) => { img.src = url; }, () => { img.classList.add('broken'); });
    return img;
  }

  // Typing both ways: the shopper's (from the ticket's shopper_typing), and ours, sent while we type.
  function renderShopperTyping(d) {
    let node = $('#shopper-typing');
    if (!node) {
      node = el('div', { id: 'shopper-typing', class: 'typing-note', role: 'status' });
      $('#transcript').after(node);
    }
    node.textContent = d.shopper_typing ? (state.lang === 'zh' ? '顾客正在输入…' : 'Shopper is typing…') : '';
    node.hidden = !d.shopper_typing;
  }
  let typingSentAt = 0;
  function sayTyping() {
    const d = state.detail;
    if (!d || !isMine(d) || Date.now() - typingSentAt < 2500) return;
    typingSentAt = Date.now();
    api('POST', `/v1/agent/tickets/${d.id}/typing`).catch(() => { /* only a hint */ });
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
        const [now, me] = await Promise.all([api('GET', `/v1/agent/tickets/${id}`), api('GET', '/v1/agent/me')]);
        state.me = me;
        renderMe();
        if (state.currentId === id) setDetail(now);
        if (now.status === 'claimed') text = t('alreadyClaimed', { who: holderName(now) });
        else if (now.status !== 'queued') text = t('ticketClosed', { status: label('ticket_statuses', now.status) });
        else if (me.presence === 'away') text = t('youAreAway');
        else if (me.chats >= me.max_chats) text = t('atLimit', { n: me.chats, max: me.max_chats });
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

  // ------------------------------------------------------------------ transfer

  async function openTransfer() {
    const d = state.detail;
    if (!isMine(d)) return;
    const error = $('#transfer-error');
    Xiaoer.show(error, null);
    let colleagues = [];
    try {
      colleagues = await api('GET', '/v1/agent/colleagues');
    } catch (e) {
      banner('error', e.message);
      return;
    }
    const select = $('#transfer-to');
    select.replaceChildren(...colleagues.map((c) => {
      const full = c.chats >= c.max_chats;
      const status = c.presence === 'away' ? label('agent_presence', 'away')
        : full ? t('colleagueFull', { n: c.chats, max: c.max_chats }) : t('chatsOf', { n: c.chats, max: c.max_chats });
      return el('option', { value: c.id, disabled: c.presence === 'away' || full, text: `${c.name} · ${status}` });
    }));
    const free = colleagues.find((c) => c.presence !== 'away' && c.chats < c.max_chats);
    if (free) select.value = free.id;
    else Xiaoer.show(error, 'error', t('transferNobody'));
    $('#transfer-ok').disabled = !free;
    $('#transfer-note').value = '';
    $('#transfer-dialog').showModal();
  }

  async function submitTransfer(ev) {
    ev.preventDefault();
    const d = state.detail;
    const select = $('#transfer-to');
    if (!d || !select.value) return;
    const who = select.selectedOptions[0].textContent.split(' · ')[0];
    try {
      await api('POST', `/v1/agent/tickets/${d.id}/transfer`, { to_agent_id: select.value, note: $('#transfer-note').value });
      $('#transfer-dialog').close();
      setDetail(await api('GET', `/v1/agent/tickets/${d.id}`));
      banner('ok', t('transferredOk', { who }));
    } catch (e) {
      Xiaoer.show($('#transfer-error'), 'error', e.message);
    } finally {
      refreshQueue();
    }
  }

  // ------------------------------------------------------------------ canned replies

  async function loadCanned() {
    try { state.canned = await api('GET', '/v1/agent/canned-replies'); } catch (e) { /* the picker says there are none */ }
  }

  /* The "/query" being typed just before the caret, or null. */
  function slashQuery(input) {
    const before = input.value.slice(0, input.selectionStart ?? input.value.length);
    const match = /(^|\s)\/([^\s/]*)$/.exec(before);
    return match ? { query: match[2], from: before.length - match[2].length - 1 } : null;
  }

  function openPicker(query, from) {
    const q = query.toLowerCase();
    const items = state.canned.filter((r) => !q || r.shortcut.toLowerCase().includes(q) || r.text.toLowerCase().includes(q));
    state.picker = { items, active: 0, from };
    renderPicker();
  }

  function closePicker() {
    state.picker = null;
    $('#canned-picker').hidden = true;
  }

  function renderPicker() {
    const list = $('#canned-picker');
    const picker = state.picker;
    if (!picker.items.length) {
      list.replaceChildren(el('li', { class: 'muted small', text: state.canned.length ? t('cannedNoMatch') : t('cannedNone') }));
    } else {
      list.replaceChildren(...picker.items.map((r, i) => el('li', {
        role: 'option', class: i === picker.active ? 'active' : '', 'aria-selected': i === picker.active ? 'true' : 'false',
        dataset: { shortcut: r.shortcut },
        onmousedown: (ev) => { ev.preventDefault(); pickCanned(i); },
      }, el('span', { class: 'shortcut', text: '/' + r.shortcut }), el('span', { class: 'text', text: r.text, title: r.text }))));
    }
    list.hidden = false;
  }

  function pickCanned(i) {
    const picker = state.picker;
    const reply = picker && picker.items[i];
    if (!reply) return;
    const input = $('#reply-input');
    const end = input.selectionStart ?? input.value.length;
    input.setRangeText(reply.text, picker.from ?? end, end, 'end');  // replaces the typed "/query"
    closePicker();
    input.focus();
  }

  function onReplyInput() {
    const typed = slashQuery($('#reply-input'));
    if (typed) openPicker(typed.query, typed.from);
    else if (state.picker && state.picker.from !== null) closePicker();
  }

  /* Arrow keys move in the open picker; Enter or Tab inserts; Escape closes. True when handled. */
  function pickerKey(ev) {
    const picker = state.picker;
    if (!picker) return false;
    if (ev.key === 'Escape') { closePicker(); return true; }
    if (!picker.items.length) return false;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      picker.active = (picker.active + (ev.key === 'ArrowDown' ? 1 : -1) + picker.items.length) % picker.items.length;
      renderPicker();
      return true;
    }
    if ((ev.key === 'Enter' && !ev.shiftKey) || ev.key === 'Tab') { pickCanned(picker.active); return true; }
    return false;
  }

  // ------------------------------------------------------------------ wiring

  $('#signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = $('#agent-key').value.trim();
    if (!key) return;
    const err = $('#signin-error');
    err.hidden = true;
    onFirstGesture();
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
    Xiaoer.saveLang(state.lang);
    loadLabels().then(applyLanguage);
  });
  $('#claim-btn').addEventListener('click', () => state.detail && claim(state.detail.id));
  $('#resolve-btn').addEventListener('click', () => close('resolve'));
  $('#handback-btn').addEventListener('click', () => close('hand-back'));
  $('#transfer-btn').addEventListener('click', openTransfer);
  $('#transfer-form').addEventListener('submit', submitTransfer);
  $('#transfer-cancel').addEventListener('click', () => $('#transfer-dialog').close());
  $('#presence').addEventListener('change', (ev) => setPresence(ev.target.value));
  $('#composer').addEventListener('submit', send);
  $('#reply-input').addEventListener('input', sayTyping);
  $('#reply-input').addEventListener('input', onReplyInput);
  $('#reply-input').addEventListener('blur', () => setTimeout(() => {
    if (!$('#composer').contains(document.activeElement)) closePicker();
  }, 150));
  $('#canned-btn').addEventListener('click', async () => {
    if (state.picker) { closePicker(); return; }
    await loadCanned();
    openPicker('', null);
    $('#reply-input').focus();
  });
  $('#reply-input').addEventListener('keydown', (ev) => {
    if (ev.isComposing) return;
    if (pickerKey(ev)) { ev.preventDefault(); return; }
    if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); $('#composer').requestSubmit(); }
  });
  document.addEventListener('pointerdown', onFirstGesture, { once: true });

  applyLanguage();
  loadLabels().then(applyLanguage);
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
