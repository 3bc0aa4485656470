/* xiaoer merchant dashboard: service score, charts, agent tiers, knowledge gaps, knowledge
 * upload / delete and the order-recovery policy. Plain DOM; every piece of data is set with
 * textContent; charts are inline SVG drawn here (no chart library, nothing from a CDN). */
(() => {
  'use strict';

  const STORE = 'xiaoer.merchant';
  const SVG = 'http://www.w3.org/2000/svg';
  const EXCELLENT = 4.8;

  const T = {
    zh: {
      brand: '小二 · 商家后台', title: '小二 · 商家后台', signOut: '退出', signInTitle: '商家登录',
      signInHint: '输入店铺 ID 和 API 密钥（X-Api-Key）。', merchantId: '店铺 ID', apiKey: 'API 密钥', signIn: '登录',
      badKey: '店铺 ID 或密钥不正确。', keyExpired: '密钥已失效，请重新登录。', network: '无法连接服务器，请稍后重试。',
      tabScore: '服务评分', tabKnowledge: '知识库', tabPolicy: '挽单策略',
      scoreTitle: '服务评分', period: '统计周期', days7: '近 7 天', days14: '近 14 天', days30: '近 30 天', days90: '近 90 天',
      refresh: '刷新', serviceScore: '店铺服务分', components: '评分构成', component: '指标', value: '数值', normalised: '得分',
      weight: '权重', contribution: '贡献',
      formula: '服务分 = 5 × Σ(权重 × 得分) / Σ权重（只计有数据的指标）；4.8 分及以上为优秀。',
      excellent: '优秀：已达到 4.8 优秀线', toExcellent: '距优秀线 4.8 还差 {d} 分', noData: '暂无数据：还没有会话',
      excellentLine: '优秀 4.8', leftOut: '暂无数据、未计入：{names}（其余权重按比例放大）', notCounted: '未计入',
      kpiConversations: '会话数', kpiResolution: '解决率', kpiTransfer: '转人工率', kpiResponse: '30秒应答率',
      kpiFirst: '平均首次响应', kpiCsat: '满意度', resolvedN: '已解决 {n}', escalatedN: '转人工 {n}',
      respondedN: '{a} / {b} 条消息', botResolvedN: '机器人解决 {n}', ratingsN: '{n} 个评价', pendingN: '{n} 条待回复',
      chartVolume: '每日会话量', chartResolved: '每日解决', chartEscalated: '每日转人工', chartRecovery: '每日挽单成功',
      totalN: '合计 {n}', conversations: '会话', resolved: '解决', escalated: '转人工', offersAccepted: '挽单成功', noChartData: '暂无数据',
      recovery: '订单挽回', offersMade: '发出挽单', accepted: '顾客接受', declined: '顾客拒绝', recoveryRate: '挽回率',
      amountSaved: '挽回订单金额', compensation: '补偿支出',
      recoveryNote: '挽回率 = 顾客接受的挽单 {a} / 发出的挽单 {m}；挽回订单金额 = 接受挽单后保住的订单金额（订单金额减补偿），只算知道订单的 {k} 单{u}。',
      unknownOrders: '，另有 {n} 单未关联订单、金额未知',
      resolutionTitle: '解决质量', confirmed: '顾客确认', assumed: '默认解决', reopened: '重新打开', resolutionPending: '{n} 个刚解决、24 小时内待定，暂不计入',
      confirmedTip: '顾客说了“好的谢谢/解决了”或评分 ≥ 4', assumedTip: '解决后 24 小时内顾客没有再回复',
      reopenedTip: '解决后 7 天内顾客又来问，或再次转人工',
      resolutionNote: '占已定结果的比例（确认 + 默认 + 重新打开）。', adoptionCol: '采用推荐',
      orders: '订单与物流', orderLookups: '查询订单', orderAbnormal: '发现异常订单', orderActions: '订单操作', orderShare: '机器人解决中查单占比',
      agents: '客服认证等级', agent: '客服', claimedCol: '接入', resolvedCol: '解决', responseCol: '30秒应答', resolutionCol: '解决率',
      handlingCol: '平均处理', tier: '等级', noAgents: '还没有客服',
      tierRule: '专家：应答率 ≥95%、解决率 ≥90%、质检分 ≥90；资深：≥90% / ≥80% / ≥80；高级：≥80% / ≥70% / ≥70；接入满 5 单才认证。',
      qaCol: '质检分', qaTitle: '质检', qaHint: '人工接待的每张工单按质检规则打分（0–100）', qaTickets: '工单', qaScore: '质检分',
      qaFlags: '违规/问题', qaEmpty: '没有被标记的消息', qaNoReply: '（没有回复）', qaTicket: '工单 #{n}',
      gaps: '知识缺口', gapsHint: '机器人答不上来的问题，按意思归类；补充到知识库即可', gapsEmpty: '暂无知识缺口，机器人都答上来了',
      askedN: '{n} 次', lastSeen: '最近 {t}', alsoAsked: '类似问法：',
      addAnswer: '添加答案', answerPlaceholder: '写下机器人以后该怎么回答这个问题', saveAnswer: '保存并入库',
      learned: '已入库，机器人学会了', gapsClosed: '已关闭 {n} 个知识缺口',
      drafts: '待审核答案', draftsHint: '客服解决知识缺口时的回复（已隐去个人信息），修改后通过即入库', draftsEmpty: '暂无待审核的答案',
      draftQuestion: '问题', draftAnswer: '答案', approve: '通过并入库', reject: '驳回', rejected: '已驳回', draftBy: '客服 {a} 的回复',
      knowledgeTitle: '知识库', dropTitle: '拖拽文件到这里，或点击选择',
      dropHint: 'FAQ .csv（问题,答案）、.md/.txt、商品目录 .json/.csv、.pdf；一批中有一个文件出错则全部不入库',
      documents: '文档', docName: '文件名', docKind: '类型', docChunks: '知识段', docSize: '大小', documentsEmpty: '还没有文档，先上传一份 FAQ 吧。',
      uploading: '正在上传 {n} 个文件…', processing: '上传完成，正在解析和建立索引…', uploadDone: '完成',
      uploadOk: '已入库 {n} 个文件：', uploadFailed: '上传失败，没有文件入库：', chunksN: '{n} 段',
      added: '新增', replaced: '已更新', unchanged: '内容未变化', delete: '删除', cancel: '取消',
      deleteTitle: '删除「{name}」？', deleteText: '这份文档的 {n} 段知识会从机器人中移除，无法撤销。', deleted: '已删除 {name}',
      policyTitle: '挽单策略', modeForm: '表单', modeJson: 'JSON',
      policyHint: '顾客申请退款时，机器人按退款原因先给出一次挽单方案；顾客拒绝即继续退款。金额受单笔上限和每日预算约束。',
      currency: '币种', perOrderCap: '单笔上限', dailyBudget: '每日预算', highValue: '高金额阈值（超过直接转人工，留空为不限）',
      queueTimeout: '排队超时（分钟，超时交还机器人）', category: '店铺类目（问候语、推荐问题和退款原因的说法）',
      answerThreshold: '回答门槛（0.3–0.95：把握低于此值转人工；留空为默认 0.5，越高越谨慎）', reason: '退款原因', offerKind: '挽单方案', amount: '金额',
      percent: '比例 %（按订单金额）', stepsZh: '退款步骤（中文）', stepsEn: '退款步骤（英文）', reset: '撤销修改', save: '保存策略',
      saved: '已保存（{t}），新的退款会话立即生效。', notSaved: '策略未保存：', jsonSyntax: 'JSON 格式错误：{e}', required: '{f}：请填写数字',
      notNumber: '{f}：不是有效数字',
    },
    en: {
      brand: 'Xiaoer · Merchant dashboard', title: 'Xiaoer · Merchant dashboard', signOut: 'Sign out', signInTitle: 'Merchant sign-in',
      signInHint: 'Enter your shop id and API key (X-Api-Key).', merchantId: 'Shop id', apiKey: 'API key', signIn: 'Sign in',
      badKey: 'Wrong shop id or key.', keyExpired: 'Your key is no longer valid; please sign in again.', network: 'Cannot reach the server.',
      tabScore: 'Service score', tabKnowledge: 'Knowledge', tabPolicy: 'Recovery policy',
      scoreTitle: 'Service score', period: 'Period', days7: 'Last 7 days', days14: 'Last 14 days', days30: 'Last 30 days', days90: 'Last 90 days',
      refresh: 'Refresh', serviceScore: 'Shop service score', components: 'Components', component: 'Component', value: 'Value',
      normalised: 'Score', weight: 'Weight', contribution: 'Points',
      formula: 'score = 5 × Σ(weight × score) / Σweight over the components with data; 4.8 and above is excellent.',
      excellent: 'Excellent: at or above the 4.8 line', toExcellent: '{d} below the 4.8 excellent line', noData: 'No data yet: no conversations',
      excellentLine: 'Excellent 4.8', leftOut: 'No data, left out: {names} (the other weights are scaled up)', notCounted: 'left out',
      kpiConversations: 'Conversations', kpiResolution: 'Resolution rate', kpiTransfer: 'Transfer rate', kpiResponse: 'Response rate (30 s)',
      kpiFirst: 'Avg first response', kpiCsat: 'CSAT', resolvedN: '{n} resolved', escalatedN: '{n} transferred',
      respondedN: '{a} / {b} messages', botResolvedN: '{n} by the bot', ratingsN: '{n} ratings', pendingN: '{n} pending',
      chartVolume: 'Daily conversations', chartResolved: 'Resolved per day', chartEscalated: 'Transferred per day', chartRecovery: 'Offers accepted per day',
      totalN: 'total {n}', conversations: 'conversations', resolved: 'resolved', escalated: 'transferred', offersAccepted: 'accepted', noChartData: 'No data yet',
      recovery: 'Order recovery', offersMade: 'Offers made', accepted: 'Accepted', declined: 'Declined', recoveryRate: 'Recovery rate',
      amountSaved: 'Order value kept', compensation: 'Compensation given',
      recoveryNote: 'Recovery rate = offers accepted {a} / offers made {m}; order value kept = the value of the orders kept after an accepted offer (order amount minus compensation), for the {k} with a known order{u}.',
      unknownOrders: '; {n} more had no order on file (amount unknown)',
      resolutionTitle: 'Resolution quality', confirmed: 'Confirmed', assumed: 'Assumed', reopened: 'Reopened', resolutionPending: '{n} resolved in the last 24 h, not counted yet',
      confirmedTip: 'the shopper said so ("thanks, that worked") or rated it 4 or 5', assumedTip: 'no reply from the shopper within 24 h of the resolution',
      reopenedTip: 'the shopper wrote again, or was handed to a person again, within 7 days',
      resolutionNote: 'Shares of the settled resolutions (confirmed + assumed + reopened).', adoptionCol: 'Suggestions used',
      orders: 'Orders and delivery', orderLookups: 'Orders looked up', orderAbnormal: 'Abnormal orders found', orderActions: 'Order actions', orderShare: 'Share of bot-resolved',
      agents: 'Agent tiers', agent: 'Agent', claimedCol: 'Claimed', resolvedCol: 'Resolved', responseCol: '30 s response', resolutionCol: 'Resolution',
      handlingCol: 'Avg handling', tier: 'Tier', noAgents: 'No agents yet',
      tierRule: 'Master: response ≥95%, resolution ≥90%, QA ≥90; expert: ≥90% / ≥80% / ≥80; senior: ≥80% / ≥70% / ≥70; at least 5 claimed tickets.',
      qaCol: 'QA', qaTitle: 'Quality inspection', qaHint: 'every ticket a person handled, scored 0–100 by your QA rules', qaTickets: 'Tickets',
      qaScore: 'QA score', qaFlags: 'Flags', qaEmpty: 'No flagged messages', qaNoReply: '(no reply)', qaTicket: 'ticket #{n}',
      gaps: 'Knowledge gaps', gapsHint: 'questions the bot could not answer, grouped by meaning: add them to your knowledge',
      gapsEmpty: 'No gaps: the bot answered everything', askedN: '×{n}', lastSeen: 'last {t}', alsoAsked: 'Also asked: ',
      addAnswer: 'Add answer', answerPlaceholder: 'How should the bot answer this from now on?', saveAnswer: 'Save to knowledge',
      learned: 'Stored: the bot knows it now', gapsClosed: '{n} gap(s) closed',
      drafts: 'Draft answers', draftsHint: "agents' replies that settled a knowledge gap (personal data masked): edit, then approve to add them",
      draftsEmpty: 'No drafts to review', draftQuestion: 'Question', draftAnswer: 'Answer', approve: 'Approve', reject: 'Reject',
      rejected: 'Rejected', draftBy: 'reply by agent {a}',
      knowledgeTitle: 'Knowledge', dropTitle: 'Drop files here, or click to choose',
      dropHint: 'FAQ .csv (question,answer), .md/.txt, catalog .json/.csv, .pdf; if one file in a batch is bad, nothing is stored',
      documents: 'Documents', docName: 'File', docKind: 'Kind', docChunks: 'Chunks', docSize: 'Size', documentsEmpty: 'No documents yet: upload an FAQ first.',
      uploading: 'Uploading {n} file(s)…', processing: 'Uploaded; parsing and indexing…', uploadDone: 'Done',
      uploadOk: '{n} file(s) stored:', uploadFailed: 'Upload failed; nothing was stored:', chunksN: '{n} chunks',
      added: 'added', replaced: 'replaced', unchanged: 'unchanged', delete: 'Delete', cancel: 'Cancel',
      deleteTitle: 'Delete “{name}”?', deleteText: 'Its {n} chunks of knowledge will be removed from the bot. This cannot be undone.',
      deleted: 'Deleted {name}',
      policyTitle: 'Recovery policy', modeForm: 'Form', modeJson: 'JSON',
      policyHint: 'When a shopper asks for a refund, the bot makes one offer chosen by the reason; a decline goes straight on to the refund. Amounts are limited by the per-order cap and the daily budget.',
      currency: 'Currency', perOrderCap: 'Per-order cap', dailyBudget: 'Daily budget', highValue: 'High-value threshold (refunds above go to a person; empty = none)',
      queueTimeout: 'Queue timeout (minutes, then back to the bot)', category: 'Shop category (greeting, suggested questions, refund reason wording)',
      answerThreshold: 'Answer threshold (0.3–0.95: less sure than this, a person takes over; empty = default 0.5; higher is more cautious)', reason: 'Refund reason', offerKind: 'Offer', amount: 'Amount',
      percent: 'Percent of order value', stepsZh: 'Refund steps (Chinese)', stepsEn: 'Refund steps (English)', reset: 'Discard changes', save: 'Save policy',
      saved: 'Saved ({t}); new refund conversations use it now.', notSaved: 'The policy was not saved:', jsonSyntax: 'Invalid JSON: {e}',
      required: '{f}: a number is required', notNumber: '{f}: not a valid number',
    },
  };
  const MONETARY = new Set(['partial_compensation', 'coupon']);
  const FIELD_NAMES = {
    currency: 'currency', per_order_cap: 'perOrderCap', daily_budget: 'dailyBudget',
    high_value_threshold: 'highValue', queue_timeout_minutes: 'queueTimeout', answer_threshold: 'answerThreshold',
  };

  const $ = (sel, root) => (root || document).querySelector(sel);
  const saved = (() => { try { return JSON.parse(localStorage.getItem(STORE) || 'null') || {}; } catch (e) { return {}; } })();
  const state = {
    merchant: saved.id || '',
    key: saved.key || '',
    lang: Xiaoer.savedLang(),
    profile: null,
    tab: 'score',
    metrics: null,
    gaps: [],
    drafts: [],
    qa: null,
    documents: [],
    policy: null,
    mode: 'form',
  };

  // ------------------------------------------------------------------ helpers

  const { el, setAttrs } = Xiaoer;
  const { t, label, labelCodes, api, loadLabels } = Xiaoer.create({
    strings: T,
    lang: () => state.lang,
    headers: () => ({ 'X-Api-Key': state.key }),
    onUnauthorized: () => { if (state.profile) signOut(t('keyExpired')); },
  });
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    for (const c of children) if (c) node.append(c);
    return node;
  }
  // Icons are inline SVG, not emoji: a machine with CJK fonts only draws emoji as boxes.
  function starIcon() {
    return svg('svg', { class: 'icon', viewBox: '0 0 24 24', 'aria-hidden': 'true' },
      svg('path', { d: 'M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1-4.4-4.3 6.1-.9z' }));
  }
  function pct(x) {
    return x === null || x === undefined ? '—' : `${Math.round(x * 1000) / 10}%`;
  }
  function seconds(s) {
    if (s === null || s === undefined) return '—';
    const unit = state.lang === 'zh' ? '秒' : ' s';
    if (s < 0.1) return '<0.1' + unit;
    if (s < 60) return (s < 10 ? s.toFixed(1) : String(Math.round(s))) + unit;
    const m = Math.floor(s / 60);
    if (m < 60) return state.lang === 'zh' ? `${m}分${Math.round(s % 60)}秒` : `${m}m ${Math.round(s % 60)}s`;
    return state.lang === 'zh' ? `${Math.floor(m / 60)}小时${m % 60}分` : `${Math.floor(m / 60)}h ${m % 60}m`;
  }
  function money(x) {
    const currency = (state.policy && state.policy.currency) || 'CNY';
    const symbol = { CNY: '¥', RMB: '¥', USD: '$', EUR: '€', GBP: '£', JPY: '¥' }[currency.toUpperCase()];
    const n = Number(x || 0).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return symbol ? symbol + n : `${n} ${currency}`;
  }
  function bytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
  }
  function when(iso) {
    const d = Xiaoer.utc(iso);
    return d.toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  }
  function base() {
    return `/v1/merchants/${encodeURIComponent(state.merchant)}`;
  }

  let toastTimer = null;
  function toast(text) {
    let node = $('#toast');
    if (!node) { node = el('div', { id: 'toast', class: 'toast', role: 'status' }); document.body.append(node); }
    node.textContent = text;
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.hidden = true; }, 2500);
  }

  function confirmDialog(title, text) {
    const dialog = $('#confirm');
    $('#confirm-title').textContent = title;
    $('#confirm-text').textContent = text;
    dialog.returnValue = '';
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    });
  }

  // ------------------------------------------------------------------ language, sign-in, tabs

  function applyLanguage() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('title');
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    $('#lang-toggle').textContent = state.lang === 'zh' ? 'EN' : '中文';
    renderShop();
    if (state.metrics) renderMetrics();
    if (state.qa) renderQa();
    renderGaps();
    renderDrafts();
    renderDocuments();
    buildRules();  // keeps the values being edited
  }

  function renderShop() {
    const node = $('#shop');
    node.replaceChildren();
    if (!state.profile) { node.hidden = true; return; }
    node.append(el('span', { class: 'shop-badge', text: Array.from(state.profile.name)[0] || '?' }),
      el('span', { id: 'shop-name', text: state.profile.name }));
    node.hidden = false;
  }

  async function signIn(merchant, key) {
    state.merchant = merchant;
    state.key = key;
    state.profile = await api('GET', base());
    localStorage.setItem(STORE, JSON.stringify({ id: merchant, key }));
    $('#signin').hidden = true;
    $('#app').hidden = false;
    $('#tabs').hidden = false;
    $('#signout').hidden = false;
    renderShop();
    loadPolicy();  // the currency for money figures, and the policy tab
    showTab((location.hash || '#score').slice(1));
  }

  function signOut(message) {
    state.policyEdited = false;
    localStorage.removeItem(STORE);
    Object.assign(state, { key: '', profile: null, metrics: null, gaps: [], drafts: [], qa: null, documents: [], policy: null });
    $('#app').hidden = true;
    $('#tabs').hidden = true;
    $('#signout').hidden = true;
    renderShop();
    $('#signin').hidden = false;
    $('#merchant-id').value = state.merchant || '';
    $('#api-key').value = '';
    const err = $('#signin-error');
    err.textContent = message || '';
    err.hidden = !message;
  }

  function showTab(name) {
    if (!['score', 'knowledge', 'policy'].includes(name)) name = 'score';
    state.tab = name;
    for (const a of document.querySelectorAll('#tabs a')) a.classList.toggle('active', a.dataset.tab === name);
    for (const panel of document.querySelectorAll('.tab-panel')) panel.hidden = panel.id !== `tab-${name}`;
    if (!state.profile) return;
    if (name === 'score') loadScore();
    if (name === 'knowledge') loadDocuments();
    if (name === 'policy' && !state.policy) loadPolicy();
  }

  // ------------------------------------------------------------------ score

  async function loadScore() {
    const days = $('#period').value;
    const err = $('#score-error');
    try {
      const [metrics, gaps, drafts, qa] = await Promise.all([
        api('GET', `${base()}/metrics?days=${days}`),
        api('GET', `${base()}/gaps?days=${days}&limit=20`),
        api('GET', `${base()}/drafts`),
        api('GET', `${base()}/qa?days=${days}`),
      ]);
      state.metrics = metrics;
      state.gaps = gaps;
      state.drafts = drafts;
      state.qa = qa;
      err.hidden = true;
      renderMetrics();
      renderGaps();
      renderDrafts();
      renderQa();
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  }

  function renderMetrics() {
    const m = state.metrics;
    const s = m.service_score;
    const value = $('#score-value');
    value.textContent = s.score === null ? '–' : s.score.toFixed(2);
    value.className = 'score-value ' + (s.score === null ? '' : s.excellent ? 'excellent' : s.score >= 4 ? 'good' : s.score < 3 ? 'poor' : '');
    value.dataset.score = s.score === null ? '' : String(s.score);
    const verdict = $('#score-verdict');
    verdict.className = 'verdict' + (s.excellent ? ' excellent' : '');
    verdict.replaceChildren(s.score === null ? t('noData') : s.excellent ? t('excellent') : t('toExcellent', { d: (EXCELLENT - s.score).toFixed(2) }));
    if (s.excellent) verdict.prepend(starIcon());
    drawGauge($('#score-gauge'), s.score);
    const leftOut = $('#score-leftout');
    leftOut.hidden = !s.left_out.length;
    leftOut.textContent = s.left_out.length ? t('leftOut', { names: s.left_out.map((c) => label('score_components', c)).join(state.lang === 'zh' ? '、' : ', ') }) : '';

    const used = s.components.filter((c) => c.included).reduce((a, c) => a + c.weight, 0);
    $('#components tbody').replaceChildren(...s.components.map((c) => {
      const n = c.normalised;
      return el('tr', { class: c.included ? '' : 'left-out', dataset: { component: c.name } },
        el('td', { text: label('score_components', c.name) }),
        el('td', { class: 'num', text: componentValue(c) }),
        el('td', { class: 'bar-cell' }, c.included
          ? el('div', { class: 'hbar' + (n >= 0.8 ? ' high' : n < 0.5 ? ' low' : ''), title: pct(n) }, el('div', { style: `width:${Math.round(n * 100)}%` }))
          : el('span', { class: 'muted small', text: t('notCounted') })),
        el('td', { class: 'num', text: `${Math.round(c.weight * 100)}%` }),
        el('td', { class: 'num', text: c.included && used ? (5 * c.weight * n / used).toFixed(2) : '—' }));
    }));

    const kpis = [
      [t('kpiConversations'), String(m.conversations), t('botResolvedN', { n: m.bot_resolved })],
      [t('kpiResolution'), pct(m.resolution_rate), t('resolvedN', { n: m.resolved })],
      [t('kpiTransfer'), pct(m.transfer_rate), t('escalatedN', { n: m.escalated })],
      [t('kpiResponse'), pct(m.response_rate), t('respondedN', { a: m.responded_in_sla, b: m.shopper_messages })],
      [t('kpiFirst'), seconds(m.avg_first_response_seconds), m.pending_messages ? t('pendingN', { n: m.pending_messages }) : ''],
      [t('kpiCsat'), m.csat.mean === null ? '—' : `${m.csat.mean.toFixed(1)} / 5`, t('ratingsN', { n: m.csat.ratings })],
    ];
    $('#kpis').replaceChildren(...kpis.map(([name, v, sub]) => el('div', { class: 'kpi' },
      el('div', { class: 'kpi-label', text: name }), el('div', { class: 'kpi-value', text: v }), el('div', { class: 'kpi-sub', text: sub || '\u00a0' }))));

    const daily = m.daily;
    drawChart($('#chart-volume'), daily, { value: (d) => d.conversations, color: '#3370ff', name: t('conversations') });
    drawChart($('#chart-resolved'), daily, { value: (d) => d.resolved, total: (d) => d.conversations, color: '#00a870', name: t('resolved') });
    drawChart($('#chart-escalated'), daily, { value: (d) => d.escalated, total: (d) => d.conversations, color: '#ed7b2f', name: t('escalated') });
    drawChart($('#chart-recovery'), daily, { value: (d) => d.offers_accepted, color: '#7b61ff', name: t('offersAccepted') });

    const res = m.resolution;
    $('#resolution').replaceChildren(...['confirmed', 'assumed', 'reopened'].map((kind) => el('div', { class: 'figure', dataset: { kind }, title: t(kind + 'Tip') },
      el('div', { class: 'figure-label', text: t(kind) }),
      el('div', { class: 'figure-value', text: `${pct(res[kind + '_rate'])} (${res[kind]})` }))));
    $('#resolution-note').textContent = t('resolutionNote') + (res.pending ? ' ' + t('resolutionPending', { n: res.pending }) : '');

    const r = m.recovery;
    const unknown = r.offers_accepted - r.accepted_with_order;
    const figures = [
      [t('offersMade'), String(r.offers_made)], [t('accepted'), String(r.offers_accepted)], [t('declined'), String(r.offers_declined)],
      [t('recoveryRate'), pct(r.recovery_rate)],
      [t('amountSaved'), r.offers_accepted && !r.accepted_with_order ? '—' : money(r.amount_saved)], [t('compensation'), money(r.compensation_given)],
    ];
    const note = t('recoveryNote', { a: r.offers_accepted, m: r.offers_made, k: r.accepted_with_order, u: unknown > 0 ? t('unknownOrders', { n: unknown }) : '' });
    $('#recovery').replaceChildren(...figures.map(([name, v]) => el('div', { class: 'figure', title: note },
      el('div', { class: 'figure-label', text: name }), el('div', { class: 'figure-value', text: v }))));
    $('#recovery-note').textContent = note;
    const o = m.orders;
    const orderFigures = [
      [t('orderLookups'), String(o.lookups)], [t('orderAbnormal'), String(o.abnormal)],
      [t('orderActions'), String(o.actions)], [t('orderShare'), pct(o.share_of_bot_resolved)],
    ];
    $('#orders').replaceChildren(...orderFigures.map(([name, v]) => el('div', { class: 'figure' },
      el('div', { class: 'figure-label', text: name }), el('div', { class: 'figure-value', text: v }))));

    const rows = m.agents.map((a) => el('tr', { dataset: { agent: a.agent_id } },
      el('td', {}, el('span', { text: a.name }), a.name !== a.agent_id ? el('span', { class: 'agent-id', text: a.agent_id }) : null),
      el('td', { class: 'num', text: String(a.tickets_claimed) }),
      el('td', { class: 'num', text: String(a.tickets_resolved) }),
      el('td', { class: 'num', text: pct(a.response_rate) }),
      el('td', { class: 'num', text: pct(a.resolution_rate) }),
      el('td', { class: 'num', text: seconds(a.avg_handling_seconds) }),
      el('td', { class: 'num', text: a.qa_score === null ? '—' : a.qa_score.toFixed(0) }),
      el('td', { class: 'num adoption', text: a.replies ? `${pct(a.adoption_rate)} (${a.replies_from_suggestion}/${a.replies})` : '—' }),
      el('td', {}, el('span', { class: `tier ${a.tier}`, text: label('agent_tiers', a.tier) }))));
    $('#agents tbody').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: '9', class: 'empty', text: t('noAgents') }))]));
  }

  function componentValue(c) {
    if (c.value === null) return '—';
    if (c.name === 'csat') return `${c.value.toFixed(2)} / 5`;
    if (c.name === 'first_response') return seconds(c.value);
    return pct(c.value);
  }

  function drawGauge(node, score) {
    const x0 = 8, w = 284, y = 22, h = 12;
    const x = (v) => x0 + (v / 5) * w;
    const line = x(EXCELLENT);
    const children = [
      svg('rect', { x: x0, y, width: w, height: h, rx: 6, fill: '#f2f3f5' }),
      svg('rect', { x: line, y, width: x0 + w - line, height: h, fill: '#d5f2e6' }),
    ];
    if (score !== null) {
      children.push(svg('rect', {
        x: x0, y, width: Math.max(h, x(score) - x0), height: h, rx: 6,
        fill: score >= EXCELLENT ? '#00a870' : score >= 4 ? '#ff6a00' : score >= 3 ? '#ed7b2f' : '#e34d59',
      }));
    }
    children.push(svg('line', { x1: line, x2: line, y1: y - 5, y2: y + h + 3, stroke: '#00a870', 'stroke-width': 2 }));
    children.push(svg('text', { x: line, y: y - 9, 'text-anchor': 'end', 'font-size': 11, fill: '#00a870', 'font-weight': 600, text: t('excellentLine') }));
    for (let v = 0; v <= 5; v++) {
      children.push(svg('text', { x: x(v), y: y + h + 16, 'text-anchor': v === 0 ? 'start' : v === 5 ? 'end' : 'middle', 'font-size': 10, fill: '#86909c', text: String(v) }));
    }
    node.replaceChildren(...children);
  }

  function niceMax(v) {
    if (v <= 4) return 4;
    const step = Math.pow(10, Math.floor(Math.log10(v / 4)));
    for (const m of [1, 2, 2.5, 5, 10]) if (step * m * 4 >= v) return step * m * 4;
    return v;
  }

  function drawChart(node, daily, spec) {
    const W = 520, H = 190, L = 36, R = 10, TOP = 22, B = 26;
    const pw = W - L - R, ph = H - TOP - B;
    const n = daily.length;
    const values = daily.map(spec.value);
    const totals = spec.total ? daily.map(spec.total) : values;
    const sum = values.reduce((a, b) => a + b, 0);
    const top = niceMax(Math.max(0, ...totals, ...values));
    const y = (v) => TOP + ph - (v / top) * ph;
    const slot = n ? pw / n : pw;
    const bw = Math.max(2, Math.min(26, slot * 0.64));
    const parts = [];
    for (let i = 0; i <= 4; i++) {
      const v = (top / 4) * i;
      parts.push(svg('line', { class: i ? 'grid-line' : 'axis', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      parts.push(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', text: Number.isInteger(v) ? String(v) : v.toFixed(1) }));
    }
    const every = Math.max(1, Math.ceil(n / 8));
    daily.forEach((d, i) => {
      const cx = L + slot * i + slot / 2;
      const tip = spec.total
        ? `${d.day}: ${spec.name} ${values[i]} / ${t('conversations')} ${totals[i]}` + (totals[i] ? ` (${pct(values[i] / totals[i])})` : '')
        : `${d.day}: ${spec.name} ${values[i]}`;
      const group = svg('g', { class: 'day', dataset: { day: d.day, value: String(values[i]) } }, svg('title', { text: tip }));
      group.append(svg('rect', { x: cx - slot / 2, y: TOP, width: slot, height: ph, fill: 'transparent' }));
      if (spec.total && totals[i] > 0) {
        group.append(svg('rect', { class: 'bar-total', x: cx - bw / 2, y: y(totals[i]), width: bw, height: y(0) - y(totals[i]), rx: 2 }));
      }
      if (values[i] > 0) {
        group.append(svg('rect', { x: cx - bw / 2, y: y(values[i]), width: bw, height: y(0) - y(values[i]), rx: 2, fill: spec.color }));
      }
      parts.push(group);
      if ((n - 1 - i) % every === 0) {
        parts.push(svg('text', { x: cx, y: H - 8, 'text-anchor': 'middle', text: d.day.slice(5) }));
      }
    });
    // legend
    const legend = [[spec.color, spec.name]];
    if (spec.total) legend.push(['#e8eaee', t('conversations')]);
    let lx = W - R;
    for (const [color, name] of legend.reverse()) {
      const text = svg('text', { x: lx, y: 12, 'text-anchor': 'end', text: name });
      const width = name.length * (/[\u4e00-\u9fff]/.test(name) ? 11 : 6.2);
      parts.push(text, svg('rect', { x: lx - width - 14, y: 3, width: 10, height: 10, rx: 2, fill: color }));
      lx -= width + 26;
    }
    if (!totals.some((v) => v > 0)) parts.push(svg('text', { class: 'empty-label', x: L + pw / 2, y: TOP + ph / 2, 'text-anchor': 'middle', text: t('noChartData') }));
    node.setAttribute('aria-label', `${spec.name}: ${sum}`);
    node.replaceChildren(...parts);
    const total = node.parentElement.querySelector('.chart-total');
    if (total) total.textContent = t('totalN', { n: sum });
  }

  function renderGaps() {
    const list = $('#gaps');
    list.replaceChildren(...state.gaps.map((g) => {
      const others = g.examples.filter((x) => x !== g.question);
      return el('li', { class: 'gap', dataset: { question: g.question } },
        el('div', { class: 'gap-count', text: t('askedN', { n: g.count }) }),
        el('div', {},
          el('div', { class: 'gap-question', text: g.question }),
          others.length ? el('div', { class: 'gap-examples', text: t('alsoAsked') + others.join(' · ') }) : null),
        el('div', { class: 'gap-meta' },
          el('div', {}, ...g.reasons.map((r) => el('span', { class: 'tag', text: label('gap_reasons', r) }))),
          el('div', { text: t('lastSeen', { t: when(g.last_seen) }) }),
          el('button', { type: 'button', class: 'btn small gap-add', text: t('addAnswer'), onclick: (e) => openAnswerForm(e.target.closest('li'), g.question) })));
    }));
    $('#gaps-empty').hidden = state.gaps.length > 0 || !state.metrics;
  }

  // The knowledge loop: an answer written for a gap, or an agent's reply approved, is
  // ingested at once; the API re-asks the open gaps and says which it closed.
  function openAnswerForm(item, question) {
    if (item.querySelector('.gap-form')) return;
    const answer = el('textarea', { class: 'gap-answer', rows: '3', maxlength: '2000', placeholder: t('answerPlaceholder') });
    const error = el('p', { class: 'error', hidden: true });
    const form = el('form', { class: 'gap-form' }, answer, error,
      el('div', { class: 'form-foot' },
        el('button', { type: 'button', class: 'btn ghost small', text: t('cancel'), onclick: () => form.remove() }),
        el('button', { type: 'submit', class: 'btn primary small', text: t('saveAnswer') })));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      learn(form, error, () => api('POST', `${base()}/gaps/answer`, { question, answer: answer.value }));
    });
    item.append(form);
    answer.focus();
  }

  async function learn(form, error, call) {
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    try {
      const result = await call();
      toast(t('learned') + (result.closed_gaps.length ? ' · ' + t('gapsClosed', { n: result.closed_gaps.length }) : ''));
      await loadScore();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      for (const b of form.querySelectorAll('button')) b.disabled = false;
    }
  }

  function renderDrafts() {
    $('#drafts').replaceChildren(...state.drafts.map((d) => {
      const question = el('input', { class: 'draft-question', value: d.question, maxlength: '500', 'aria-label': t('draftQuestion') });
      const answer = el('textarea', { class: 'draft-answer', rows: '3', maxlength: '2000', 'aria-label': t('draftAnswer') });
      answer.value = d.answer;
      const error = el('p', { class: 'error', hidden: true });
      const form = el('form', { class: 'draft', dataset: { draft: String(d.id) } },
        el('label', {}, el('span', { class: 'muted small', text: t('draftQuestion') }), question),
        el('label', {}, el('span', { class: 'muted small', text: t('draftAnswer') }), answer),
        error,
        el('div', { class: 'form-foot' },
          el('span', { class: 'muted small draft-meta', text: (d.agent_id ? t('draftBy', { a: d.agent_id }) + ' · ' : '') + when(d.created_at) }),
          el('button', { type: 'button', class: 'btn danger small draft-reject', text: t('reject'), onclick: () => rejectDraft(d.id, form, error) }),
          el('button', { type: 'submit', class: 'btn primary small draft-approve', text: t('approve') })));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        learn(form, error, () => api('POST', `${base()}/drafts/${d.id}/approve`, { question: question.value, answer: answer.value }));
      });
      return el('li', {}, form);
    }));
    $('#drafts-empty').hidden = state.drafts.length > 0 || !state.metrics;
  }

  async function rejectDraft(id, form, error) {
    try {
      await api('POST', `${base()}/drafts/${id}/reject`);
      toast(t('rejected'));
      state.drafts = state.drafts.filter((d) => d.id !== id);
      renderDrafts();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    }
  }

  // Quality inspection: per-agent scores, then each flagged message with the rule it broke.
  function renderQa() {
    const qa = state.qa;
    const names = Object.fromEntries(qa.agents.map((a) => [a.agent_id, a.name]));
    const rows = qa.agents.map((a) => el('tr', { dataset: { agent: a.agent_id } },
      el('td', { text: a.name }),
      el('td', { class: 'num', text: String(a.tickets) }),
      el('td', { class: 'num' + (a.score !== null && a.score < 70 ? ' poor' : ''), text: a.score === null ? '—' : a.score.toFixed(1) }),
      el('td', { class: 'num', text: String(a.flags) })));
    $('#qa-agents tbody').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: '4', class: 'empty', text: t('noAgents') }))]));
    $('#qa-flags').replaceChildren(...qa.flags.map((f) => el('li', { class: 'qa-flag', dataset: { rule: f.rule, message: f.message_id === null ? '' : String(f.message_id) } },
      el('div', { class: 'qa-flag-head' },
        el('span', { class: `tag rule-${f.rule}`, text: label('qa_rules', f.rule) }),
        el('span', { class: 'qa-detail', text: f.detail }),
        el('span', { class: 'muted small', text: `${names[f.agent_id] || f.agent_id} · ${t('qaTicket', { n: f.ticket_id })}${f.at ? ' · ' + when(f.at) : ''}` })),
      el('div', { class: 'qa-text', text: f.text || t('qaNoReply') }))));
    $('#qa-empty').hidden = qa.flags.length > 0;
  }

  // ------------------------------------------------------------------ knowledge

  async function loadDocuments() {
    try {
      state.documents = await api('GET', `${base()}/documents`);
      renderDocuments();
    } catch (e) {
      toast(e.message);
    }
  }

  function renderDocuments() {
    $('#doc-count').textContent = String(state.documents.length);
    $('#documents-empty').hidden = state.documents.length > 0 || !state.profile;
    $('#documents tbody').replaceChildren(...state.documents.map((d) => el('tr', { dataset: { name: d.name } },
      el('td', { class: 'doc-name', text: d.name }),
      el('td', {}, el('span', { class: 'tag', text: label('document_kinds', d.kind) })),
      el('td', { class: 'num', text: String(d.chunks) }),
      el('td', { class: 'num', text: bytes(d.size_bytes) }),
      el('td', { class: 'num' }, el('button', {
        type: 'button', class: 'btn danger small delete', text: t('delete'), onclick: () => removeDocument(d),
      })))));
  }

  async function removeDocument(doc) {
    if (!await confirmDialog(t('deleteTitle', { name: doc.name }), t('deleteText', { n: doc.chunks }))) return;
    try {
      await api('DELETE', `${base()}/documents/${encodeURIComponent(doc.name)}`);
      toast(t('deleted', { name: doc.name }));
    } catch (e) {
      toast(e.message);
    }
    loadDocuments();
  }

  function setProgress(phase, fraction, mode) {
    $('#upload-progress').hidden = false;
    $('#upload-phase').textContent = phase;
    $('#upload-percent').textContent = mode === 'processing' ? '' : `${Math.round(fraction * 100)}%`;
    const bar = $('#upload-bar');
    bar.className = 'progress-bar' + (mode ? ' ' + mode : '');
    bar.style.width = `${Math.round(fraction * 100)}%`;
  }

  function upload(fileList) {
    const files = Array.from(fileList || []);
    if (!files.length) return;
    const form = new FormData();
    for (const f of files) form.append('files', f, f.name);
    const result = $('#upload-result');
    result.hidden = true;
    setProgress(t('uploading', { n: files.length }), 0, '');
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${base()}/documents`);
    xhr.setRequestHeader('X-Api-Key', state.key);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) setProgress(t('uploading', { n: files.length }), e.loaded / e.total, '');
    });
    xhr.upload.addEventListener('load', () => setProgress(t('processing'), 1, 'processing'));
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300 && data) {
        setProgress(t('uploadDone'), 1, 'done');
        showUploadResult(t('uploadOk', { n: data.files.length }), data.files);
        if (data.closed_gaps && data.closed_gaps.length) {
          toast(t('gapsClosed', { n: data.closed_gaps.length }));
          loadScore();  // the closed gaps leave the list
        }
        loadDocuments();
      } else {
        setProgress(t('uploadFailed'), 1, 'failed');
        const errors = data && Array.isArray(data.errors) ? data.errors.map((e) => [e.file, e.reason]) : null;
        showUploadError(errors, (data && data.detail) || `${xhr.status} ${xhr.statusText}`);
        if (xhr.status === 401) signOut(t('keyExpired'));
      }
    });
    xhr.addEventListener('error', () => {
      setProgress(t('uploadFailed'), 1, 'failed');
      showUploadError(null, t('network'));
    });
    xhr.send(form);
  }

  function showUploadResult(heading, files) {
    const result = $('#upload-result');
    result.className = 'upload-result ok';
    result.dataset.kind = 'ok';
    result.replaceChildren(el('strong', { text: heading }), el('ul', {}, ...files.map((f) => el('li', { dataset: { file: f.name } },
      el('span', { class: 'file-name', text: f.name }), ' — ',
      el('span', { class: 'file-status', text: t(f.status) }), ` · ${t('chunksN', { n: f.chunks })}`))));
    result.hidden = false;
  }

  function showUploadError(errors, detail) {
    const result = $('#upload-result');
    result.className = 'upload-result failed';
    result.dataset.kind = 'failed';
    const items = errors && errors.length
      ? errors.map(([file, reason]) => el('li', { dataset: { file } }, el('strong', { text: file }), `: ${reason}`))
      : [el('li', { text: detail })];
    result.replaceChildren(el('strong', { text: t('uploadFailed') }), el('ul', {}, ...items));
    result.hidden = false;
  }

  // ------------------------------------------------------------------ recovery policy

  // One load at a time, and never over the merchant's unsaved edits: a load started at sign-in
  // that lands after they began typing would quietly put the old values back.
  let policyLoad = null;
  function loadPolicy() {
    policyLoad = policyLoad || (async () => {
      try {
        state.policy = await api('GET', `${base()}/policy`);
        if (!state.policyEdited) {
          fillForm(state.policy);
          $('#policy-json').value = JSON.stringify(state.policy, null, 2);
        }
      } catch (e) {
        showPolicyErrors([e.message]);
      } finally {
        policyLoad = null;
      }
    })();
    return policyLoad;
  }

  function buildRules() {
    const current = $('#rules').children.length ? readRules() : null;
    $('#rules').replaceChildren(...labelCodes('refund_reasons').map((reason) => {
      const select = el('select', { name: 'kind', 'aria-label': `${label('refund_reasons', reason)} ${t('offerKind')}` },
        ...labelCodes('offer_kinds').map((k) => el('option', { value: k, text: label('offer_kinds', k) })));
      select.addEventListener('change', () => syncRule(select.closest('tr')));
      return el('tr', { dataset: { reason } },
        el('td', { text: label('refund_reasons', reason) }),
        el('td', {}, select),
        el('td', {}, el('input', { name: 'amount', type: 'number', step: '0.01', 'aria-label': `${label('refund_reasons', reason)} ${t('amount')}` })),
        el('td', {}, el('input', { name: 'percent', type: 'number', step: '0.1', 'aria-label': `${label('refund_reasons', reason)} ${t('percent')}` })));
    }));
    if (current) fillRules(current);
  }

  function syncRule(row) {
    const monetary = MONETARY.has($('select', row).value);
    $('input[name=amount]', row).disabled = !monetary;
    $('input[name=percent]', row).disabled = !monetary;
  }

  function fillRules(reasons) {
    for (const row of $('#rules').children) {
      const rule = (reasons || {})[row.dataset.reason] || {};
      $('select', row).value = rule.kind || 'none';
      $('input[name=amount]', row).value = rule.amount ?? '';
      $('input[name=percent]', row).value = rule.percent ?? '';
      syncRule(row);
    }
  }

  function fillCategories(select, current) {
    // The preset categories by name (GET /v1/labels); a category the presets lack stays choosable.
    const codes = labelCodes('shop_categories');
    if (current && !codes.includes(current)) codes.push(current);
    select.replaceChildren(...codes.map((code) => el('option', { value: code, text: label('shop_categories', code) })));
    select.value = current || 'general';
  }

  function fillForm(policy) {
    const form = $('#policy-form');
    fillCategories(form.elements.category, policy.category);
    for (const name of Object.keys(FIELD_NAMES)) {
      form.elements[name].value = policy[name] ?? '';
      form.elements[name].classList.remove('invalid');
    }
    fillRules(policy.reasons);
    form.elements.steps_zh.value = (policy.refund_steps || {}).zh || '';
    form.elements.steps_en.value = (policy.refund_steps || {}).en || '';
  }

  function readRules() {
    const reasons = {};
    for (const row of $('#rules').children) {
      reasons[row.dataset.reason] = {
        kind: $('select', row).value,
        amount: $('input[name=amount]', row).value,
        percent: $('input[name=percent]', row).value,
      };
    }
    return reasons;
  }

  function readForm() {
    const form = $('#policy-form');
    const errors = [];
    const number = (input, name, optional) => {
      input.classList.remove('invalid');
      const raw = input.value.trim();
      if (raw === '') {
        if (optional) return null;
        errors.push(t('required', { f: name }));
        input.classList.add('invalid');
        return null;
      }
      const v = Number(raw);
      if (!Number.isFinite(v)) { errors.push(t('notNumber', { f: name })); input.classList.add('invalid'); return null; }
      return v;
    };
    // Onto the policy as loaded: fields the form does not show (greeting topics, chips,
    // reason labels) are kept, not reset by a save.
    const policy = {
      ...(state.policy || {}),
      category: form.elements.category.value || 'general',
      answer_threshold: number(form.elements.answer_threshold, t('answerThreshold'), true),
      currency: form.elements.currency.value.trim(),
      per_order_cap: number(form.elements.per_order_cap, t('perOrderCap')),
      daily_budget: number(form.elements.daily_budget, t('dailyBudget')),
      high_value_threshold: number(form.elements.high_value_threshold, t('highValue'), true),
      queue_timeout_minutes: number(form.elements.queue_timeout_minutes, t('queueTimeout')),
      reasons: {},
      refund_steps: { zh: form.elements.steps_zh.value, en: form.elements.steps_en.value },
    };
    for (const row of $('#rules').children) {
      const name = label('refund_reasons', row.dataset.reason);
      const rule = { kind: $('select', row).value };
      const amount = number($('input[name=amount]', row), `${name} ${t('amount')}`, true);
      const percent = number($('input[name=percent]', row), `${name} ${t('percent')}`, true);
      rule.amount = amount === null ? 0 : amount;
      if (percent !== null) rule.percent = percent;
      policy.reasons[row.dataset.reason] = rule;
    }
    return { policy, errors };
  }

  function setMode(mode) {
    clearPolicyMessages();
    if (mode === state.mode) return;
    if (mode === 'json') {
      $('#policy-json').value = JSON.stringify(readForm().policy, null, 2);
    } else {
      let parsed;
      try { parsed = JSON.parse($('#policy-json').value); } catch (e) {
        showPolicyErrors([t('jsonSyntax', { e: e.message })]);
        return;
      }
      fillForm(parsed && typeof parsed === 'object' ? parsed : {});
    }
    state.mode = mode;
    $('#mode-form').classList.toggle('active', mode === 'form');
    $('#mode-json').classList.toggle('active', mode === 'json');
    $('#policy-fields').hidden = mode !== 'form';
    $('#policy-json-wrap').hidden = mode !== 'json';
  }

  function clearPolicyMessages() {
    $('#policy-errors').hidden = true;
    $('#policy-saved').hidden = true;
  }

  function showPolicyErrors(messages) {
    const box = $('#policy-errors');
    box.replaceChildren(el('strong', { text: t('notSaved') }), el('ul', {}, ...messages.map((m) => el('li', { text: m }))));
    box.hidden = false;
    $('#policy-saved').hidden = true;
  }

  function markServerErrors(detail) {
    // "invalid recovery policy: per_order_cap: ...; reasons.late_delivery.amount: ..." → highlight those inputs
    const form = $('#policy-form');
    for (const part of detail.replace(/^invalid recovery policy:\s*/, '').split('; ')) {
      const loc = part.split(':')[0].trim().split('.');
      if (FIELD_NAMES[loc[0]]) form.elements[loc[0]].classList.add('invalid');
      if (loc[0] === 'reasons' && loc[1] && loc[2]) {
        const row = $(`#rules tr[data-reason="${CSS.escape(loc[1])}"]`);
        const input = row && $(`input[name="${CSS.escape(loc[2])}"]`, row);
        if (input) input.classList.add('invalid');
      }
    }
  }

  async function savePolicy(ev) {
    ev.preventDefault();
    clearPolicyMessages();
    let body;
    if (state.mode === 'json') {
      try { body = JSON.parse($('#policy-json').value); } catch (e) {
        showPolicyErrors([t('jsonSyntax', { e: e.message })]);
        return;
      }
    } else {
      const { policy, errors } = readForm();
      if (errors.length) { showPolicyErrors(errors); return; }
      body = policy;
    }
    const button = $('#policy-save');
    button.disabled = true;
    try {
      state.policy = await api('PUT', `${base()}/policy`, body);
      state.policyEdited = false;
      fillForm(state.policy);
      $('#policy-json').value = JSON.stringify(state.policy, null, 2);
      const done = $('#policy-saved');
      done.textContent = t('saved', { t: new Date().toLocaleTimeString() });
      done.hidden = false;
    } catch (e) {
      const messages = e.message.replace(/^invalid recovery policy:\s*/, '').split('; ');
      showPolicyErrors(messages);
      if (state.mode === 'form') markServerErrors(e.message);
    } finally {
      button.disabled = false;
    }
  }

  // ------------------------------------------------------------------ wiring

  $('#signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const merchant = $('#merchant-id').value.trim();
    const key = $('#api-key').value.trim();
    if (!merchant || !key) return;
    const err = $('#signin-error');
    err.hidden = true;
    try {
      await signIn(merchant, key);
    } catch (e) {
      state.key = '';
      err.textContent = e.status === 401 || e.status === 404 ? t('badKey') : e.message;
      err.hidden = false;
    }
  });
  $('#signout').addEventListener('click', () => signOut());
  $('#lang-toggle').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    Xiaoer.saveLang(state.lang);
    loadLabels().then(applyLanguage);
  });
  window.addEventListener('hashchange', () => showTab(location.hash.slice(1)));
  $('#period').addEventListener('change', loadScore);
  $('#refresh-score').addEventListener('click', loadScore);

  const zone = $('#dropzone');
  $('#file-input').addEventListener('change', (ev) => { upload(ev.target.files); ev.target.value = ''; });
  zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    upload(ev.dataTransfer.files);
  });

  $('#policy-form').addEventListener('submit', savePolicy);
  $('#policy-form').addEventListener('input', () => { state.policyEdited = true; });
  $('#policy-json').addEventListener('input', () => { state.policyEdited = true; });
  $('#policy-reset').addEventListener('click', () => {
    state.policyEdited = false;
    clearPolicyMessages();
    if (!state.policy) return;
    fillForm(state.policy);
    $('#policy-json').value = JSON.stringify(state.policy, null, 2);
  });
  $('#mode-form').addEventListener('click', () => setMode('form'));
  $('#mode-json').addEventListener('click', () => setMode('json'));

  // The policy form's rows are the refund reasons the label tables name: load them first.
  loadLabels().then(() => {
    buildRules();
    applyLanguage();
    showTab((location.hash || '#score').slice(1));
    if (state.key && state.merchant) {
      const key = state.key;
      signIn(state.merchant, key).catch((e) => {
        if (e.status === 401 || e.status === 404) { signOut(t('keyExpired')); return; }
        signOut(e.message);
        localStorage.setItem(STORE, JSON.stringify({ id: state.merchant, key }));  // a network error keeps the key
        $('#api-key').value = key;
      });
    } else {
      signOut();
    }
  });
})();
