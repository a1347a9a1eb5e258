"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const META = JSON.parse($("meta").textContent);
  const ROWS = JSON.parse($("rows").textContent);
  const L = META.labels, FR = META.frames, NONE = META.none;
  const PAGE = 100;
  // row fields
  const ID = 0, TITLE = 1, DATE = 2, SOURCE = 3, DOM = 4, SHARES = 5, FRAMED = 6, NPARA = 7, NARR = 8, BLOCK = 9;
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const pct = (x) => (100 * x).toFixed(1) + "%";
  const colour = (i) => (i >= 0 && L[i] ? L[i].colour : "#9e9e9e");
  const domName = (i) => (i >= 0 ? L[i].name : NONE != null ? L[NONE].name : "(no frame)");
  const rgba = (hex, a) => { const n = parseInt(hex.slice(1), 16); return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")"; };
  const hasNarr = ROWS.some((r) => r[NARR] != null);

  function narrList(n) {
    if (n == null) return [];
    if (Array.isArray(n)) return n.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x)));
    if (typeof n !== "object") return [String(n)];
    const out = [];
    for (const [k, v] of Object.entries(n)) {
      if (v === false || v === null || v === 0 || (Array.isArray(v) && !v.length)) continue;
      if (v === true) out.push(k);
      else if (typeof v === "number") out.push(k + " " + (Math.round(v * 100) / 100));
      else if (Array.isArray(v) && v.every((x) => typeof x !== "object")) out.push(k + ": " + v.join(", "));
      else if (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0) continue;
      else out.push(k);
    }
    return out;
  }
  const narrText = ROWS.map((r) => narrList(r[NARR]).join(" "));
  const hay = ROWS.map((r, i) => [r[ID], r[TITLE], r[SOURCE], r[DATE], narrText[i]].join(" \u0001 ").toLowerCase());

  // ---- state in the URL fragment: q, dominant, sort, page, doc
  const state = { q: "", dominant: "", sort: "id", page: 1, doc: "" };
  function readHash() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ""));
    state.q = p.get("q") || "";
    state.dominant = p.get("dominant") || "";
    state.sort = p.get("sort") || "id";
    state.page = Math.max(1, parseInt(p.get("page") || "1", 10) || 1);
    state.doc = p.get("doc") || "";
  }
  function writeHash() {
    const p = new URLSearchParams();
    if (state.q) p.set("q", state.q);
    if (state.dominant) p.set("dominant", state.dominant);
    if (state.sort !== "id") p.set("sort", state.sort);
    if (state.page > 1) p.set("page", state.page);
    if (state.doc) p.set("doc", state.doc);
    const h = p.toString();
    history.replaceState(null, "", h ? "#" + h : location.pathname + location.search);
  }

  // ---- summary and charts
  function card(n, l, bad) { return '<div class="card' + (bad ? " bad" : "") + '"><div class="n">' + esc(n) + '</div><div class="l">' + esc(l) + "</div></div>"; }
  function barChart() {
    const items = [];
    for (let i = 0; i < L.length; i++) items.push([i, META.dominant[i] || 0]);
    if (NONE == null && META.dominant.length > L.length) items.push([-1, META.dominant[L.length] || 0]);
    const max = Math.max(1, ...items.map((x) => x[1]));
    const h = 22, W = 420, left = 110, H = items.length * h + 6;
    let s = '<svg viewBox="0 0 ' + W + " " + H + '" role="img" aria-label="documents per dominant frame">';
    items.forEach(([i, n], k) => {
      const w = ((W - left - 100) * n) / max, y = k * h + 3;
      const name = i >= 0 ? L[i].name : "(no frame)";
      s += '<g class="bar" data-dominant="' + esc(name) + '"><text x="' + (left - 6) + '" y="' + (y + 14) + '" text-anchor="end">' + esc(name) + "</text>";
      s += '<rect x="' + left + '" y="' + y + '" width="' + Math.max(w, 1) + '" height="' + (h - 6) + '" rx="2" fill="' + colour(i) + '"></rect>';
      s += '<text x="' + (left + w + 5) + '" y="' + (y + 14) + '">' + n + " (" + pct(n / Math.max(1, META.classified)) + ")</text></g>";
    });
    return s + "</svg>";
  }
  function sharesChart() {
    const W = 420, H = 34;
    let x = 0, s = '<svg viewBox="0 0 ' + W + " " + H + '" role="img" aria-label="mean frame shares">';
    FR.forEach((l, k) => {
      const w = W * (META.mean_shares[k] || 0);
      s += '<rect x="' + x + '" y="4" width="' + w + '" height="26" fill="' + colour(l) + '"><title>' + esc(L[l].name) + " " + pct(META.mean_shares[k]) + "</title></rect>";
      if (w > 40) s += '<text x="' + (x + 5) + '" y="21" style="fill:#fff">' + pct(META.mean_shares[k]) + "</text>";
      x += w;
    });
    s += "</svg>";
    s += '<div class="legend">' + FR.map((l, k) => '<span><span class="chip" style="background:' + colour(l) + '"></span>' + esc(L[l].name) + " " + pct(META.mean_shares[k]) + " · present in " + (META.present[k] || 0) + "</span>").join("") + "</div>";
    return s + '<div class="muted" style="margin-top:6px">Mean framed fraction of the text: ' + pct(META.mean_framed) + "</div>";
  }
  function timeChart() {
    const months = new Map();
    for (const r of ROWS) {
      const m = /^(\d{4})[-/](\d{2})/.exec(r[DATE] || "");
      if (!m) continue;
      const key = m[1] + "-" + m[2];
      if (!months.has(key)) months.set(key, new Map());
      const c = months.get(key);
      c.set(r[DOM], (c.get(r[DOM]) || 0) + 1);
    }
    if (months.size < 2) return "";
    const keys = [...months.keys()].sort();
    const max = Math.max(...keys.map((k) => [...months.get(k).values()].reduce((a, b) => a + b, 0)));
    const W = 420, H = 150, bw = Math.max(1, (W - 30) / keys.length);
    let s = '<svg viewBox="0 0 ' + W + " " + (H + 18) + '" role="img" aria-label="documents per month">';
    keys.forEach((k, j) => {
      let y = H;
      for (const l of FR.concat([-1])) {
        const n = months.get(k).get(l) || 0;
        if (!n) continue;
        const h = (H - 10) * n / max;
        y -= h;
        s += '<rect x="' + (30 + j * bw) + '" y="' + y + '" width="' + Math.max(bw - 1, 1) + '" height="' + h + '" fill="' + colour(l) + '"><title>' + k + " " + esc(domName(l)) + ": " + n + "</title></rect>";
      }
    });
    s += '<text x="30" y="' + (H + 14) + '">' + keys[0] + '</text><text x="' + W + '" y="' + (H + 14) + '" text-anchor="end">' + keys[keys.length - 1] + '</text><text x="0" y="12">' + max + "</text>";
    return '<div class="chart"><h2>Documents per month, by dominant frame</h2>' + s + "</svg></div>";
  }
  function problems() {
    let s = "";
    if (META.n_problems) {
      s += '<details class="problems"><summary>' + META.failed + " failed, " + META.warnings + " warnings (all in errors.jsonl)</summary><table><tr><th>severity</th><th>kind</th><th>file</th><th>line</th><th>id</th><th>reason</th></tr>";
      for (const p of META.problems) s += "<tr><td>" + esc(p.severity) + "</td><td>" + esc(p.kind) + "</td><td>" + esc(p.file) + "</td><td>" + esc(p.line == null ? "" : p.line) + "</td><td>" + esc(p.id || "") + "</td><td>" + esc(p.reason) + "</td></tr>";
      if (META.n_problems > META.problems.length) s += '<tr><td colspan="6">… ' + (META.n_problems - META.problems.length) + " more in errors.jsonl</td></tr>";
      s += "</table></details>";
    }
    if (META.n_skipped) {
      s += '<details class="problems"><summary>' + META.n_skipped + " files skipped, not a format framelens reads (" + esc(META.skipped_by_ext) + ")</summary><table><tr><th>file</th><th>type</th></tr>";
      for (const f of META.skipped) s += "<tr><td>" + esc(f.path) + "</td><td>" + esc(f.ext) + "</td></tr>";
      if (META.n_skipped > META.skipped.length) s += '<tr><td colspan="2">… ' + (META.n_skipped - META.skipped.length) + " more in summary.md</td></tr>";
      s += "</table></details>";
    }
    return s;
  }

  // ---- table
  const COLS = [["id", "id", ID], ["title", "title", TITLE], ["date", "date", DATE], ["source", "source", SOURCE], ["dominant", "dominant", DOM]];
  FR.forEach((l, k) => COLS.push(["shares", L[l].name, SHARES, k]));
  function sortKey(col) {
    const c = COLS.find((x) => x[1] === col) || COLS[0];
    return c;
  }
  function filtered() {
    const q = state.q.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let dom = null;
    if (state.dominant) dom = L.findIndex((l) => l.name === state.dominant);
    const idx = [];
    for (let i = 0; i < ROWS.length; i++) {
      if (state.dominant) {
        const d = ROWS[i][DOM];
        if (dom >= 0 ? d !== dom && !(dom === NONE && d < 0) : !(state.dominant === "(no frame)" && d < 0)) continue;
      }
      if (q.length && !q.every((w) => hay[i].includes(w))) continue;
      idx.push(i);
    }
    const desc = state.sort.startsWith("-");
    const c = sortKey(state.sort.replace(/^-/, ""));
    const val = (i) => (c[0] === "shares" ? ROWS[i][SHARES][c[3]] : c[2] === DOM ? domName(ROWS[i][DOM]) : ROWS[i][c[2]] == null ? "" : String(ROWS[i][c[2]]).toLowerCase());
    idx.sort((a, b) => {
      const x = val(a), y = val(b);
      const r = x < y ? -1 : x > y ? 1 : a - b;
      return desc ? -r : r;
    });
    return idx;
  }
  function shareBar(sh) {
    return '<div class="sharebar" title="' + esc(FR.map((l, k) => L[l].name + " " + pct(sh[k])).join(" · ")) + '">' + FR.map((l, k) => (sh[k] > 0 ? '<span style="width:' + (100 * sh[k]).toFixed(2) + "%;background:" + colour(l) + '"></span>' : "")).join("") + "</div>";
  }
  function domTag(d) { return '<span class="tag' + (d < 0 ? " none" : "") + '" style="background:' + colour(d) + '">' + esc(domName(d)) + "</span>"; }
  function renderTable() {
    const idx = filtered();
    const pages = Math.max(1, Math.ceil(idx.length / PAGE));
    if (state.page > pages) state.page = pages;
    const start = (state.page - 1) * PAGE;
    const cur = state.sort.replace(/^-/, ""), desc = state.sort.startsWith("-");
    let h = "<thead><tr>";
    for (const [kind, name] of COLS.slice(0, 5)) h += '<th class="sortable' + (cur === name ? " sorted" + (desc ? " desc" : "") : "") + '" data-sort="' + esc(name) + '">' + esc(name) + "</th>";
    h += "<th>shares (sort: " + FR.map((l) => '<a href="#" class="ssort" data-sort="' + esc(L[l].name) + '" style="color:' + colour(l) + '">' + esc(L[l].name.slice(0, 4)) + "</a>").join(" ") + ")</th>";
    if (hasNarr) h += "<th>narratives</th>";
    h += "</tr></thead><tbody>";
    for (const i of idx.slice(start, start + PAGE)) {
      const r = ROWS[i];
      h += '<tr class="doc-row" data-row="' + i + '"><td class="id" title="' + esc(r[ID]) + '">' + esc(r[ID]) + '</td><td class="title">' + esc(r[TITLE] || "") + '</td><td class="date">' + esc(r[DATE] || "") + "</td><td>" + esc(r[SOURCE] || "") + "</td><td>" + domTag(r[DOM]) + "</td><td>" + shareBar(r[SHARES]) + "</td>";
      if (hasNarr) h += "<td>" + narrList(r[NARR]).map((n) => '<span class="ntag">' + esc(n) + "</span>").join("") + "</td>";
      h += "</tr>";
    }
    h += "</tbody>";
    $("table").innerHTML = h;
    const c = $("count");
    c.dataset.shown = idx.length;
    c.dataset.total = ROWS.length;
    c.textContent = idx.length === ROWS.length ? ROWS.length + " documents" : idx.length + " of " + ROWS.length + " documents";
    $("pager").innerHTML = pages > 1 ? '<button data-page="' + (state.page - 1) + '"' + (state.page <= 1 ? " disabled" : "") + ">‹ previous</button> page " + state.page + " of " + pages + ' <button data-page="' + (state.page + 1) + '"' + (state.page >= pages ? " disabled" : "") + ">next ›</button>" : "";
  }

  // ---- document view
  function renderDoc() {
    const view = $("docview"), ov = $("overlay");
    const i = state.doc ? ROWS.findIndex((r) => r[ID] === state.doc) : -1;
    if (i < 0) { view.classList.remove("open"); ov.classList.remove("open"); view.innerHTML = ""; return; }
    const r = ROWS[i];
    const d = JSON.parse($("d" + r[BLOCK]).textContent);
    let h = '<button class="close" title="close (Esc)">×</button><h2>' + esc(r[TITLE] || r[ID]) + "</h2>";
    h += '<div class="facts"><code>' + esc(r[ID]) + "</code>" + (r[SOURCE] ? " · " + esc(r[SOURCE]) : "") + (r[DATE] ? " · " + esc(r[DATE]) : "") + (d.url ? ' · <a href="' + esc(d.url) + '" rel="noreferrer">original</a>' : "") + "<br>dominant " + domTag(r[DOM]) + " · framed " + pct(r[FRAMED]) + " of the text · " + r[NPARA] + " paragraphs</div>";
    h += shareBar(r[SHARES]).replace('class="sharebar"', 'class="sharebar" style="width:100%;height:16px"');
    h += '<div class="legend">' + FR.map((l, k) => '<span><span class="chip" style="background:' + colour(l) + '"></span>' + esc(L[l].name) + " " + pct(r[SHARES][k]) + "</span>").join("") + "</div>";
    const narr = narrList(r[NARR]);
    if (narr.length) h += '<p>Narratives: ' + narr.map((n) => '<span class="ntag">' + esc(n) + "</span>").join("") + "</p>";
    const terms = new Map(d.t);
    if (d.ev.length) {
      h += '<div class="frames">';
      for (const [l, ev] of d.ev) {
        h += '<div class="frame" style="border-left-color:' + colour(l) + '"><b>' + esc(L[l].name) + "</b>" + (d.pr.includes(l) ? "" : ' <span class="muted">(dominant, not present)</span>');
        const t = terms.get(l) || [];
        if (t.length) h += '<div class="terms">terms: ' + t.map(esc).join(", ") + "</div>";
        if (ev.length) h += '<div class="ev">evidence: ' + ev.map(([p, s]) => '<a data-para="' + p + '">¶' + p + " · " + s.toFixed(2) + "</a>").join("") + "</div>";
        h += "</div>";
      }
      h += "</div>";
    }
    if (!d.x.length) h += '<p class="muted">The text is not in this report.</p>';
    d.x.forEach((text, k) => {
      const p = d.p[k] || [-1];
      const lab = p[0], sc = p.slice(1);
      const isFrame = L[lab] && L[lab].frame;
      const style = isFrame ? "background:" + rgba(colour(lab), (0.1 + 0.3 * sc[lab]).toFixed(3)) + ";border-left-color:" + colour(lab) : "";
      const tip = L.map((lb, j) => [j, sc[j] || 0]).sort((a, b) => b[1] - a[1]).map(([j, s]) => '<span class="row"><span class="b" style="width:' + Math.round(60 * s + 1) + "px;background:" + colour(j === NONE ? -1 : j) + '"></span>' + esc(L[j].name) + " " + s.toFixed(2) + "</span>").join("");
      h += '<div class="para" id="p' + k + '" data-label="' + esc(L[lab] ? L[lab].name : "") + '" style="' + style + '"><span class="pn">¶' + k + " " + esc(L[lab] ? L[lab].name : "") + "</span>" + esc(text) + '<span class="tip">' + tip + "</span></div>";
    });
    if (d.meta) h += '<details><summary class="muted">other fields</summary><pre>' + esc(JSON.stringify(d.meta, null, 2)) + "</pre></details>";
    view.innerHTML = h;
    view.scrollTop = 0;
    view.classList.add("open");
    ov.classList.add("open");
  }

  // ---- page
  function render() {
    writeHash();
    renderTable();
    renderDoc();
  }
  readHash();
  const app = $("app");
  let top = '<header><h1>framelens report</h1><span class="sub">codebook ' + esc(META.scheme) + " · model " + esc(META.model_hash.slice(0, 12)) + "</span></header><main>";
  top += '<div class="cards">' + card(META.classified, "documents classified") + card(META.paragraphs, "paragraphs") + card(META.failed, "failed", META.failed > 0) + card(META.warnings, "warnings") + card(META.n_skipped, "files skipped", META.n_skipped > 0) + card(pct(META.mean_framed), "mean framed fraction") + "</div>";
  top += '<div class="charts"><div class="chart"><h2>Documents by dominant frame</h2>' + barChart() + '</div><div class="chart"><h2>Mean share of each frame</h2>' + sharesChart() + "</div>" + timeChart() + "</div>";
  top += problems();
  top += '<section><div class="controls"><input type="search" id="q" placeholder="Filter: words in id, title, source, date, narratives" aria-label="filter"><select id="dominant" aria-label="dominant frame"><option value="">any dominant frame</option>' + L.map((l) => '<option value="' + esc(l.name) + '">' + esc(l.name) + "</option>").join("") + (NONE == null ? '<option value="(no frame)">(no frame)</option>' : "") + '</select><span class="count" id="count"></span></div>';
  top += '<div class="tablewrap"><table id="table"></table></div><div class="pager" id="pager"></div></section></main><div id="overlay"></div><div id="docview" role="dialog" aria-label="document"></div>';
  app.innerHTML = top;
  $("q").value = state.q;
  $("dominant").value = state.dominant;
  $("q").addEventListener("input", (e) => { state.q = e.target.value; state.page = 1; render(); });
  $("dominant").addEventListener("change", (e) => { state.dominant = e.target.value; state.page = 1; render(); });
  app.addEventListener("click", (e) => {
    const t = e.target;
    const th = t.closest("[data-sort]");
    if (th) { e.preventDefault(); const k = th.dataset.sort; state.sort = state.sort === k ? "-" + k : k; render(); return; }
    const pg = t.closest("[data-page]");
    if (pg && !pg.disabled) { state.page = parseInt(pg.dataset.page, 10); render(); return; }
    const bar = t.closest(".bar");
    if (bar) { state.dominant = state.dominant === bar.dataset.dominant ? "" : bar.dataset.dominant; $("dominant").value = state.dominant; state.page = 1; render(); return; }
    const tr = t.closest("tr.doc-row");
    if (tr) { state.doc = ROWS[+tr.dataset.row][ID]; render(); return; }
    if (t.id === "overlay" || t.closest(".close")) { state.doc = ""; render(); return; }
    const ev = t.closest("[data-para]");
    if (ev) { const p = $("p" + ev.dataset.para); if (p) { p.scrollIntoView({ block: "center" }); p.classList.add("flash"); setTimeout(() => p.classList.remove("flash"), 1200); } }
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && state.doc) { state.doc = ""; render(); } });
  window.addEventListener("hashchange", () => { readHash(); $("q").value = state.q; $("dominant").value = state.dominant; render(); });
  render();
})();
