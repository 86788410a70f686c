// The query page: a SPARQL editor (CodeMirror 5, vendored in /static/vendor) that completes the
// prefixes and the ontology's terms (from /query/vocabulary.json), run against /sparql, results
// right under the editor as a table, the raw JSON, a bar chart or a map of points.
// All values are inserted with textContent (or as SVG text nodes), never as HTML.
(function () {
  "use strict";
  const form = document.getElementById("query-form");
  const textarea = document.getElementById("query");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const share = document.getElementById("share");
  const download = document.getElementById("download");
  const viewBar = document.getElementById("views");
  const SVG = "http://www.w3.org/2000/svg";
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const NUMERIC = new Set(["integer", "decimal", "double", "float", "int", "long", "short", "byte",
    "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
    "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"].map(t => XSD + t));
  const MAX_BARS = 200;
  const VIEWS = ["table", "raw", "chart", "map"];

  // The vocabulary the editor completes and the prefixes IRIs are shown with: one request, read
  // from the ontology on the server (api/pages.py, query_vocabulary).
  const vocabulary = fetch("/query/vocabulary.json")
    .then(r => (r.ok ? r.json() : { prefixes: {}, terms: [] }))
    .catch(() => ({ prefixes: {}, terms: [] }));
  let prefixes = [];  // [prefix, namespace], set once the vocabulary is in
  let terms = [];
  vocabulary.then(v => {
    prefixes = Object.entries(v.prefixes);
    terms = v.terms;
  });

  // -- the editor ------------------------------------------------------------------------------
  let editor = null;  // CodeMirror, or null when it did not load (the plain textarea stays)
  function getQuery() { return editor ? editor.getValue() : textarea.value; }
  function setQuery(text) {
    if (editor) { editor.setValue(text); editor.focus(); } else { textarea.value = text; }
    updateShare();
  }

  // The completions at the cursor: after "PREFIX " a prefix with its namespace; in a prefixed
  // name ("pkg:" and more) the terms of that prefix; in a bare word the prefixes and terms that start so.
  function completions(cm) {
    const cur = cm.getCursor();
    const line = cm.getLine(cur.line);
    let start = cur.ch;
    while (start > 0 && /[A-Za-z0-9_:-]/.test(line.charAt(start - 1))) start--;
    const word = line.slice(start, cur.ch);
    const lower = word.toLowerCase();
    let list;
    if (/\bprefix\s+$/i.test(line.slice(0, start))) {
      list = prefixes.filter(([p]) => (p + ":").startsWith(lower))
        .map(([p, ns]) => ({ text: p + ": <" + ns + ">", displayText: p + ": <" + ns + ">" }));
    } else if (word.indexOf(":") >= 0) {
      list = terms.filter(t => t.name.toLowerCase().startsWith(lower)).map(termHint);
    } else {
      list = prefixes.filter(([p]) => p.startsWith(lower))
        .map(([p, ns]) => ({ text: p + ":", displayText: p + ":", detail: ns }))
        .concat(word ? terms.filter(t => t.name.split(":")[1].toLowerCase().startsWith(lower)).map(termHint) : []);
    }
    return { list: list, from: CodeMirror.Pos(cur.line, start), to: CodeMirror.Pos(cur.line, cur.ch) };
  }
  function termHint(t) {
    return { text: t.name, displayText: t.name, detail: [t.kind, t.label].filter(Boolean).join(" · ") };
  }
  function renderHint(element, self, data) {
    const name = document.createElement("span");
    name.textContent = data.displayText;
    element.appendChild(name);
    if (data.detail) {
      const small = document.createElement("small");
      small.className = "hint-detail";
      small.textContent = data.detail;
      element.appendChild(small);
    }
  }
  function complete(cm) {
    cm.showHint({
      hint: c => {
        const h = completions(c);
        h.list.forEach(item => { item.render = renderHint; });
        return h;
      },
      completeSingle: false,
    });
  }
  if (window.CodeMirror) {
    editor = CodeMirror.fromTextArea(textarea, {
      mode: "sparql",
      lineNumbers: true,
      indentUnit: 2,
      extraKeys: {
        "Ctrl-Space": complete,
        "Ctrl-Enter": () => run(),
        "Cmd-Enter": () => run(),
      },
    });
    editor.on("change", updateShare);
    // a prefix followed by ":" opens the list of its terms
    editor.on("inputRead", (cm, change) => {
      if (change.text.join("") !== ":") return;
      const line = cm.getLine(change.from.line).slice(0, change.from.ch);
      const word = (line.match(/[A-Za-z][A-Za-z0-9_-]*$/) || [""])[0];
      if (prefixes.some(([p]) => p === word)) complete(cm);
    });
  } else {
    textarea.addEventListener("input", updateShare);
    textarea.addEventListener("keydown", e => { if ((e.ctrlKey || e.metaKey) && e.key === "Enter") run(e); });
  }

  // -- the URL: /query?query=…&view=… re-runs the query ----------------------------------------
  let view = new URLSearchParams(location.search).get("view") || "table";
  function shareUrl() {
    return location.origin + "/query?query=" + encodeURIComponent(getQuery()) +
      (view !== "table" ? "&view=" + encodeURIComponent(view) : "");
  }
  function updateShare() { share.href = shareUrl(); }
  function setStatus(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  // -- terms as text and links -----------------------------------------------------------------
  function localHref(value) {
    // instance IRIs open their local page when the server knows the base; other IRIs are
    // links only when they are http(s): a result may hold any IRI (IRI("javascript:…")
    // in a shared query link), and a javascript: or data: one must stay text
    const base = document.body.dataset.base;
    if (base && value.startsWith(base)) return "/id/" + pagePath(value.slice(base.length));
    return /^https?:\/\//i.test(value) ? value : null;
  }
  // The rest of an instance IRI as the path of its page, escaped as the server does
  // (api/pages.py, local_path: every character but letters, digits, "/%-._~")
  function pagePath(rest) {
    return rest.replace(/[^A-Za-z0-9\/%\-._~]/gu, c => encodeURIComponent(c));
  }
  // An IRI as people read it: the path under the server's base (doc/…/task/12), a prefixed name
  // (pkg:AtLeast), or the IRI itself.
  function shortIri(value) {
    const base = document.body.dataset.base;
    if (base && value.startsWith(base) && value.length > base.length) return value.slice(base.length);
    for (const [p, ns] of prefixes) {
      if (value.startsWith(ns) && value.length > ns.length) return p + ":" + value.slice(ns.length);
    }
    return value;
  }
  function isNumeric(term) {
    return !!term && term.type === "literal" && NUMERIC.has(term.datatype) && isFinite(parseFloat(term.value));
  }
  // The label a row gives an IRI column ?x: a literal in ?xLabel or ?x_label (the WDQS habit).
  function labelOf(row, name) {
    const l = row[name + "Label"] || row[name + "_label"];
    return l && l.type === "literal" ? l.value : null;
  }
  function termText(term) {
    if (!term) return "";
    if (term.type === "uri") return shortIri(term.value);
    if (term.type === "bnode") return "_:" + term.value;
    if (term.type === "triple") return "<< " + JSON.stringify(term.value) + " >>";
    return term.value;
  }
  function cell(term, row, name) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      const short = shortIri(term.value);
      const text = labelOf(row, name) || short;
      const href = localHref(term.value);
      const local = href !== null && href.startsWith("/id/");
      if (local || (href !== null && short === term.value)) {
        // a page here, or an http(s) IRI in no known namespace: a link
        const a = document.createElement("a");
        a.href = href;
        a.textContent = text;
        a.setAttribute("title", term.value);
        td.appendChild(a);
      } else {
        td.textContent = text;  // a prefixed name (pkg:AtLeast), or an IRI that is no link
        if (text !== term.value) td.setAttribute("title", term.value);
      }
      td.className = "iri";
      return td;
    }
    td.textContent = termText(term);
    if (isNumeric(term)) td.className = "num";
    if (term["xml:lang"]) {
      const lang = document.createElement("small");
      lang.className = "lang";
      lang.textContent = "@" + term["xml:lang"];
      td.appendChild(lang);
    }
    return td;
  }

  // -- the result and its views ----------------------------------------------------------------
  let result = null;  // {vars, rows, raw} of the last SELECT, or {text} for a graph
  const drawn = {};   // view name -> its panel, drawn on first show

  function panel(name) {
    const div = document.createElement("div");
    div.id = "view-" + name;
    div.className = "view";
    div.hidden = true;
    results.appendChild(div);
    drawn[name] = div;
    return div;
  }
  function applicable() {
    if (!result) return [];
    if (!result.vars) return ["raw"];
    const out = ["table", "raw"];
    if (chartColumns().values.length) out.push("chart");
    if (mapColumns()) out.push("map");
    return out;
  }
  function showView(name) {
    const ok = applicable();
    if (!ok.length) { viewBar.hidden = true; return; }
    if (ok.indexOf(name) < 0) name = ok[0];
    view = name;
    viewBar.hidden = false;
    viewBar.querySelectorAll("button[data-view]").forEach(b => {
      b.hidden = ok.indexOf(b.dataset.view) < 0;
      b.setAttribute("aria-pressed", String(b.dataset.view === name));
    });
    if (!drawn[name]) DRAW[name](panel(name));
    VIEWS.forEach(v => { if (drawn[v]) drawn[v].hidden = v !== name; });
    if (location.pathname === "/query" && new URLSearchParams(location.search).has("query")) {
      history.replaceState(null, "", shareUrl());
    }
    updateShare();
  }

  function drawTable(div) {
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    result.vars.forEach(v => { const th = document.createElement("th"); th.textContent = "?" + v; head.appendChild(th); });
    const body = table.createTBody();
    result.rows.forEach(b => {
      const tr = body.insertRow();
      result.vars.forEach(v => tr.appendChild(cell(b[v], b, v)));
    });
    div.appendChild(table);
  }
  function drawRaw(div) {
    const pre = document.createElement("pre");
    pre.className = "raw";
    pre.textContent = result.vars ? JSON.stringify(result.raw, null, 2) : result.text;
    div.appendChild(pre);
  }

  // Chart: a label column (the first literal one, else the first IRI one) and the numeric
  // columns (every bound value a number); the last numeric column is drawn first.
  function chartColumns() {
    const rows = result.rows;
    const bound = v => rows.filter(r => r[v]);
    const values = result.vars.filter(v => bound(v).length && bound(v).every(r => isNumeric(r[v])));
    const literal = result.vars.filter(v => values.indexOf(v) < 0 && bound(v).length &&
      bound(v).every(r => r[v].type === "literal") && !/Label$|_label$/.test(v));
    const iris = result.vars.filter(v => bound(v).length && bound(v).every(r => r[v].type === "uri"));
    const label = literal[0] || iris[0];
    return { label: label, values: label ? values : [] };
  }
  function svg(tag, attrs, text) {
    const el = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(k => el.setAttribute(k, attrs[k]));
    if (text !== undefined) el.textContent = text;
    return el;
  }
  function rowLabel(row, name) {
    const term = row[name];
    if (!term) return "—";
    return (term.type === "uri" && labelOf(row, name)) || termText(term);
  }
  function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }
  function drawChart(div) {
    const cols = chartColumns();
    const p = document.createElement("p");
    p.className = "view-note";
    const select = document.createElement("select");
    select.id = "chart-value";
    cols.values.forEach(v => {
      const o = document.createElement("option");
      o.value = v; o.textContent = "?" + v;
      select.appendChild(o);
    });
    select.value = cols.values[cols.values.length - 1];
    p.append("Bars: ?" + cols.label + " by ");
    p.appendChild(select);
    div.appendChild(p);
    const box = document.createElement("div");
    box.className = "chart-box";
    div.appendChild(box);
    const redraw = () => { box.textContent = ""; box.appendChild(barChart(cols.label, select.value)); };
    select.addEventListener("change", redraw);
    redraw();
  }
  function barChart(labelVar, valueVar) {
    const rows = result.rows.filter(r => isNumeric(r[valueVar])).slice(0, MAX_BARS);
    const bars = rows.map(r => ({ label: rowLabel(r, labelVar), value: parseFloat(r[valueVar].value), row: r }));
    const W = 640, LEFT = 200, RIGHT = 60, BAR = 18, GAP = 6, TOP = 8;
    const H = TOP * 2 + bars.length * (BAR + GAP);
    const low = Math.min(0, ...bars.map(b => b.value)), high = Math.max(0, ...bars.map(b => b.value));
    const span = high - low || 1;
    const x = v => LEFT + (v - low) / span * (W - LEFT - RIGHT);
    const chart = svg("svg", { class: "bar-chart", viewBox: "0 0 " + W + " " + H, width: W, height: H,
      role: "img", "aria-label": "?" + valueVar + " by ?" + labelVar });
    chart.appendChild(svg("line", { x1: x(0), x2: x(0), y1: 0, y2: H, class: "axis" }));
    bars.forEach((b, i) => {
      const y = TOP + i * (BAR + GAP);
      const g = svg("g", { class: "bar" });
      g.appendChild(svg("title", {}, b.label + ": " + b.value));
      g.appendChild(svg("text", { x: LEFT - 6, y: y + BAR - 5, "text-anchor": "end", class: "bar-label" }, clip(b.label, 16)));
      g.appendChild(svg("rect", { x: Math.min(x(0), x(b.value)), y: y, height: BAR,
        width: Math.max(1, Math.abs(x(b.value) - x(0))) }));
      g.appendChild(svg("text", { x: Math.max(x(0), x(b.value)) + 4, y: y + BAR - 5, class: "bar-value" }, String(b.value)));
      chart.appendChild(g);
    });
    return chart;
  }

  // Map: numeric ?lat and ?long (or latitude/longitude/lon/lng) columns; else a column of
  // division codes (530129) or division IRIs, placed at their geo:lat/geo:long in the store.
  const CODE = /^\d{6}$/;
  function divisionCode(term) {
    if (!term) return null;
    if (term.type === "literal" && CODE.test(term.value)) return term.value;
    const base = document.body.dataset.base;
    if (term.type === "uri" && base && term.value.startsWith(base + "division/")) {
      const code = term.value.slice(base.length + "division/".length);
      return CODE.test(code) ? code : null;
    }
    return null;
  }
  function mapColumns() {
    const rows = result.rows;
    const find = re => result.vars.find(v => re.test(v) && rows.some(r => r[v] && isFinite(parseFloat(r[v].value))));
    const lat = find(/^(lat|latitude)$/i), long = find(/^(long|lon|lng|longitude)$/i);
    if (lat && long) return { lat: lat, long: long };
    const code = result.vars.find(v => rows.some(r => r[v]) && rows.every(r => !r[v] || divisionCode(r[v])));
    return code ? { code: code } : null;
  }
  async function coordinates(codes) {
    // codes are six digits (checked by CODE), so they are safe to write into the query
    const query = "SELECT ?code ?lat ?long WHERE { VALUES ?code { " +
      codes.map(c => '"' + c + '"').join(" ") +
      " } ?d pkg:adminCode ?code ; geo:lat ?lat ; geo:long ?long }";
    const response = await fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json" },
      body: new URLSearchParams({ query: query }),
    });
    if (!response.ok) return {};
    const out = {};
    (await response.json()).results.bindings.forEach(b => {
      out[b.code.value] = [parseFloat(b.lat.value), parseFloat(b.long.value)];
    });
    return out;
  }
  async function drawMap(div) {
    const cols = mapColumns();
    const labelVar = chartColumns().label || cols.code;
    const note = document.createElement("p");
    note.className = "view-note";
    div.appendChild(note);
    let points = [];
    if (cols.lat) {
      result.rows.forEach(r => {
        const la = r[cols.lat] && parseFloat(r[cols.lat].value), lo = r[cols.long] && parseFloat(r[cols.long].value);
        if (isFinite(la) && isFinite(lo)) points.push({ lat: la, long: lo, row: r, code: null });
      });
    } else {
      const codes = Array.from(new Set(result.rows.map(r => divisionCode(r[cols.code])).filter(Boolean))).slice(0, 500);
      note.textContent = "Finding the divisions…";
      const at = await coordinates(codes);
      result.rows.forEach(r => {
        const code = divisionCode(r[cols.code]);
        if (code && at[code]) points.push({ lat: at[code][0], long: at[code][1], row: r, code: code });
      });
    }
    const outlines = await basemap();
    note.textContent = points.length + " points at their geo:lat/geo:long" + (outlines.length
      ? ", on the provinces' boundaries (cnmaps)."
      : ", on no background map: boundaries need the maps extra (pip install 'policykg[maps]').");
    if (!points.length) return;
    div.appendChild(pointMap(points, labelVar, outlines));
  }
  let basemapCache = null;  // [[name, rings of [long, lat]]], fetched once per page
  async function basemap() {
    if (basemapCache === null) {
      try {
        const response = await fetch("/query/basemap.json");
        basemapCache = response.ok ? await response.json() : [];
      } catch (e) { basemapCache = []; }
    }
    return basemapCache;
  }
  function pointMap(points, labelVar, outlines) {
    const W = 600, H = 420, PAD = 40;
    const lats = points.map(p => p.lat), longs = points.map(p => p.long);
    // At least a degree across, so one point (or points close together) shows its surroundings.
    const grow = (lo, hi) => (hi - lo < 1 ? [(lo + hi) / 2 - 0.5, (lo + hi) / 2 + 0.5] : [lo, hi]);
    const [minx, maxx] = grow(Math.min(...longs), Math.max(...longs));
    const [miny, maxy] = grow(Math.min(...lats), Math.max(...lats));
    const squeeze = Math.cos((miny + maxy) / 2 * Math.PI / 180);  // a degree of longitude is shorter up north
    const spanx = Math.max((maxx - minx) * squeeze, 1e-9), spany = Math.max(maxy - miny, 1e-9);
    const scale = Math.min((W - 2 * PAD) / spanx, (H - 2 * PAD) / spany);
    const px = lo => (maxx === minx ? W / 2 : PAD + (lo - minx) * squeeze * scale);
    const py = la => (maxy === miny ? H / 2 : PAD + (maxy - la) * scale);
    const map = svg("svg", { class: "point-map", viewBox: "0 0 " + W + " " + H, width: W, height: H,
      role: "img", "aria-label": "map of ?" + labelVar });
    map.appendChild(svg("rect", { x: 0, y: 0, width: W, height: H, class: "map-bg" }));
    // The provinces near the points, in the points' own projection (the SVG clips the rest).
    const margin = Math.max(maxx - minx, maxy - miny);
    outlines.forEach(([name, rings]) => {
      const near = rings.filter(ring => ring.some(([lo, la]) =>
        lo > minx - margin && lo < maxx + margin && la > miny - margin && la < maxy + margin));
      if (!near.length) return;
      const d = near.map(ring => "M" + ring.map(([lo, la]) => px(lo).toFixed(1) + "," + py(la).toFixed(1)).join("L") + "Z").join("");
      const path = svg("path", { d: d, class: "province" });
      path.appendChild(svg("title", {}, name));
      map.appendChild(path);
    });
    points.forEach(p => {
      const label = rowLabel(p.row, labelVar);
      const link = p.code ? "/place/" + p.code : null;
      const g = svg(link ? "a" : "g", link ? { href: link, class: "point" } : { class: "point" });
      g.appendChild(svg("title", {}, label + " (" + p.lat + ", " + p.long + ")"));
      g.appendChild(svg("circle", { cx: px(p.long).toFixed(1), cy: py(p.lat).toFixed(1), r: 5 }));
      g.appendChild(svg("text", { x: (px(p.long) + 7).toFixed(1), y: (py(p.lat) + 4).toFixed(1) }, clip(label, 12)));
      map.appendChild(g);
    });
    return map;
  }
  const DRAW = { table: drawTable, raw: drawRaw, chart: drawChart, map: drawMap };

  // -- running ---------------------------------------------------------------------------------
  let runs = 0;  // a reply to an older run, still on its way, is dropped
  async function run(event) {
    if (event) event.preventDefault();
    const mine = ++runs;
    if (editor) editor.save();
    history.replaceState(null, "", shareUrl());
    updateShare();
    setStatus("running…");
    results.textContent = "";
    result = null;
    VIEWS.forEach(v => { delete drawn[v]; });
    viewBar.hidden = true;
    const started = performance.now();
    let response;
    try {
      response = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/sparql-results+json, text/turtle;q=0.9" },
        body: new URLSearchParams({ query: getQuery() }),
      });
    } catch (err) { if (mine === runs) setStatus("network error: " + err, true); return; }
    if (mine !== runs) return;
    const ms = Math.round(performance.now() - started);
    const ctype = response.headers.get("content-type") || "";
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try { const e = await response.json(); message = e.error.message + (e.error.hint ? " — " + e.error.hint : ""); }
      catch (_) { /* not JSON */ }
      if (mine === runs) setStatus(message, true);
      return;
    }
    const truncated = response.headers.get("X-PolicyKG-Truncated") === "true";
    if (truncated) {
      const p = document.createElement("p");
      p.className = "truncated";
      p.textContent = "Truncated: the server returns at most " +
        response.headers.get("X-PolicyKG-Max-Rows") + " rows. Add LIMIT/OFFSET to page.";
      results.appendChild(p);
    }
    await vocabulary;  // the prefixes IRIs are shown with
    const body = ctype.startsWith("application/sparql-results+json") ? await response.json() : await response.text();
    if (mine !== runs) return;
    if (typeof body !== "string") {
      const data = body;
      if ("boolean" in data) { setStatus("answer: " + data.boolean + " (" + ms + " ms)"); return; }
      result = { vars: data.head.vars, rows: data.results.bindings, raw: data };
      setStatus(data.results.bindings.length + " rows (" + ms + " ms)");
    } else {
      result = { text: body };
      setStatus("graph (" + ms + " ms)" + (truncated ? " — truncated" : ""));
    }
    showView(view);
  }
  async function downloadCsv(event) {
    event.preventDefault();
    const response = await fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv" },
      body: new URLSearchParams({ query: getQuery() }),
    });
    if (!response.ok) { setStatus("CSV: " + response.status, true); return; }
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement("a");
    a.href = url; a.download = "results.csv"; a.click();
    URL.revokeObjectURL(url);
  }
  document.querySelectorAll("button.example").forEach(b => b.addEventListener("click", () => {
    setQuery(b.dataset.query);
    run();
  }));
  document.getElementById("add-prefixes").addEventListener("click", e => {
    if (!/^\s*PREFIX\s+pkg:/im.test(getQuery())) setQuery(e.currentTarget.dataset.prologue + getQuery());
  });
  viewBar.querySelectorAll("button[data-view]").forEach(b => b.addEventListener("click", () => showView(b.dataset.view)));
  form.addEventListener("submit", run);
  download.addEventListener("click", downloadCsv);
  updateShare();
  // a test or a script can read the editor and the state of the last run
  window.pkgQuery = {
    editor: editor, run: run,
    get result() { return result; }, get view() { return view; }, get terms() { return terms.length; },
  };
  if (new URLSearchParams(location.search).has("query")) run();
})();
