"use strict";
(function () {
  // The metric catalog, injected by the server (KPIHTTP DashboardCatalog): the
  // columns of each table, their labels in English and Chinese, the headlines.
  var CATALOG = JSON.parse(document.getElementById("catalog").textContent);
  var OPS = CATALOG.groups.shop_operations.metrics;
  var CS = CATALOG.groups.customer_service.metrics;
  var PROMO = CATALOG.groups.promotion.metrics;
  var HEADLINES = CATALOG.headlines.shop;
  var LANGUAGES = [["zh-CN", "中文"], ["en", "EN"]];
  // The page's own words (metric labels come from the catalog).
  var TEXT = {
    en: {shop: "Shop", alerts: "Alerts", headlines: "Headlines", onTarget: "on target", pending: "pending",
      belowTarget: "below target", day: "Today", week: "This week", month: "This month", rolling_24h: "Last 24 h",
      rolling_7d: "Last 7 days", rolling_30d: "Last 30 days", value: "Value", target: "Target", trend: "Trend",
      agentTeam: "Agent / team", teams: "Teams", shopTotal: "Shop total", noCS: "No customer-service data.",
      channelCampaign: "Channel / campaign", channels: "Channels", campaigns: "Campaigns", noPromo: "No promotion data.",
      noAlerts: "No firing alerts for this shop.", firing: "Firing: ", pendingAlert: "Pending: ", since: "since ",
      pause: "Pause", resume: "Resume", closed: " · closed", open: " · open", final: " · final",
      dataUpTo: " · data up to ", revision: " · revision ",
      incomplete: " · incomplete: input does not reach back to the window start",
      noSnapshots: "No snapshots yet for this shop and window.", updated: "updated ", live: "live", paused: "paused",
      reconnecting: "reconnecting…", noShops: "no shops yet"},
    "zh-CN": {shop: "店铺", alerts: "告警", headlines: "核心指标", onTarget: "达标", pending: "待定",
      belowTarget: "未达标", day: "今天", week: "本周", month: "本月", rolling_24h: "近24小时",
      rolling_7d: "近7天", rolling_30d: "近30天", value: "数值", target: "目标", trend: "趋势",
      agentTeam: "客服 / 小组", teams: "小组", shopTotal: "店铺合计", noCS: "暂无客服数据。",
      channelCampaign: "渠道 / 推广计划", channels: "渠道", campaigns: "推广计划", noPromo: "暂无推广数据。",
      noAlerts: "本店暂无告警。", firing: "告警中：", pendingAlert: "待定：", since: "始于 ",
      pause: "暂停", resume: "继续", closed: " · 已结束", open: " · 进行中", final: " · 最终",
      dataUpTo: " · 数据截至 ", revision: " · 版本 ",
      incomplete: " · 不完整：输入数据未覆盖到窗口开始",
      noSnapshots: "该店铺与时间窗口暂无数据。", updated: "更新于 ", live: "实时", paused: "已暂停",
      reconnecting: "重新连接中…", noShops: "暂无店铺"}
  };
  var WINDOWS = ["day", "week", "month", "rolling_24h", "rolling_7d", "rolling_30d"];
  var RATES = {}, SECONDS = {};
  Object.keys(CATALOG.metrics).forEach(function (n) {
    if (CATALOG.metrics[n].unit === "rate") RATES[n] = 1;
    if (CATALOG.metrics[n].unit === "seconds") SECONDS[n] = 1;
  });
  var STATUSES = {ok: 1, breach: 1, pending: 1};
  var HISTORY_MAX = 60;

  var state = {lang: TEXT[document.documentElement.lang] ? document.documentElement.lang : "en", shop: null, window: "day", live: true, snaps: {}, history: {}, alerts: {}, source: null, timer: null, generation: 0};

  function $(id) { return document.getElementById(id); }
  function t(key) { return TEXT[state.lang][key]; }
  function label(name) { var m = CATALOG.metrics[name]; return m ? m.label[state.lang] : name; }
  // Builds an element; text goes in through textContent only (no markup from data, ever).
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { for (var k in attrs) { if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k])); } }
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function keyOf(s) { return [s.scope.type, s.scope.shop_id, s.scope.id || "", s.window.type, s.window.id].join("\u0001"); }

  function format(name, v) {
    if (v === null || v === undefined) return "—";
    if (typeof v === "string") return v;                 // money: the decimal string as given
    if (RATES[name]) return (v * 100).toFixed(1) + " %";
    if (SECONDS[name]) return v.toFixed(1) + " s";
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return v.toFixed(2);
  }
  // "2026-11-21T15:02:11+08:00" → "2026-11-21 15:02" (the shop's local time, as sent).
  function when(t) { return typeof t === "string" ? t.slice(0, 16).replace("T", " ") : ""; }
  function numeric(v) { return v === null || v === undefined ? null : (typeof v === "string" ? parseFloat(v) : v); }
  function statusOf(snap, name) {
    var t = snap && snap.targets && snap.targets[name];
    return t && STATUSES[t.status] ? t.status : null;
  }
  function targetText(snap, name) {
    var t = snap && snap.targets && snap.targets[name];
    return t && t.target !== undefined ? format(name, t.target) : "";
  }

  function sparkline(points, width) {
    var ns = "http://www.w3.org/2000/svg", w = width || 110, h = 26;
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "spark"); svg.setAttribute("width", w); svg.setAttribute("height", h);
    svg.setAttribute("viewBox", "0 0 " + w + " " + h); svg.setAttribute("aria-hidden", "true");
    var vals = points.filter(function (p) { return p !== null && isFinite(p); });
    if (vals.length < 2) return svg;
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals), span = hi - lo || 1;
    var pts = vals.map(function (v, i) {
      return (2 + i * (w - 4) / (vals.length - 1)).toFixed(1) + "," + (h - 3 - (v - lo) / span * (h - 6)).toFixed(1);
    });
    var line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", pts.join(" ")); line.setAttribute("fill", "none");
    line.setAttribute("stroke", "#2f6fde"); line.setAttribute("stroke-width", "1.6");
    line.setAttribute("stroke-linejoin", "round");
    svg.appendChild(line);
    return svg;
  }
  function historyValues(snap, name) {
    var h = snap && state.history[keyOf(snap)];
    if (!h) return [];
    var i = h.metrics.indexOf(name);
    if (i < 0) return [];
    return h.points.map(function (p) { return p[2 + i]; });
  }
  function addHistoryPoint(s) {
    var k = keyOf(s), h = state.history[k];
    if (!h) {
      h = state.history[k] = {metrics: CATALOG.headlines[s.scope.type] || [], points: []};
    }
    var last = h.points[h.points.length - 1];
    if (last && last[0] >= s.revision) return;
    var row = [s.revision, Date.parse(s.emitted_at)];
    h.metrics.forEach(function (n) { row.push(numeric(s.metrics[n])); });
    h.points.push(row);
    if (h.points.length > HISTORY_MAX) h.points.splice(0, h.points.length - HISTORY_MAX);
  }

  function accept(s) {
    if (!s || !s.scope || s.scope.shop_id !== state.shop || s.window.type !== state.window) return false;
    var k = keyOf(s), old = state.snaps[k];
    if (old && old.revision >= s.revision) return false;
    state.snaps[k] = s;
    return true;
  }

  // The rows shown: each scope's snapshot of the newest window of the chosen type.
  function current() {
    var latest = null;
    Object.keys(state.snaps).forEach(function (k) {
      var s = state.snaps[k];
      if (!latest || s.window.start > latest.window.start) latest = s;
    });
    var rows = {shop: null, agent: [], team: [], channel: [], campaign: []};
    if (!latest) return {window: null, rows: rows};
    Object.keys(state.snaps).forEach(function (k) {
      var s = state.snaps[k];
      if (s.window.id !== latest.window.id) return;
      if (s.scope.type === "shop") rows.shop = s; else if (rows[s.scope.type]) rows[s.scope.type].push(s);
    });
    ["agent", "team", "channel", "campaign"].forEach(function (t) {
      rows[t].sort(function (a, b) { return a.scope.id < b.scope.id ? -1 : a.scope.id > b.scope.id ? 1 : 0; });
    });
    return {window: rows.shop ? rows.shop.window : latest.window, rows: rows, any: rows.shop || latest};
  }

  function cell(snap, name) {
    var v = snap ? snap.metrics[name] : null;
    var st = statusOf(snap, name);
    var td = el("td", {"data-metric": name, "class": st ? "st-" + st : null,
                       title: st ? label(name) + ": " + st + ", target " + targetText(snap, name) : null},
                format(name, v));
    return td;
  }

  function renderAlerts() {
    var box = $("alerts"); clear(box);
    var list = Object.keys(state.alerts).map(function (k) { return state.alerts[k]; }).filter(function (a) {
      return a.scope && a.scope.shop_id === state.shop && (a.state === "firing" || a.state === "pending");
    }).sort(function (a, b) {
      if (a.state !== b.state) return a.state === "firing" ? -1 : 1;
      return a.id < b.id ? -1 : 1;
    });
    if (!list.length) { box.appendChild(el("div", {"class": "none"}, t("noAlerts"))); return; }
    var ul = el("ul");
    list.forEach(function (a) {
      var li = el("li", {"class": a.state, "data-alert": a.id}, (a.state === "firing" ? t("firing") : t("pendingAlert")) + (a.message || a.rule));
      if (a.since) li.appendChild(el("span", {"class": "when"}, t("since") + when(a.since)));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function header(names, first) {
    var tr = el("tr");
    tr.appendChild(el("th", null, first));
    names.forEach(function (n) { tr.appendChild(el("th", {title: n}, label(n))); });
    return tr;
  }
  function scopeRow(snap, names, label, cls) {
    var tr = el("tr", {"data-scope": snap.scope.type, "data-id": snap.scope.id || "", "class": cls});
    tr.appendChild(el("td", null, label));
    names.forEach(function (n) { tr.appendChild(cell(snap, n)); });
    return tr;
  }
  function groupRow(text, span) {
    var tr = el("tr", {"class": "group"}); var td = el("td", {colspan: span}, text); tr.appendChild(td); return tr;
  }

  function render() {
    state.timer = null;
    renderAlerts();
    var cur = current(), rows = cur.rows;
    var meta = $("window-meta"); clear(meta);
    if (cur.window) {
      var w = cur.window, s = cur.any;
      var span = w.id === w.type ? when(w.start) + " → " + when(w.end) : w.id;
      meta.appendChild(document.createTextNode(span + (w.closed ? t("closed") : t("open")) + (s.final ? t("final") : "") +
        (s.watermark ? t("dataUpTo") + when(s.watermark) : "") + t("revision") + s.revision));
      if (s.complete === false) meta.appendChild(el("span", {"class": "warn"}, t("incomplete")));
    } else {
      meta.appendChild(document.createTextNode(t("noSnapshots")));
    }

    var cards = $("cards"); clear(cards);
    HEADLINES.forEach(function (n) {
      var st = statusOf(rows.shop, n);
      var card = el("div", {"class": "card", "data-metric": n});
      card.appendChild(el("div", {"class": "name"}, label(n)));
      card.appendChild(el("div", {"class": "value" + (st ? " st-" + st : "")}, format(n, rows.shop ? rows.shop.metrics[n] : null)));
      card.appendChild(sparkline(historyValues(rows.shop, n)));
      cards.appendChild(card);
    });

    // Operations: one column per metric; rows for the value, its target and its trend.
    var ops = $("ops"); clear(ops);
    ops.appendChild(header(OPS, ""));
    var values = el("tr", {"data-scope": "shop", "class": "values"});
    values.appendChild(el("th", {"class": "row"}, t("value")));
    OPS.forEach(function (n) { values.appendChild(cell(rows.shop, n)); });
    ops.appendChild(values);
    if (rows.shop && rows.shop.targets && Object.keys(rows.shop.targets).length) {
      var targets = el("tr");
      targets.appendChild(el("th", {"class": "row"}, t("target")));
      OPS.forEach(function (n) { targets.appendChild(el("td", {"class": "target"}, targetText(rows.shop, n))); });
      ops.appendChild(targets);
    }
    var trends = el("tr");
    trends.appendChild(el("th", {"class": "row"}, t("trend")));
    OPS.forEach(function (n) {
      var td = el("td", {"class": "trend"});
      if (HEADLINES.indexOf(n) >= 0) td.appendChild(sparkline(historyValues(rows.shop, n), 70));
      trends.appendChild(td);
    });
    ops.appendChild(trends);

    var cs = $("cs"); clear(cs);
    cs.appendChild(header(CS, t("agentTeam")));
    rows.agent.forEach(function (s) { cs.appendChild(scopeRow(s, CS, s.scope.id, "agent")); });
    if (rows.team.length) cs.appendChild(groupRow(t("teams"), CS.length + 1));
    rows.team.forEach(function (s) { cs.appendChild(scopeRow(s, CS, s.scope.id, "team")); });
    if (rows.shop) cs.appendChild(scopeRow(rows.shop, CS, t("shopTotal"), "total"));
    if (!rows.agent.length && !rows.team.length && !rows.shop) cs.appendChild(groupRow(t("noCS"), CS.length + 1));

    var promo = $("promo"); clear(promo);
    promo.appendChild(header(PROMO, t("channelCampaign")));
    if (rows.channel.length) promo.appendChild(groupRow(t("channels"), PROMO.length + 1));
    rows.channel.forEach(function (s) { promo.appendChild(scopeRow(s, PROMO, s.scope.id, "channel")); });
    if (rows.campaign.length) promo.appendChild(groupRow(t("campaigns"), PROMO.length + 1));
    rows.campaign.forEach(function (s) { promo.appendChild(scopeRow(s, PROMO, s.scope.id, "campaign")); });
    if (!rows.channel.length && !rows.campaign.length) promo.appendChild(groupRow(t("noPromo"), PROMO.length + 1));

    $("updated").textContent = t("updated") + new Date().toLocaleTimeString();
  }
  function schedule() { if (!state.timer) state.timer = setTimeout(render, 150); }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }
  function q(params) {
    return Object.keys(params).filter(function (k) { return params[k]; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  }

  function connect() {
    if (state.source) { state.source.close(); state.source = null; }
    if (!state.live) { $("dot").className = "dot"; $("conn").textContent = t("paused"); return; }
    var src = new EventSource("/api/v1/stream?" + q({shop: state.shop, window: state.window}));
    state.source = src;
    var opened = false, lost = null;
    src.onopen = function () {
      clearTimeout(lost); lost = null;
      $("dot").className = "dot live"; $("conn").textContent = t("live");
      if (opened) resync();   // a reconnect: fetch what may have been published in between
      opened = true;
    };
    // The server ends streams now and then and the browser reconnects at once:
    // only a connection that stays lost is worth showing.
    src.onerror = function () {
      if (lost) return;
      lost = setTimeout(function () { $("dot").className = "dot"; $("conn").textContent = t("reconnecting"); }, 3000);
    };
    // Counted on the status element: how much arrived through the stream (diagnostics, tests).
    function counted() { state.events = (state.events || 0) + 1; $("conn").setAttribute("data-stream-events", state.events); }
    src.addEventListener("snapshot", function (e) {
      counted();
      var s; try { s = JSON.parse(e.data); } catch (x) { return; }
      if (accept(s)) { addHistoryPoint(s); schedule(); }
    });
    src.addEventListener("alert", function (e) {
      counted();
      var a; try { a = JSON.parse(e.data); } catch (x) { return; }
      if (a && a.id) { state.alerts[a.id] = a; schedule(); }
    });
  }

  function resync() {
    var gen = state.generation, f = {shop: state.shop, window: state.window};
    Promise.all([getJSON("/api/v1/snapshots?" + q(f)), getJSON("/api/v1/alerts")]).then(function (r) {
      if (gen !== state.generation) return;
      r[0].forEach(function (s) { if (accept(s)) addHistoryPoint(s); });
      r[1].forEach(function (a) { if (a && a.id) state.alerts[a.id] = a; });
      schedule();
    }).catch(function () {});
  }

  function load() {
    var gen = ++state.generation;
    state.snaps = {}; state.history = {};
    location.hash = q({shop: state.shop, window: state.window, live: state.live ? "" : "0", lang: state.chosenLang || ""});
    connect();   // first, so nothing published while loading is missed (revisions settle duplicates)
    var f = {shop: state.shop, window: state.window};
    Promise.all([getJSON("/api/v1/snapshots?" + q(f)), getJSON("/api/v1/history?" + q(f)), getJSON("/api/v1/alerts")])
      .then(function (r) {
        if (gen !== state.generation) return;
        r[1].forEach(function (h) {
          var k = [h.scope.type, h.scope.shop_id, h.scope.id || "", h.window.type, h.window.id].join("\u0001");
          state.history[k] = {metrics: h.metrics, points: h.points};
        });
        r[0].forEach(accept);
        r[2].forEach(function (a) { if (a && a.id) state.alerts[a.id] = a; });
        render();
      })
      .catch(function (e) { $("conn").textContent = String(e.message || e); });
  }

  function buildWindows() {
    var box = $("windows"); clear(box);
    WINDOWS.forEach(function (w) {
      var b = el("button", {type: "button", "data-window": w, "aria-pressed": String(w === state.window)}, t(w));
      b.addEventListener("click", function () { state.window = w; buildWindows(); load(); });
      box.appendChild(b);
    });
  }

  // The page's words and the metric labels in state.lang; the switch shows it.
  function applyLanguage() {
    document.documentElement.lang = state.lang;
    Array.prototype.forEach.call(document.querySelectorAll("[data-t]"), function (e) { e.textContent = t(e.getAttribute("data-t")); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-group]"), function (e) {
      e.textContent = CATALOG.groups[e.getAttribute("data-group")].title[state.lang];
    });
    $("pause").textContent = state.live ? t("pause") : t("resume");
    var box = $("langs"); clear(box);
    LANGUAGES.forEach(function (l) {
      var b = el("button", {type: "button", "data-lang": l[0], lang: l[0], "aria-pressed": String(l[0] === state.lang)}, l[1]);
      b.addEventListener("click", function () {
        if (state.lang === l[0]) return;
        state.lang = state.chosenLang = l[0];
        applyLanguage(); buildWindows();
        if (state.shop) { location.hash = q({shop: state.shop, window: state.window, live: state.live ? "" : "0", lang: state.lang}); }
        render();
      });
      box.appendChild(b);
    });
  }

  function start() {
    var params = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (p) {
      var i = p.indexOf("="); if (i > 0) params[decodeURIComponent(p.slice(0, i))] = decodeURIComponent(p.slice(i + 1));
    });
    if (params.window && WINDOWS.indexOf(params.window) >= 0) state.window = params.window;
    if (params.lang && TEXT[params.lang]) state.lang = state.chosenLang = params.lang;
    state.live = params.live !== "0";
    var pause = $("pause");
    applyLanguage();
    // Pausing freezes the view (for a discussion, a printout); resuming reloads it whole.
    pause.onclick = function () {
      state.live = !state.live;
      pause.textContent = state.live ? t("pause") : t("resume");
      if (state.shop) load(); else connect();
    };
    buildWindows();
    getJSON("/api/v1/snapshots?scope=shop").then(function (list) {
      var shops = [];
      list.forEach(function (s) { if (shops.indexOf(s.scope.shop_id) < 0) shops.push(s.scope.shop_id); });
      if (params.shop && shops.indexOf(params.shop) < 0) shops.push(params.shop);
      shops.sort();
      var sel = $("shop"); clear(sel);
      shops.forEach(function (id) { sel.appendChild(el("option", {value: id}, id)); });
      state.shop = params.shop || shops[0] || null;
      if (state.shop) sel.value = state.shop;
      sel.onchange = function () { state.shop = sel.value; load(); };
      if (state.shop) load(); else { render(); $("conn").textContent = t("noShops"); setTimeout(start, 5000); }
    }).catch(function (e) { $("conn").textContent = String(e.message || e); setTimeout(start, 5000); });
  }
  start();
})();
