// sweep ui: every page of the dashboard, drawn from the server's JSON.
//
// Safety: every string from the database (names, parameters, errors, logs) reaches the page
// through textContent or an attribute value, never through innerHTML, so a `<script>` in a
// parameter is shown as text. The server's content security policy forbids inline script
// and any address but its own, so the page cannot load or send anything elsewhere.
//
// Live updates poll: every second a page asks what changed since the time the previous
// answer carried. Polling rather than server-sent events because the database has no way to
// tell the server of a commit (SQLite has no notifications across processes, and our
// PostgreSQL writers send none), so a server pushing events would itself poll the database
// for each open page; polling from the page keeps the server stateless (no connection held
// per page, nothing to resume after a laptop sleeps or a proxy drops a stream) at the same
// cost, one short indexed read per page per second.
"use strict";

(function () {
  const POLL_MS = 1000;
  const PAGE_SIZES = [25, 50, 100];
  const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const STATES = ["pending", "running", "completed", "failed", "interrupted", "pruned"];
  const PICKS_KEY = "sweep-ui-picks";

  // What a test or a benchmark reads: each trial's epochs on show, and the update count.
  const ui = { latest: {} };
  window.sweepUi = ui;

  // ---- small helpers -----------------------------------------------------------------

  // An element with properties and children (strings become text nodes, never HTML).
  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children || []) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
    }
    return node;
  }

  // A number to 4 significant digits (the full value goes in a title on hover).
  function fmt(value) {
    if (value === null || value === undefined || Number.isNaN(value)) return "-";
    if (typeof value !== "number") return String(value);
    if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
    return String(Number(value.toPrecision(4)));
  }

  // A table cell for a value: numbers shortened, with the full value on hover.
  function valueCell(value) {
    if (typeof value === "number") {
      return el("td", { class: "num", title: String(value), text: fmt(value) });
    }
    if (value === null || value === undefined) return el("td", { text: "-" });
    return el("td", { text: typeof value === "string" ? value : JSON.stringify(value) });
  }

  // How long ago a UTC time of the database's clock was, against the database's `now`.
  function ago(time, now) {
    if (!time) return "-";
    const seconds = Math.max(0, (Date.parse(now) - Date.parse(time)) / 1000);
    if (seconds < 60) return `${Math.round(seconds)} s ago`;
    if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
    if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h ago`;
    return `${(seconds / 86400).toFixed(1)} days ago`;
  }

  async function getJson(path) {
    const response = await fetch(path, { credentials: "same-origin" });
    const body = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  function sweepHref(name) {
    return `/sweeps/${encodeURIComponent(name)}`;
  }

  function trialHref(name, number) {
    return `${sweepHref(name)}/trials/${number}`;
  }

  function setCrumbs(parts) {
    const crumbs = document.getElementById("crumbs");
    crumbs.replaceChildren();
    for (const [text, href] of parts) {
      crumbs.append(" / ", href ? el("a", { href, text }) : el("span", { text }));
    }
    document.title = ["sweep ui"].concat(parts.map((p) => p[0])).join(" / ");
  }

  function showError(error) {
    const main = document.getElementById("main");
    main.replaceChildren(el("p", { class: "error", text: String(error.message || error) }));
    document.body.dataset.loaded = "1";
  }

  function loaded() {
    document.body.dataset.loaded = "1";
    document.body.dataset.loadedMs = String(performance.now());
  }

  function updated() {
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    const live = document.getElementById("live");
    live.classList.remove("stale");
    live.textContent = "live";
  }

  // Poll `step` every POLL_MS after the previous one finished, while the page is shown.
  function poll(step) {
    let stopped = false;
    async function tick() {
      if (stopped) return;
      if (!document.hidden) {
        try {
          if ((await step()) === false) stopped = true;
        } catch (error) {
          const live = document.getElementById("live");
          live.classList.add("stale");
          live.textContent = "offline";
          live.title = String(error.message || error);
        }
      }
      if (!stopped) setTimeout(tick, POLL_MS);
    }
    setTimeout(tick, POLL_MS);
  }

  // ---- runs picked for comparison (kept across pages and sweeps) ---------------------

  function picks() {
    try {
      const list = JSON.parse(localStorage.getItem(PICKS_KEY) || "[]");
      return Array.isArray(list) ? list.filter((p) => typeof p === "string") : [];
    } catch (_) {
      return [];
    }
  }

  function setPicked(run, on) {
    const list = picks().filter((p) => p !== run);
    if (on) list.push(run);
    localStorage.setItem(PICKS_KEY, JSON.stringify(list));
    showPicks();
  }

  function showPicks() {
    const link = document.getElementById("compare-link");
    const list = picks();
    link.textContent = `compare (${list.length})`;
    link.href = `/compare?runs=${list.map(encodeURIComponent).join(",")}`;
  }

  function pickBox(sweep, trial) {
    const run = `${sweep}:${trial}`;
    return el("input", {
      type: "checkbox", class: "pick", title: "compare this run", "aria-label": `compare ${run}`,
      "data-run": run, checked: picks().includes(run),
      onchange: (event) => setPicked(run, event.target.checked),
    });
  }

  // ---- charts (uPlot) ----------------------------------------------------------------

  // A tooltip that follows the pointer inside a chart.
  function tooltip(u) {
    const tip = el("div", { class: "tip" });
    u.over.append(tip);
    return (text, left, top) => {
      if (!text) {
        tip.style.display = "none";
        return;
      }
      tip.textContent = text;
      tip.style.display = "block";
      tip.style.left = `${Math.min(left + 12, u.over.clientWidth - 160)}px`;
      tip.style.top = `${Math.max(top - 28, 0)}px`;
    };
  }

  // The chart in each container, destroyed before a new one is drawn there (uPlot listens
  // on the window, so a chart dropped without it would leak).
  const charts = new WeakMap();

  function clearChart(container) {
    const old = charts.get(container);
    if (old) old.destroy();
    charts.delete(container);
    container.replaceChildren();
  }

  function chartWidth(container) {
    return Math.max(320, Math.min(container.clientWidth || 800, 1100));
  }

  // Curves of several runs over epochs. `runs`: [{label, href, x: [], y: []}].
  function curveChart(container, runs, options) {
    clearChart(container);
    const shown = runs.filter((r) => r.y.some((v) => v !== null));
    if (!shown.length) {
      container.append(el("p", { class: "hint", text: "no values yet" }));
      return null;
    }
    const positive = shown.every((r) => r.y.every((v) => v === null || v > 0));
    const log = options.log && positive;
    const data = uPlot.join(shown.map((r) => [r.x, r.y]));
    let focused = null;
    let index = null;
    const series = [{ label: options.step || "epoch" }].concat(shown.map((r, i) => ({
      label: r.label, stroke: r.color || COLORS[i % COLORS.length], width: 1.5, spanGaps: true,
      points: { show: r.x.length < 3 },
    })));
    const u = new uPlot({
      width: chartWidth(container), height: options.height || 300, series,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      axes: [{ label: options.step || "epoch" }, { label: options.metric, size: 70 }],
      legend: { show: false },
      cursor: { focus: { prox: 24 }, drag: { x: true, y: true, uni: 40 } },
      focus: { alpha: 0.25 },
      hooks: {
        setSeries: [(self, i) => { focused = i; }],
        setCursor: [(self) => {
          index = self.cursor.idx;
          const run = focused ? shown[focused - 1] : null;
          const value = run && index !== null && index !== undefined ? self.data[focused][index] : null;
          show(run && value !== null && value !== undefined
            ? `${run.label} · ${options.step || "epoch"} ${self.data[0][index]} · ${options.metric} ${fmt(value)}`
            : "", self.cursor.left, self.cursor.top);
        }],
      },
    }, data, container);
    const show = tooltip(u);
    u.over.addEventListener("click", () => {
      if (u.select.width > 2) return;
      const run = focused ? shown[focused - 1] : null;
      if (run && run.href) window.location.href = run.href;
    });
    if (options.log && !positive) {
      container.append(el("p", { class: "hint", text: "log axis off: some values are not positive" }));
    }
    charts.set(container, u);
    return u;
  }

  // Points: [{x, y, label, href}]; the point nearest the pointer is named; a click opens it.
  function scatterChart(container, points, options) {
    clearChart(container);
    const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (!finite.length) {
      container.append(el("p", { class: "hint", text: "no values yet" }));
      return null;
    }
    finite.sort((a, b) => a.x - b.x);
    const xs = finite.map((p) => p.x);
    const positive = xs[0] > 0;
    const logX = options.logX === true || (options.logX !== false && positive && xs[xs.length - 1] / xs[0] >= 100);
    const series = [{ label: options.xLabel },
      { label: options.yLabel, stroke: COLORS[0], paths: () => null,
        points: { show: true, size: 5, fill: COLORS[0] } }];
    if (options.line) {
      series.push({ label: options.line.label, stroke: COLORS[1], width: 1.5, spanGaps: true,
        points: { show: false } });
    }
    const data = [xs, finite.map((p) => p.y)];
    if (options.line) data.push(options.line.values(finite));
    let nearest = null;
    const u = new uPlot({
      width: chartWidth(container), height: options.height || 260, series,
      scales: { x: logX ? { time: false, distr: 3 } : { time: false } },
      axes: [{ label: options.xLabel + (logX ? " (log)" : ""), values: options.xValues },
        { label: options.yLabel, size: 70 }],
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: true, y: true, uni: 40 } },
      hooks: {
        setCursor: [(self) => {
          const { left, top } = self.cursor;
          nearest = null;
          if (left === undefined || left < 0) { show("", 0, 0); return; }
          let best = 400;
          for (const p of finite) {
            const dx = self.valToPos(p.x, "x") - left;
            const dy = self.valToPos(p.y, "y") - top;
            const d = dx * dx + dy * dy;
            if (d < best) { best = d; nearest = p; }
          }
          show(nearest ? `${nearest.label} · ${options.xLabel} ${options.xText ? options.xText(nearest.x) : fmt(nearest.x)} · ${options.yLabel} ${fmt(nearest.y)}` : "", left, top);
        }],
      },
    }, data, container);
    const show = tooltip(u);
    u.over.addEventListener("click", () => {
      if (u.select.width > 2) return;
      if (nearest && nearest.href) window.location.href = nearest.href;
    });
    charts.set(container, u);
    return u;
  }

  // A metric picker and a log-axis box, calling `draw()` when either changes.
  function chartControls(names, state, draw) {
    const select = el("select", { "aria-label": "metric", onchange: (e) => { state.metric = e.target.value; draw(); } },
      names.map((name) => el("option", { value: name, text: name, selected: name === state.metric })));
    const log = el("input", { type: "checkbox", checked: state.log,
      onchange: (e) => { state.log = e.target.checked; draw(); } });
    return el("div", { class: "controls" }, [
      el("label", {}, ["metric ", select]), " ",
      el("label", { title: "logarithmic y axis" }, [log, " log axis"]),
      el("span", { class: "hint", text: " drag to zoom, double-click to reset; click a line to open its trial" }),
    ]);
  }

  // ---- the sweep list ----------------------------------------------------------------

  async function sweepsPage() {
    setCrumbs([["all sweeps", null]]);
    const main = document.getElementById("main");
    const body = el("tbody");
    const table = el("table", { id: "sweeps", class: "grid" }, [
      el("thead", {}, [el("tr", {}, ["sweep", "method", "metric", "trials"].concat(STATES)
        .concat(["best", "best trial", "running now", "last activity", "created"])
        .map((h) => el("th", { text: h })))]),
      body,
    ]);
    function render(data) {
      body.replaceChildren();
      if (!data.sweeps.length) {
        body.append(el("tr", {}, [el("td", { colspan: 16, text: "no sweeps in this run database yet" })]));
      }
      for (const s of data.sweeps) {
        const cells = [
          el("td", {}, [el("a", { href: sweepHref(s.name), text: s.name })]),
          el("td", { text: s.method || "-" }),
          el("td", { text: `${s.metric} (${s.goal})` }),
          valueCell(s.counts.total),
        ].concat(STATES.map((state) => el("td", {
          class: `num ${s.counts[state] && state === "running" ? "running" : ""}`, text: s.counts[state],
        })));
        cells.push(s.best ? valueCell(s.best.value) : el("td", { text: "-" }));
        cells.push(el("td", {}, s.best ? [el("a", { href: trialHref(s.name, s.best.trial), text: s.best.trial })] : ["-"]));
        const running = el("td", { class: "running-now" });
        s.running.slice(0, 12).forEach((n, i) => {
          if (i) running.append(" ");
          running.append(el("a", { href: trialHref(s.name, n), text: n }));
        });
        if (s.running.length > 12) running.append(` +${s.running.length - 12}`);
        if (!s.running.length) running.append("-");
        cells.push(running);
        cells.push(el("td", { title: s.last_activity || "", text: ago(s.last_activity, data.now) }));
        cells.push(el("td", { title: s.created, text: s.created.slice(0, 16).replace("T", " ") }));
        body.append(el("tr", { "data-sweep": s.name }, cells));
      }
    }
    render(await getJson("/api/sweeps"));
    main.replaceChildren(el("h1", { text: "All sweeps" }), table);
    loaded();
    poll(async () => { render(await getJson("/api/sweeps")); updated(); });
  }

  // ---- the leaderboard table: sort, filter, page, export --------------------------------

  // A filter for one column: `>0.01`, `<=5`, `0.001..0.01`, `=64`, or text to look for.
  function columnTest(text) {
    const t = text.trim();
    if (!t) return null;
    const range = t.match(/^(-?[\d.eE+-]+)\s*\.\.\s*(-?[\d.eE+-]+)$/);
    if (range) {
      const lo = Number(range[1]);
      const hi = Number(range[2]);
      if (!Number.isNaN(lo) && !Number.isNaN(hi)) return (v) => typeof v === "number" && v >= lo && v <= hi;
    }
    const cmp = t.match(/^(<=|>=|<|>|=)\s*(-?[\d.eE+-]+)$/);
    if (cmp && !Number.isNaN(Number(cmp[2]))) {
      const x = Number(cmp[2]);
      const ops = { "<": (v) => v < x, ">": (v) => v > x, "<=": (v) => v <= x, ">=": (v) => v >= x, "=": (v) => v === x };
      return (v) => typeof v === "number" && ops[cmp[1]](v);
    }
    const needle = t.toLowerCase();
    return (v) => v !== null && v !== undefined && String(v).toLowerCase().includes(needle);
  }

  function compareValues(a, b) {
    const missingA = a === null || a === undefined || (typeof a === "number" && Number.isNaN(a));
    const missingB = b === null || b === undefined || (typeof b === "number" && Number.isNaN(b));
    if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }

  function csvField(value) {
    const text = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }

  function download(name, type, text) {
    const link = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
    document.body.append(link);
    link.click();
    link.remove();
  }

  // The sweep's trials as a table. `onView(rows)` hears the current page's rows.
  function leaderboard(sweep, onView) {
    const state = { rows: [], sort: null, desc: false, page: 0, size: PAGE_SIZES[1], stateFilter: "", text: "", columns: {}, brushes: {} };
    const columns = [];
    const head = el("tr");
    const filters = el("tr", { class: "filters" });
    const body = el("tbody");
    const info = el("span", { class: "info" });
    const stateSelect = el("select", { id: "state-filter", "aria-label": "state",
      onchange: (e) => { state.stateFilter = e.target.value; state.page = 0; render(); } },
      [el("option", { value: "", text: "every state" })].concat(STATES.map((s) => el("option", { value: s, text: s }))));
    const textFilter = el("input", { id: "text-filter", type: "search", placeholder: "find text (any column)",
      oninput: (e) => { state.text = e.target.value; state.page = 0; render(); } });
    const sizeSelect = el("select", { "aria-label": "rows per page",
      onchange: (e) => { state.size = Number(e.target.value); state.page = 0; render(); } },
      PAGE_SIZES.map((n) => el("option", { value: n, text: `${n} per page`, selected: n === state.size })));
    const prev = el("button", { id: "prev-page", text: "‹ previous", onclick: () => { state.page -= 1; render(); } });
    const next = el("button", { id: "next-page", text: "next ›", onclick: () => { state.page += 1; render(); } });
    const exportCsv = el("button", { text: "CSV", title: "the filtered, sorted trials at full precision",
      onclick: () => exportView("csv") });
    const exportJson = el("button", { text: "JSON", title: "the filtered, sorted trials at full precision",
      onclick: () => exportView("json") });
    const table = el("table", { id: "leaderboard", class: "grid" }, [el("thead", {}, [head, filters]), body]);

    function setColumns(params, others) {
      columns.length = 0;
      columns.push({ key: "pick", title: "", get: () => null });
      columns.push({ key: "rank", title: "rank", get: (r) => r.rank });
      columns.push({ key: "trial", title: "trial", get: (r) => r.trial });
      columns.push({ key: "state", title: "state", get: (r) => r.state });
      columns.push({ key: "best_metric", title: sweep.metric, get: (r) => r.best_metric });
      columns.push({ key: "best_epoch", title: `best ${sweep.step}`, get: (r) => r.best_epoch });
      columns.push({ key: "epochs", title: `${sweep.step}s`, get: (r) => r.epochs });
      for (const name of others) columns.push({ key: `metric:${name}`, title: name, get: (r) => (r.metrics || {})[name] ?? null });
      for (const name of params) columns.push({ key: `param:${name}`, title: name, get: (r) => (r.params || {})[name] ?? null, param: true });
      columns.push({ key: "device", title: "device", get: (r) => r.device });
      columns.push({ key: "error", title: "error", get: (r) => r.error });
      head.replaceChildren(...columns.map((c) => {
        if (c.key === "pick") return el("th", { title: "tick runs to compare", text: "⇄" });
        const arrow = state.sort === c.key ? (state.desc ? " ▾" : " ▴") : "";
        return el("th", { class: "sortable", "data-key": c.key, text: c.title + arrow,
          title: "click to sort", onclick: () => sortBy(c.key) });
      }));
      filters.replaceChildren(...columns.map((c) => {
        if (c.key === "pick") return el("th");
        return el("th", {}, [el("input", { type: "search", class: "column-filter", "data-key": c.key,
          placeholder: c.key === "trial" || c.key === "rank" || c.key === "epochs" || c.param || c.key.startsWith("metric") || c.key === "best_metric" ? "=, <, a..b" : "text",
          value: state.columns[c.key] || "",
          oninput: (e) => { state.columns[c.key] = e.target.value; state.page = 0; render(); } })]);
      }));
    }

    function sortBy(key) {
      if (state.sort === key) state.desc = !state.desc;
      else { state.sort = key; state.desc = false; }
      state.page = 0;
      head.querySelectorAll("th.sortable").forEach((th) => {
        const column = columns.find((c) => c.key === th.dataset.key);
        th.textContent = column.title + (state.sort === column.key ? (state.desc ? " ▾" : " ▴") : "");
      });
      render();
    }

    // The rows that pass every filter (the parallel coordinates' brushes too, unless
    // `brushed` is false), in the chosen order (rank order by default).
    function view(brushed) {
      const tests = columns.filter((c) => state.columns[c.key])
        .map((c) => [c, columnTest(state.columns[c.key])]).filter(([, t]) => t);
      const brushes = brushed === false ? [] : Object.values(state.brushes);
      const needle = state.text.trim().toLowerCase();
      let rows = state.rows.filter((r) =>
        (!state.stateFilter || r.state === state.stateFilter)
        && tests.every(([c, test]) => test(c.get(r)))
        && brushes.every((keep) => keep(r))
        && (!needle || JSON.stringify([r.trial, r.state, r.params, r.error, r.device]).toLowerCase().includes(needle)));
      if (state.sort) {
        const column = columns.find((c) => c.key === state.sort);
        rows = rows.slice().sort((a, b) => {
          const order = compareValues(column.get(a), column.get(b));
          return (state.desc ? -order : order) || a.trial - b.trial;
        });
      }
      return rows;
    }

    function exportView(kind) {
      const rows = view();
      if (kind === "json") {
        download(`${sweep.name}-trials.json`, "application/json", `${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const cols = columns.filter((c) => c.key !== "pick");
      const lines = [cols.map((c) => csvField(c.title)).join(",")];
      for (const r of rows) lines.push(cols.map((c) => csvField(c.get(r))).join(","));
      download(`${sweep.name}-trials.csv`, "text/csv", `${lines.join("\n")}\n`);
    }

    function rowElement(r) {
      const tr = el("tr", { "data-trial": r.trial, class: r.state });
      for (const c of columns) {
        if (c.key === "pick") tr.append(el("td", {}, [pickBox(sweep.name, r.trial)]));
        else if (c.key === "trial") tr.append(el("td", { class: "num" }, [el("a", { href: trialHref(sweep.name, r.trial), text: r.trial })]));
        else if (c.key === "state") tr.append(el("td", { class: `state ${r.state}`, text: r.state }));
        else if (c.key === "error") tr.append(el("td", { class: "error-cell", title: r.error || "", text: r.error ? r.error.split("\n")[0].slice(0, 80) : "" }));
        else tr.append(valueCell(c.get(r)));
      }
      return tr;
    }

    function render() {
      const rows = view();
      const pages = Math.max(1, Math.ceil(rows.length / state.size));
      state.page = Math.min(Math.max(0, state.page), pages - 1);
      const first = state.page * state.size;
      const shown = rows.slice(first, first + state.size);
      body.replaceChildren(...shown.map(rowElement));
      info.textContent = rows.length
        ? `${first + 1}–${first + shown.length} of ${rows.length} trials (${state.rows.length} in all) · page ${state.page + 1} of ${pages}`
        : `no trials match (${state.rows.length} in all)`;
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      onView(shown, view(false));
    }

    return {
      element: el("section", { id: "trials" }, [
        el("h2", { text: "Trials" }),
        el("div", { class: "controls" }, [stateSelect, " ", textFilter, " ", sizeSelect, " ", prev, " ", next, " ", info,
          el("span", { class: "export" }, ["export this view: ", exportCsv, " ", exportJson])]),
        el("div", { class: "scroll" }, [table]),
      ]),
      setColumns,
      setRows(rows) { state.rows = rows; render(); },
      // Keep only rows `keep` accepts (a brush on an axis named `key`); `null` lifts it.
      setBrush(key, keep) {
        if (keep) state.brushes[key] = keep;
        else delete state.brushes[key];
        state.page = 0;
        render();
      },
      brushed: (row) => Object.values(state.brushes).every((keep) => keep(row)),
      rows: () => state.rows,
      render,
    };
  }

  // ---- parallel coordinates, with brushing -----------------------------------------------

  // Each swept parameter and the metric as a vertical axis, each trial a line across them,
  // coloured by the metric; dragging along an axis keeps the trials in that range (a brush,
  // which the table applies too). Drawn on a canvas: uPlot has no such chart, and ten
  // thousand lines are a few milliseconds of canvas strokes.
  function parallelChart(container, sweep, board) {
    const canvas = el("canvas", { "aria-label": "parallel coordinates" });
    container.append(canvas);
    const ctx = canvas.getContext("2d");
    const pad = { left: 60, right: 60, top: 44, bottom: 40 };
    let axes = [];
    let rows = [];
    let drag = null;
    const ranges = {}; // axis key -> [lo, hi] in axis units (0..1 from bottom)

    function axisOf(key, title, get, values) {
      const numeric = values.every((v) => typeof v === "number");
      if (!numeric) {
        const categories = Array.from(new Set(values.map((v) => JSON.stringify(v)))).sort();
        const at = (v) => (categories.length < 2 ? 0.5 : categories.indexOf(JSON.stringify(v)) / (categories.length - 1));
        return { key, title, get, at, labels: categories.map((c) => [at(JSON.parse(c)), c.replace(/^"|"$/g, "")]) };
      }
      const finite = values.filter((v) => Number.isFinite(v));
      let lo = Math.min(...finite);
      let hi = Math.max(...finite);
      const log = lo > 0 && hi / lo >= 100;
      const f = log ? Math.log10 : (v) => v;
      if (!finite.length) { lo = 0; hi = 1; }
      const a = f(lo);
      const b = f(hi);
      const at = (v) => (Number.isFinite(v) ? (b === a ? 0.5 : (f(v) - a) / (b - a)) : null);
      return { key, title: title + (log ? " (log)" : ""), get, at, labels: [[0, fmt(lo)], [1, fmt(hi)]] };
    }

    function x(i) {
      const width = canvas.width - pad.left - pad.right;
      return pad.left + (axes.length < 2 ? width / 2 : (i * width) / (axes.length - 1));
    }

    function y(t) {
      return canvas.height - pad.bottom - t * (canvas.height - pad.top - pad.bottom);
    }

    function color(t) {
      // From dark blue (worst) to yellow (best), by the metric's place on its axis.
      const u = Math.max(0, Math.min(1, t));
      return `rgba(${Math.round(30 + 220 * u)}, ${Math.round(60 + 160 * u)}, ${Math.round(140 - 100 * u)}, 0.45)`;
    }

    function paint() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      const metricAxis = axes[axes.length - 1];
      const lit = [];
      ctx.lineWidth = 1;
      for (const r of rows) {
        if (board.brushed(r)) { lit.push(r); continue; }
        ctx.strokeStyle = "rgba(180, 180, 180, 0.25)";
        stroke(r);
      }
      for (const r of lit) {
        const t = metricAxis.at(metricAxis.get(r));
        ctx.strokeStyle = color(sweep.maximize ? t : 1 - t);
        stroke(r);
      }
      ctx.fillStyle = "#222";
      ctx.font = "12px system-ui, sans-serif";
      ctx.textAlign = "center";
      axes.forEach((axis, i) => {
        ctx.strokeStyle = "#555";
        ctx.beginPath();
        ctx.moveTo(x(i), y(0));
        ctx.lineTo(x(i), y(1));
        ctx.stroke();
        ctx.fillText(axis.title, x(i), pad.top - 22);
        for (const [t, label] of axis.labels.slice(0, 12)) ctx.fillText(label, x(i), y(t) + (t === 0 ? 16 : t === 1 ? -4 : 4));
        const range = ranges[axis.key];
        if (range) {
          ctx.fillStyle = "rgba(21, 101, 192, 0.25)";
          ctx.fillRect(x(i) - 8, y(range[1]), 16, y(range[0]) - y(range[1]));
          ctx.fillStyle = "#222";
        }
      });
    }

    function stroke(r) {
      ctx.beginPath();
      let started = false;
      axes.forEach((axis, i) => {
        const t = axis.at(axis.get(r));
        if (t === null || t === undefined || Number.isNaN(t)) { started = false; return; }
        if (started) ctx.lineTo(x(i), y(t));
        else ctx.moveTo(x(i), y(t));
        started = true;
      });
      ctx.stroke();
    }

    function axisAt(px) {
      let best = null;
      axes.forEach((axis, i) => { if (Math.abs(x(i) - px) < 20) best = i; });
      return best;
    }

    function toUnit(py) {
      return Math.max(0, Math.min(1, (canvas.height - pad.bottom - py) / (canvas.height - pad.top - pad.bottom)));
    }

    function point(event) {
      const box = canvas.getBoundingClientRect();
      return [event.clientX - box.left, event.clientY - box.top];
    }

    canvas.addEventListener("mousedown", (event) => {
      const [px, py] = point(event);
      const i = axisAt(px);
      if (i !== null) drag = { i, from: toUnit(py), moved: false };
    });
    canvas.addEventListener("mousemove", (event) => {
      if (!drag) return;
      const [, py] = point(event);
      const to = toUnit(py);
      drag.moved = drag.moved || Math.abs(to - drag.from) > 0.01;
      if (drag.moved) {
        ranges[axes[drag.i].key] = [Math.min(drag.from, to), Math.max(drag.from, to)];
        paint();
      }
    });
    window.addEventListener("mouseup", () => {
      if (!drag) return;
      const axis = axes[drag.i];
      if (!drag.moved) delete ranges[axis.key];
      const range = ranges[axis.key];
      drag = null;
      board.setBrush(`axis:${axis.key}`, range ? (r) => {
        const t = axis.at(axis.get(r));
        return t !== null && t >= range[0] - 1e-9 && t <= range[1] + 1e-9;
      } : null);
    });

    return {
      draw(params, filtered) {
        rows = filtered.filter((r) => typeof r.best_metric === "number");
        canvas.width = Math.max(320, Math.min(container.clientWidth || 900, 1300) - 10);
        canvas.height = 320;
        // Scales from every trial, so that a brush keeps its place as the filters change.
        const all = board.rows().filter((r) => typeof r.best_metric === "number");
        axes = params.map((p) => axisOf(p, p, (r) => r.params[p], all.map((r) => r.params[p])));
        axes.push(axisOf("metric", sweep.metric, (r) => r.best_metric, all.map((r) => r.best_metric)));
        if (!rows.length) {
          ctx.clearRect(0, 0, canvas.width, canvas.height);
          ctx.fillText("no values yet", 20, 20);
          return;
        }
        paint();
      },
    };
  }

  // ---- one sweep -----------------------------------------------------------------------

  async function sweepPage(name) {
    setCrumbs([["all sweeps", "/"], [name, null]]);
    let data = await getJson(`/api/sweeps/${encodeURIComponent(name)}`);
    const sweep = data.sweep;
    const main = document.getElementById("main");
    const curves = {}; // trial number -> {epoch: [], metric: []}
    const chart = { metric: sweep.metric, log: false };
    let pageRows = [];
    const factsTable = el("table", { class: "facts" });
    const curveBox = el("div", { class: "chart", id: "curves" });
    const progressBox = el("div", { class: "chart", id: "progress" });
    const paramBoxes = el("div", { class: "params-grid" });
    const matteredBox = el("div", { id: "mattered" });
    const rungBox = el("div");

    function drawFacts() {
      factsTable.replaceChildren(...data.facts.map((f) => el("tr", {}, [el("th", { text: f.name }), el("td", { text: f.value })])));
    }

    function drawCurves() {
      const runs = pageRows.filter((r) => curves[r.trial]).map((r, i) => {
        const c = curves[r.trial];
        return { label: `trial ${r.trial}`, href: trialHref(name, r.trial), x: c.epoch || [], y: c[chart.metric] || (c.epoch || []).map(() => null), color: COLORS[i % COLORS.length] };
      });
      for (const r of pageRows) ui.latest[r.trial] = curves[r.trial] ? (curves[r.trial].epoch || []).length : 0;
      curveChart(curveBox, runs, { metric: chart.metric, log: chart.log, step: sweep.step });
    }

    async function loadCurves(rows) {
      const missing = rows.map((r) => r.trial).filter((n) => !curves[n]);
      if (missing.length) {
        const got = await getJson(`/api/sweeps/${encodeURIComponent(name)}/curves?trials=${missing.join(",")}`);
        for (const n of missing) curves[n] = got.curves[n] || { epoch: [] };
      }
    }

    function drawProgress(rows) {
      const done = rows.filter((r) => typeof r.best_metric === "number" && r.state !== "failed");
      const points = done.map((r) => ({ x: r.trial, y: r.best_metric, label: `trial ${r.trial}`, href: trialHref(name, r.trial) }));
      scatterChart(progressBox, points, {
        xLabel: "trial", yLabel: sweep.metric, logX: false,
        line: { label: "best so far", values: (sorted) => {
          let best = null;
          return sorted.map((p) => {
            if (best === null || (sweep.maximize ? p.y > best : p.y < best)) best = p.y;
            return best;
          });
        } },
      });
    }

    function drawParams(rows) {
      paramBoxes.replaceChildren();
      const done = rows.filter((r) => typeof r.best_metric === "number" && r.state !== "failed");
      for (const param of data.swept) {
        const box = el("div", { class: "chart small" });
        paramBoxes.append(el("figure", {}, [el("figcaption", { text: `${sweep.metric} by ${param}` }), box]));
        const values = done.map((r) => r.params[param]);
        const numeric = values.every((v) => typeof v === "number");
        let categories = null;
        if (!numeric) categories = Array.from(new Set(values.map((v) => JSON.stringify(v)))).sort();
        const points = done.map((r) => ({
          x: numeric ? r.params[param] : categories.indexOf(JSON.stringify(r.params[param])),
          y: r.best_metric, label: `trial ${r.trial}`, href: trialHref(name, r.trial),
        }));
        scatterChart(box, points, {
          xLabel: param, yLabel: sweep.metric, height: 200, logX: numeric ? undefined : false,
          xValues: categories ? (u, ticks) => ticks.map((t) => (Number.isInteger(t) && categories[t] !== undefined ? categories[t] : "")) : undefined,
          xText: categories ? (x) => categories[x] : undefined,
        });
      }
    }

    // "What mattered": `sweep importance`'s analysis, asked for when completed trials change
    // (it is the slowest answer of a large sweep, so never on every poll).
    let matteredFor = -1;
    async function drawMattered() {
      if (data.counts.completed === matteredFor) return;
      matteredFor = data.counts.completed;
      const got = await getJson(`/api/sweeps/${encodeURIComponent(name)}/importance`);
      matteredBox.replaceChildren();
      if (got.note) {
        matteredBox.append(el("p", { class: "hint", text: got.note }));
        return;
      }
      matteredBox.append(el("p", { class: "hint", text: `${got.trials} completed trials, ${got.combinations} combinations; ${got.test}` }));
      const rows = got.parameters.map((p) => el("tr", {}, [
        valueCell(p.rank), el("td", { text: p.name }), valueCell(p.importance), valueCell(p.p_value),
        el("td", { text: p.effect ? `${p.effect.best} vs ${p.effect.worst}: ${fmt(p.effect.difference)} [${fmt(p.effect.ci_low)}, ${fmt(p.effect.ci_high)}]` : "-" }),
        el("td", { text: p.values.map((v) => `${v.value}: ${fmt(v.mean)} (n ${v.n})`).join(" · ") }),
        el("td", { class: p.significant ? "significant" : "", text: p.verdict }),
      ]));
      matteredBox.append(el("div", { class: "scroll" }, [el("table", { class: "grid" }, [
        el("thead", {}, [el("tr", {}, ["rank", "parameter", "importance", "p", "effect (95% interval)", "mean per value", "verdict"].map((h) => el("th", { text: h })))]),
        el("tbody", {}, rows)])]));
    }

    function drawRungs() {
      rungBox.replaceChildren();
      if (!data.rungs.length) return;
      const body = el("tbody", {}, data.rungs.map((r) => el("tr", {}, [
        el("td", {}, [el("a", { href: trialHref(name, r.trial), text: r.trial })]), valueCell(r.rung_epoch),
        valueCell(r.metric), el("td", { text: `${r.rank} of ${r.reached} (top ${r.kept} kept)` }), el("td", { text: r.decision }),
      ])));
      rungBox.append(el("details", {}, [el("summary", { text: `Rung decisions (${data.rungs.length})` }),
        el("table", { class: "grid" }, [el("thead", {}, [el("tr", {}, [sweep.step === "step" ? "trial" : "trial", "rung", sweep.metric, "place", "decision"].map((h) => el("th", { text: h })))]), body])]));
    }

    const parallelBox = el("div", { class: "chart", id: "parallel" });
    let parallel = null;
    const board = leaderboard(sweep, (rows, filtered) => {
      pageRows = rows;
      loadCurves(rows).then(drawCurves).catch(showErrorInline);
      if (!parallel) parallel = parallelChart(parallelBox, sweep, board);
      parallel.draw(data.swept, filtered);
    });
    function showErrorInline(error) {
      curveBox.replaceChildren(el("p", { class: "error", text: String(error.message || error) }));
    }

    function applyFull(full) {
      data = full;
      drawFacts();
      board.setColumns(data.swept, data.other_metrics);
      board.setRows(data.rows);
      drawProgress(data.rows);
      drawParams(data.rows);
      drawRungs();
      drawMattered().catch((error) => matteredBox.replaceChildren(el("p", { class: "error", text: String(error.message || error) })));
    }

    main.replaceChildren(
      el("h1", {}, ["sweep ", el("span", { class: "name", text: name })]),
      el("p", { class: "links" }, [el("a", { href: `${sweepHref(name)}/report`, text: "the full report (as `sweep report` writes it)" })]),
      factsTable,
      el("details", {}, [el("summary", { text: "sweep file" }), el("pre", { text: sweep.spec_text })]),
      el("h2", { text: "Curves of the trials on this page of the table" }),
      chartControls(data.metrics, chart, drawCurves),
      curveBox,
      board.element,
      el("h2", { text: "Parallel coordinates" }),
      el("p", { class: "hint", text: "Drag along an axis to keep the trials in that range (the table follows); click the axis to let go." }),
      parallelBox,
      el("h2", { text: "Best so far" }),
      progressBox,
      el("h2", { text: "Parameters" }),
      paramBoxes,
      el("h2", { text: "What mattered" }),
      matteredBox,
      rungBox,
    );
    applyFull(data);
    await loadCurves(pageRows);
    drawCurves();
    loaded();

    let since = data.now;
    let lastFull = Date.now();
    poll(async () => {
      const change = await getJson(`/api/sweeps/${encodeURIComponent(name)}/live?since=${encodeURIComponent(since)}`);
      since = change.now;
      for (const [n, c] of Object.entries(change.curves)) curves[n] = c;
      const byTrial = new Map(board.rows().map((r) => [r.trial, r]));
      // A trial's first value gives it a place that only the ranked rows know.
      const newlyRanked = change.rows.some((r) => typeof r.best_metric === "number" && !(byTrial.get(r.trial) || {}).rank);
      for (const row of change.rows) {
        const old = byTrial.get(row.trial);
        byTrial.set(row.trial, Object.assign({}, row, { rank: old ? old.rank : null }));
      }
      const countsChanged = JSON.stringify(change.counts) !== JSON.stringify(data.counts);
      const sinceFull = Date.now() - lastFull;
      if (((countsChanged || newlyRanked) && sinceFull > 3 * POLL_MS) || (change.counts.running && sinceFull > 10 * POLL_MS)) {
        // A trial started or ended, or running ones moved on: reload the ranked rows and
        // the facts (a live answer carries only the changed rows, unranked).
        lastFull = Date.now();
        applyFull(await getJson(`/api/sweeps/${encodeURIComponent(name)}`));
      } else if (change.rows.length) {
        board.setRows(orderLike(board.rows(), byTrial));
      }
      updated();
    });
  }

  // `rows` with each replaced by its newer version from `byTrial`, in the same order.
  function orderLike(rows, byTrial) {
    return rows.map((r) => byTrial.get(r.trial) || r);
  }

  // ---- one trial ------------------------------------------------------------------------

  async function trialPage(name, number) {
    setCrumbs([["all sweeps", "/"], [name, sweepHref(name)], [`trial ${number}`, null]]);
    const path = `/api/sweeps/${encodeURIComponent(name)}/trials/${number}`;
    let data = await getJson(path);
    const main = document.getElementById("main");
    const head = el("div", { class: "trial-head" });
    const record = el("table", { class: "facts" });
    const params = el("table", { class: "facts", id: "params" });
    const charts = el("div", { class: "params-grid", id: "trial-charts" });
    const evaluations = el("div");
    const files = el("ul", { class: "files" });
    const logs = el("div", { id: "logs" });
    const logState = {};
    const chartState = {};
    const drawn = {};

    function metricNames() {
      return Object.keys(data.curves).filter((k) => k !== "epoch");
    }

    function draw() {
      const row = data.row;
      head.replaceChildren(
        el("h1", {}, [`trial ${number} `, el("span", { class: `state ${row.state}`, text: row.state }), " ", pickBox(name, number)]),
        el("p", {}, [`rank ${row.rank ?? "-"} · ${data.sweep.metric} `, el("span", { title: String(row.best_metric), text: fmt(row.best_metric) }),
          ` at ${data.sweep.step} ${row.best_epoch ?? "-"} · ${row.epochs} ${data.sweep.step}s`]),
      );
      const r = data.record;
      const facts = [["seed", r.seed], ["attempts", r.attempts], ["worker", r.worker_host ? `${r.worker_host} pid ${r.worker_pid}` : "-"],
        ["device", r.device || "-"], ["threads", r.threads ?? "-"], ["started", r.started_at || "-"], ["ended", r.ended_at || "-"],
        ["last heartbeat", r.heartbeat_at ? `${r.heartbeat_at} (${ago(r.heartbeat_at, data.now)})` : "-"]];
      if (r.job) facts.push(["job", r.job]);
      if (row.pruned_at) facts.push(["pruned at", row.pruned_at]);
      record.replaceChildren(...facts.map(([k, v]) => el("tr", {}, [el("th", { text: k }), el("td", { text: v })])));
      if (row.error) record.append(el("tr", {}, [el("th", { text: "error" }), el("td", {}, [el("pre", { class: "error", text: row.error })])]));
      params.replaceChildren(...Object.entries(row.params).map(([k, v]) => el("tr", {}, [el("th", { text: k }), valueCell(v)])));
      ui.latest[number] = (data.curves.epoch || []).length;
      for (const metric of metricNames()) {
        if (!drawn[metric]) {
          const box = el("div", { class: "chart small" });
          chartState[metric] = { log: false };
          const log = el("input", { type: "checkbox", onchange: (e) => { chartState[metric].log = e.target.checked; drawOne(metric); } });
          charts.append(el("figure", { "data-metric": metric }, [el("figcaption", {}, [metric, " ", el("label", {}, [log, " log"])]), box]));
          drawn[metric] = { box };
        }
        drawOne(metric);
      }
      evaluations.replaceChildren(...data.evaluations.map((e) => el("p", { title: e.at, text: e.line })));
      if (!data.evaluations.length) evaluations.append(el("p", { class: "hint", text: "not evaluated (`sweep evaluate`)" }));
      files.replaceChildren(...data.files.map((f) => el("li", {}, [
        el("a", { href: `/files/${encodeURIComponent(name)}/${number}/${encodeURIComponent(f.name)}`, text: f.name }),
        ` (${fmt(f.bytes)} bytes)`])));
      if (!data.files.length) files.append(el("li", { class: "hint", text: "no files in this trial's folder" }));
      logs.replaceChildren();
      for (const log of data.logs) {
        const open = logState[log.name] !== undefined ? logState[log.name] : true;
        const details = el("details", { open, ontoggle: (e) => { logState[log.name] = e.target.open; } },
          [el("summary", { text: log.name }), el("pre", { class: "log", text: log.text })]);
        logs.append(details);
      }
      if (!data.logs.length) logs.append(el("p", { class: "hint", text: "no logs" }));
    }

    function drawOne(metric) {
      const c = data.curves;
      curveChart(drawn[metric].box, [{ label: `trial ${number}`, x: c.epoch || [], y: c[metric] }],
        { metric, log: chartState[metric].log, height: 220, step: data.sweep.step });
    }

    main.replaceChildren(head, el("div", { class: "two" }, [
      el("section", {}, [el("h2", { text: "Run" }), record]),
      el("section", {}, [el("h2", { text: "Parameters" }), params]),
    ]), el("h2", { text: "Curves" }), charts, el("h2", { text: "Test sets" }), evaluations,
    el("h2", { text: "Files" }), files, el("h2", { text: "Logs" }), logs);
    draw();
    loaded();
    let quiet = 0;
    poll(async () => {
      data = await getJson(path);
      draw();
      updated();
      // A finished trial changes no more: after a few quiet polls, stop asking.
      quiet = data.row.state === "running" || data.row.state === "pending" ? 0 : quiet + 1;
      return quiet < 3;
    });
  }

  // ---- compare runs from any sweeps --------------------------------------------------------

  async function comparePage() {
    setCrumbs([["all sweeps", "/"], ["compare", null]]);
    const query = new URLSearchParams(window.location.search).get("runs");
    const runs = (query ? query.split(",") : picks()).filter((r) => r);
    const main = document.getElementById("main");
    if (!runs.length) {
      main.replaceChildren(el("h1", { text: "Compare runs" }),
        el("p", { class: "hint", text: "Tick runs in any sweep's table (or on a trial's page), then come back here." }));
      loaded();
      return;
    }
    let data = await getJson(`/api/compare?runs=${runs.map(encodeURIComponent).join(",")}`);
    const names = [];
    for (const run of data.runs) for (const k of Object.keys(run.curves)) if (k !== "epoch" && !names.includes(k)) names.push(k);
    const chart = { metric: names.includes(data.runs[0].metric) ? data.runs[0].metric : names[0], log: false };
    const box = el("div", { class: "chart", id: "compare-chart" });
    const table = el("table", { class: "grid", id: "compare-params" });
    function draw() {
      curveChart(box, data.runs.map((r, i) => ({
        label: `${r.sweep} trial ${r.trial}`, href: trialHref(r.sweep, r.trial),
        x: r.curves.epoch || [], y: r.curves[chart.metric] || (r.curves.epoch || []).map(() => null), color: COLORS[i % COLORS.length],
      })), { metric: chart.metric, log: chart.log });
      const headRow = el("tr", {}, [el("th", { text: "" })].concat(data.runs.map((r, i) => el("th", {}, [
        el("span", { class: "swatch", "data-color": i % COLORS.length }),
        el("a", { href: trialHref(r.sweep, r.trial), text: `${r.sweep} · ${r.trial}` }), " ",
        el("button", { class: "remove", title: "leave this run out", text: "×", onclick: () => {
          setPicked(`${r.sweep}:${r.trial}`, false);
          const rest = data.runs.filter((x) => x !== r).map((x) => `${x.sweep}:${x.trial}`);
          window.location.href = `/compare?runs=${rest.map(encodeURIComponent).join(",")}`;
        } })]))));
      const rows = [
        el("tr", {}, [el("th", { text: "state" })].concat(data.runs.map((r) => el("td", { class: `state ${r.state}`, text: r.state })))),
        el("tr", {}, [el("th", { text: "best" })].concat(data.runs.map((r) => el("td", { class: "num", title: String(r.best_metric), text: `${r.metric} ${fmt(r.best_metric)}` })))),
        el("tr", {}, [el("th", { text: "epochs" })].concat(data.runs.map((r) => valueCell(r.epochs)))),
      ];
      for (const p of data.params) {
        const differs = data.differing.includes(p);
        rows.push(el("tr", { class: differs ? "differs" : "" }, [el("th", { text: differs ? `${p} ≠` : p, title: differs ? "differs between the runs" : "the same in every run" })]
          .concat(data.runs.map((r) => valueCell(r.params[p] === undefined ? null : r.params[p])))));
      }
      table.replaceChildren(el("thead", {}, [headRow]), el("tbody", {}, rows));
      table.querySelectorAll(".swatch").forEach((s) => { s.style.background = COLORS[Number(s.dataset.color)]; });
    }
    main.replaceChildren(el("h1", { text: `Compare ${data.runs.length} runs` }),
      chartControls(names, chart, draw), box, el("h2", { text: "Parameters (differing ones marked ≠)" }), el("div", { class: "scroll" }, [table]));
    draw();
    loaded();
    poll(async () => {
      if (!data.runs.some((r) => r.state === "running" || r.state === "pending")) return false;
      data = await getJson(`/api/compare?runs=${runs.map(encodeURIComponent).join(",")}`);
      draw();
      updated();
      return true;
    });
  }

  // ---- which page ----------------------------------------------------------------------------

  function route() {
    showPicks();
    const parts = window.location.pathname.split("/").filter((p) => p).map(decodeURIComponent);
    if (!parts.length) return sweepsPage();
    if (parts[0] === "compare") return comparePage();
    if (parts[0] === "sweeps" && parts.length === 2) return sweepPage(parts[1]);
    if (parts[0] === "sweeps" && parts.length === 4 && parts[2] === "trials") return trialPage(parts[1], Number(parts[3]));
    throw new Error("no such page");
  }

  Promise.resolve().then(route).catch(showError);
})();
