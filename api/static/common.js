/* Helpers the agent console and the merchant dashboard share: translation (t), the API
 * call with the page's key and JSON errors (api), message display, and the label tables
 * the server serves at /v1/labels (label). Plain DOM; text is always set with textContent. */
(() => {
  'use strict';

  const LANG_STORE = 'xiaoer.lang';

  class ApiError extends Error {
    constructor(status, detail, data) { super(detail); this.status = status; this.data = data; }
  }

  function setAttrs(node, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.setAttribute('class', v);
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
    return node;
  }

  // The API's timestamps are naive UTC.
  function utc(iso) {
    return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + 'Z');
  }

  function savedLang() {
    return localStorage.getItem(LANG_STORE) || ((navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en');
  }

  function saveLang(lang) {
    localStorage.setItem(LANG_STORE, lang);
  }

  /* Show ``text`` in ``node`` as a message of ``kind`` (ok, error, conflict, ...); no kind hides it. */
  function show(node, kind, text) {
    if (!kind) { node.hidden = true; node.textContent = ''; delete node.dataset.kind; return; }
    node.dataset.kind = kind;
    node.textContent = text;
    node.hidden = false;
  }

  /* One page's helpers: ``strings`` is {zh: {...}, en: {...}}, ``lang()`` the current language,
   * ``headers()`` the credentials, ``onUnauthorized()`` runs on a 401. */
  function create({ strings, lang, headers, onUnauthorized }) {
    const labelTables = {};  // lang → {table: {code: label}}

    function t(key, vars) {
      let s = (strings[lang()] && strings[lang()][key]) || strings.en[key] || key;
      for (const [k, v] of Object.entries(vars || {})) s = s.split('{' + k + '}').join(String(v));
      return s;
    }

    function label(table, code) {
      const names = (labelTables[lang()] || {})[table];
      return (names && names[code]) || code;
    }

    function labelCodes(table) {
      return Object.keys((labelTables[lang()] || labelTables.zh || labelTables.en || {})[table] || {});
    }

    /* Fetch the current language's label tables once; until they arrive (or if the server
     * is away) label() shows the codes. */
    async function loadLabels() {
      const want = lang();
      if (labelTables[want]) return;
      try {
        const response = await fetch(`/v1/labels?lang=${encodeURIComponent(want)}`);
        if (response.ok) labelTables[want] = await response.json();
      } catch (e) { /* codes stay readable; the next language switch retries */ }
    }

    async function api(method, path, body) {
      const sent = { ...headers() };
      if (body !== undefined) sent['Content-Type'] = 'application/json';
      let response;
      try {
        response = await fetch(path, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (e) {
        throw new ApiError(0, t('network'));
      }
      let data = null;
      try { data = await response.json(); } catch (e) { /* 204 or not JSON */ }
      if (!response.ok) {
        const detail = data && typeof data.detail === 'string' ? data.detail : `${response.status} ${response.statusText}`;
        if (response.status === 401 && onUnauthorized) onUnauthorized();
        throw new ApiError(response.status, detail, data);
      }
      return data;
    }

    return { t, label, labelCodes, loadLabels, api };
  }

  window.Xiaoer = { ApiError, create, el, setAttrs, show, utc, savedLang, saveLang };
})();
