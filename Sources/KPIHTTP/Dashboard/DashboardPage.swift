/// The live dashboard (`GET /`): one self-contained page for a shop's lead —
/// no CDN, no other files, so it works offline and behind any firewall.
///
/// It loads `/api/v1/snapshots`, `/api/v1/history` and `/api/v1/alerts` for the
/// chosen shop and window, then follows `/api/v1/stream`. Every value from the
/// data reaches the DOM through `textContent` or `setAttribute`, never as
/// markup: shop, agent and campaign ids come from input events.
enum DashboardPage {
    static let html = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Shop KPIs</title>
    <style>
    :root{--bg:#f5f6f8;--card:#fff;--ink:#1f2933;--muted:#697586;--line:#e3e7ec;--accent:#2f6fde;
      --ok:#e7f5ec;--ok-ink:#1b6b3a;--breach:#fdeceb;--breach-ink:#b42318;--pending:#fff6e0;--pending-ink:#8a5a00}
    *{box-sizing:border-box}
    body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
    header{display:flex;flex-wrap:wrap;align-items:center;gap:14px 20px;padding:14px 24px;background:var(--card);border-bottom:1px solid var(--line);position:sticky;top:0;z-index:2}
    h1{font-size:18px;margin:0;font-weight:600}
    h2{font-size:15px;margin:0 0 10px;font-weight:600}
    label{color:var(--muted)}
    select{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:#fff}
    .windows{display:flex;border:1px solid var(--line);border-radius:7px;overflow:hidden}
    .windows button{font:inherit;border:0;background:#fff;padding:5px 11px;cursor:pointer;color:var(--ink);border-right:1px solid var(--line)}
    .windows button:last-child{border-right:0}
    .windows button[aria-pressed="true"]{background:var(--accent);color:#fff}
    .status{margin-left:auto;color:var(--muted);font-size:13px;display:flex;gap:14px;align-items:center}
    .dot{display:inline-block;width:8px;height:8px;border-radius:50%;background:#b0b8c4;margin-right:6px;vertical-align:middle}
    .dot.live{background:#2e9d5b}
    .pause{font:inherit;font-size:12px;border:1px solid var(--line);background:#fff;border-radius:6px;padding:3px 9px;cursor:pointer;color:var(--muted)}
    main{padding:18px 24px 40px;display:flex;flex-direction:column;gap:18px;max-width:1600px}
    section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
    .meta{color:var(--muted);font-size:13px;margin-bottom:10px}
    .warn{color:var(--pending-ink)}
    .alerts ul{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}
    .alerts li{padding:7px 10px;border-radius:7px;background:var(--breach);color:var(--breach-ink)}
    .alerts li.pending{background:var(--pending);color:var(--pending-ink)}
    .alerts .when{color:var(--muted);margin-left:8px;font-size:12px}
    .none{color:var(--muted)}
    .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px}
    .card{border:1px solid var(--line);border-radius:9px;padding:10px 12px}
    .card .name{color:var(--muted);font-size:12px}
    .card .value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums;margin:2px 0 4px;padding:0 4px;border-radius:5px;display:inline-block}
    .scroll{overflow-x:auto}
    table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
    th,td{padding:5px 7px;border-bottom:1px solid var(--line);white-space:nowrap}
    th{font-weight:600;color:var(--muted);font-size:12px;text-align:right;background:var(--card);white-space:normal;vertical-align:bottom;line-height:1.25}
    th:first-child,td:first-child{text-align:left}
    td{text-align:right}
    tr.team td{background:#f9fafc}
    tr.total td{font-weight:600;border-top:2px solid var(--line)}
    tr.group td{color:var(--muted);font-size:12px;text-align:left;background:#fafbfc;font-weight:600}
    td.st-ok,.value.st-ok{background:var(--ok);color:var(--ok-ink)}
    td.st-breach,.value.st-breach{background:var(--breach);color:var(--breach-ink)}
    td.st-pending,.value.st-pending{background:var(--pending);color:var(--pending-ink)}
    .ops td.target{color:var(--muted);font-size:12px}
    .ops th.row{color:var(--muted);text-align:left;font-weight:500}
    .ops td.trend svg{margin-left:auto}
    svg.spark{display:block}
    .legend{display:flex;gap:10px;font-size:12px;color:var(--muted);margin-top:8px}
    .legend span{padding:1px 7px;border-radius:4px}
    </style>
    </head>
    <body>
    <header>
      <h1>Shop KPIs</h1>
      <label>Shop <select id="shop" aria-label="shop"></select></label>
      <div class="windows" id="windows" role="group" aria-label="window"></div>
      <div class="status"><span id="updated"></span><span><span class="dot" id="dot"></span><span id="conn">connecting…</span></span><button type="button" id="pause" class="pause">Pause</button></div>
    </header>
    <main>
      <section class="alerts" id="alerts-section"><h2>Alerts</h2><div id="alerts"></div></section>
      <section><h2>Headlines</h2><div class="meta" id="window-meta"></div><div class="cards" id="cards"></div></section>
      <section><h2>Operations</h2><div class="scroll"><table class="ops" id="ops"></table></div>
        <div class="legend"><span class="st-ok" style="background:var(--ok);color:var(--ok-ink)">on target</span><span style="background:var(--pending);color:var(--pending-ink)">pending</span><span style="background:var(--breach);color:var(--breach-ink)">below target</span></div></section>
      <section><h2>Customer service</h2><div class="scroll"><table id="cs"></table></div></section>
      <section><h2>Promotion</h2><div class="scroll"><table id="promo"></table></div></section>
    </main>
    <script>
    "use strict";
    (function () {
      var WINDOWS = [["day", "Today"], ["week", "This week"], ["month", "This month"],
                     ["rolling_24h", "Last 24 h"], ["rolling_7d", "Last 7 days"], ["rolling_30d", "Last 30 days"]];
      var OPS = ["pv", "uv", "pv_per_uv", "avg_stay_s", "bounce_rate", "orders_created", "orders_paid", "buyers",
                 "sales", "refunds", "net_sales", "conversion_rate", "aov", "order_success_rate", "ship_on_time_rate"];
      var CS = ["inquiries", "sessions", "first_response_s", "avg_response_s", "unanswered_sessions",
                "inquiry_conversion_rate", "response_within_3m_rate", "answer_ratio", "agent_orders_created",
                "agent_orders_paid", "agent_sales", "agent_aov", "agent_order_success_rate", "satisfaction", "satisfaction_rate"];
      var PROMO = ["uv", "impressions", "clicks", "ctr", "arrivals", "arrival_rate", "click_arrival_rate", "bounce_rate",
                   "spend", "cost_per_uv", "orders_paid", "sales", "cost_per_order", "roas"];
      var HEADLINES = ["sales", "orders_paid", "conversion_rate", "uv", "inquiries", "first_response_s"];
      var LABELS = {pv: "Page views", uv: "Visitors (UV)", pv_per_uv: "Views per visitor", avg_stay_s: "Avg stay",
        bounce_rate: "Bounce rate", orders_created: "Orders created", orders_paid: "Orders paid", buyers: "Buyers",
        sales: "Sales", refunds: "Refunds", net_sales: "Net sales", conversion_rate: "Conversion rate", aov: "Avg order value",
        order_success_rate: "Order success", ship_on_time_rate: "Shipped on time", inquiries: "Inquiries", sessions: "Sessions",
        first_response_s: "First response", avg_response_s: "Avg response", unanswered_sessions: "Unanswered",
        inquiry_conversion_rate: "Inquiry conv.", response_within_3m_rate: "Reply ≤ 3 min", answer_ratio: "Answer ratio",
        agent_orders_created: "Orders created", agent_orders_paid: "Orders paid", agent_sales: "Sales", agent_aov: "AOV",
        agent_order_success_rate: "Order success", satisfaction: "Satisfaction", satisfaction_rate: "Satisfied (≥4)",
        impressions: "Impressions", clicks: "Clicks", ctr: "CTR", arrivals: "Arrivals", arrival_rate: "Arrival rate",
        click_arrival_rate: "Click arrival", spend: "Spend", cost_per_uv: "Cost / UV", cost_per_order: "Cost / order", roas: "ROAS"};
      var RATES = {bounce_rate: 1, conversion_rate: 1, order_success_rate: 1, ship_on_time_rate: 1, inquiry_conversion_rate: 1,
        response_within_3m_rate: 1, agent_order_success_rate: 1, satisfaction_rate: 1, ctr: 1, arrival_rate: 1, click_arrival_rate: 1};
      var STATUSES = {ok: 1, breach: 1, pending: 1};
      var HISTORY_MAX = 60;

      var state = {shop: null, window: "day", live: true, snaps: {}, history: {}, alerts: {}, source: null, timer: null, generation: 0};

      function $(id) { return document.getElementById(id); }
      // Builds an element; text goes in through textContent only (no markup from data, ever).
      function el(tag, attrs, text) {
        var e = document.createElement(tag);
        if (attrs) { for (var k in attrs) { if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k])); } }
        if (text !== undefined && text !== null) e.textContent = String(text);
        return e;
      }
      function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
      function keyOf(s) { return [s.scope.type, s.scope.shop_id, s.scope.id || "", s.window.type, s.window.id].join("\\u0001"); }

      function format(name, v) {
        if (v === null || v === undefined) return "—";
        if (typeof v === "string") return v;                 // money: the decimal string as given
        if (RATES[name]) return (v * 100).toFixed(1) + " %";
        if (/_s$/.test(name)) return v.toFixed(1) + " s";
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
          var names = s.scope.type === "shop" ? HEADLINES
            : (s.scope.type === "channel" || s.scope.type === "campaign") ? ["spend", "sales", "roas", "ctr"]
            : ["inquiries", "first_response_s", "agent_sales", "inquiry_conversion_rate"];
          h = state.history[k] = {metrics: names, points: []};
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
                           title: st ? (LABELS[name] || name) + ": " + st + ", target " + targetText(snap, name) : null},
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
        if (!list.length) { box.appendChild(el("div", {"class": "none"}, "No firing alerts for this shop.")); return; }
        var ul = el("ul");
        list.forEach(function (a) {
          var li = el("li", {"class": a.state, "data-alert": a.id}, (a.state === "firing" ? "Firing: " : "Pending: ") + (a.message || a.rule));
          if (a.since) li.appendChild(el("span", {"class": "when"}, "since " + when(a.since)));
          ul.appendChild(li);
        });
        box.appendChild(ul);
      }

      function header(names, first) {
        var tr = el("tr");
        tr.appendChild(el("th", null, first));
        names.forEach(function (n) { tr.appendChild(el("th", {title: n}, LABELS[n] || n)); });
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
          var label = w.id === w.type ? when(w.start) + " → " + when(w.end) : w.id;
          meta.appendChild(document.createTextNode(label + (w.closed ? " · closed" : " · open") + (s.final ? " · final" : "") +
            (s.watermark ? " · data up to " + when(s.watermark) : "") + " · revision " + s.revision));
          if (s.complete === false) meta.appendChild(el("span", {"class": "warn"}, " · incomplete: input does not reach back to the window start"));
        } else {
          meta.appendChild(document.createTextNode("No snapshots yet for this shop and window."));
        }

        var cards = $("cards"); clear(cards);
        HEADLINES.forEach(function (n) {
          var st = statusOf(rows.shop, n);
          var card = el("div", {"class": "card", "data-metric": n});
          card.appendChild(el("div", {"class": "name"}, LABELS[n] || n));
          card.appendChild(el("div", {"class": "value" + (st ? " st-" + st : "")}, format(n, rows.shop ? rows.shop.metrics[n] : null)));
          card.appendChild(sparkline(historyValues(rows.shop, n)));
          cards.appendChild(card);
        });

        // Operations: one column per metric; rows for the value, its target and its trend.
        var ops = $("ops"); clear(ops);
        ops.appendChild(header(OPS, ""));
        var values = el("tr", {"data-scope": "shop", "class": "values"});
        values.appendChild(el("th", {"class": "row"}, "Value"));
        OPS.forEach(function (n) { values.appendChild(cell(rows.shop, n)); });
        ops.appendChild(values);
        if (rows.shop && rows.shop.targets && Object.keys(rows.shop.targets).length) {
          var targets = el("tr");
          targets.appendChild(el("th", {"class": "row"}, "Target"));
          OPS.forEach(function (n) { targets.appendChild(el("td", {"class": "target"}, targetText(rows.shop, n))); });
          ops.appendChild(targets);
        }
        var trends = el("tr");
        trends.appendChild(el("th", {"class": "row"}, "Trend"));
        OPS.forEach(function (n) {
          var td = el("td", {"class": "trend"});
          if (HEADLINES.indexOf(n) >= 0) td.appendChild(sparkline(historyValues(rows.shop, n), 70));
          trends.appendChild(td);
        });
        ops.appendChild(trends);

        var cs = $("cs"); clear(cs);
        cs.appendChild(header(CS, "Agent / team"));
        rows.agent.forEach(function (s) { cs.appendChild(scopeRow(s, CS, s.scope.id, "agent")); });
        if (rows.team.length) cs.appendChild(groupRow("Teams", CS.length + 1));
        rows.team.forEach(function (s) { cs.appendChild(scopeRow(s, CS, s.scope.id, "team")); });
        if (rows.shop) cs.appendChild(scopeRow(rows.shop, CS, "Shop total", "total"));
        if (!rows.agent.length && !rows.team.length && !rows.shop) cs.appendChild(groupRow("No customer-service data.", CS.length + 1));

        var promo = $("promo"); clear(promo);
        promo.appendChild(header(PROMO, "Channel / campaign"));
        if (rows.channel.length) promo.appendChild(groupRow("Channels", PROMO.length + 1));
        rows.channel.forEach(function (s) { promo.appendChild(scopeRow(s, PROMO, s.scope.id, "channel")); });
        if (rows.campaign.length) promo.appendChild(groupRow("Campaigns", PROMO.length + 1));
        rows.campaign.forEach(function (s) { promo.appendChild(scopeRow(s, PROMO, s.scope.id, "campaign")); });
        if (!rows.channel.length && !rows.campaign.length) promo.appendChild(groupRow("No promotion data.", PROMO.length + 1));

        $("updated").textContent = "updated " + new Date().toLocaleTimeString();
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
        if (!state.live) { $("dot").className = "dot"; $("conn").textContent = "paused"; return; }
        var src = new EventSource("/api/v1/stream?" + q({shop: state.shop, window: state.window}));
        state.source = src;
        var opened = false, lost = null;
        src.onopen = function () {
          clearTimeout(lost); lost = null;
          $("dot").className = "dot live"; $("conn").textContent = "live";
          if (opened) resync();   // a reconnect: fetch what may have been published in between
          opened = true;
        };
        // The server ends streams now and then and the browser reconnects at once:
        // only a connection that stays lost is worth showing.
        src.onerror = function () {
          if (lost) return;
          lost = setTimeout(function () { $("dot").className = "dot"; $("conn").textContent = "reconnecting…"; }, 3000);
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
        location.hash = q({shop: state.shop, window: state.window, live: state.live ? "" : "0"});
        connect();   // first, so nothing published while loading is missed (revisions settle duplicates)
        var f = {shop: state.shop, window: state.window};
        Promise.all([getJSON("/api/v1/snapshots?" + q(f)), getJSON("/api/v1/history?" + q(f)), getJSON("/api/v1/alerts")])
          .then(function (r) {
            if (gen !== state.generation) return;
            r[1].forEach(function (h) {
              var k = [h.scope.type, h.scope.shop_id, h.scope.id || "", h.window.type, h.window.id].join("\\u0001");
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
          var b = el("button", {type: "button", "data-window": w[0], "aria-pressed": String(w[0] === state.window)}, w[1]);
          b.addEventListener("click", function () { state.window = w[0]; buildWindows(); load(); });
          box.appendChild(b);
        });
      }

      function start() {
        var params = {};
        location.hash.replace(/^#/, "").split("&").forEach(function (p) {
          var i = p.indexOf("="); if (i > 0) params[decodeURIComponent(p.slice(0, i))] = decodeURIComponent(p.slice(i + 1));
        });
        if (params.window && WINDOWS.some(function (w) { return w[0] === params.window; })) state.window = params.window;
        state.live = params.live !== "0";
        var pause = $("pause");
        pause.textContent = state.live ? "Pause" : "Resume";
        // Pausing freezes the view (for a discussion, a printout); resuming reloads it whole.
        pause.onclick = function () {
          state.live = !state.live;
          pause.textContent = state.live ? "Pause" : "Resume";
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
          if (state.shop) load(); else { render(); $("conn").textContent = "no shops yet"; setTimeout(start, 5000); }
        }).catch(function (e) { $("conn").textContent = String(e.message || e); setTimeout(start, 5000); });
      }
      start();
    })();
    </script>
    </body>
    </html>
    """
}
