/* policykg /explore: search, expand, filter, inspect and trace the network.
 * Every text from the graph reaches the DOM through textContent only; vis-network
 * draws labels on its canvas and no node has a title (no HTML popups). */
(function () {
  "use strict";

  var KIND_ENTITY = { program: 1, division: 1, indicator: 1, organization: 1, regulation: 1 };
  var cfg = { legend: [], physicsMaxNodes: 300, documents: [] };
  var styles = {};
  var nodes = new vis.DataSet();
  var edges = new vis.DataSet();
  var expanded = Object.create(null);
  var hiddenKinds = Object.create(null);
  var docFilter = "", secFilter = "";
  var traceIds = null, traceEdges = null;
  var busy = 0;

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function status(text) { $("status").textContent = text || ""; }
  function api(path, params) {
    var qs = Object.keys(params || {}).filter(function (k) { return params[k] !== undefined && params[k] !== null; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
    busy++;
    return fetch(path + (qs ? "?" + qs : ""), { headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body && body.error && body.error.message) || ("HTTP " + r.status));
        return body;
      });
    }).finally(function () { busy--; });
  }
  function fail(err) { status("⚠ " + err.message); window.__pkgLastError = String(err && err.stack); }

  // -- network ------------------------------------------------------------
  function visible(n) {
    if (hiddenKinds[n.kind]) return false;
    if (traceIds && !traceIds[n.id] && n.kind === "summary") return false;
    if (docFilter && n.kind !== "summary" && (n.documents || []).indexOf(docFilter) < 0) return false;
    if (secFilter && n.section && n.section !== secFilter) return false;
    if (secFilter && !n.section && !KIND_ENTITY[n.kind] && n.kind !== "summary" && n.kind !== "document") return false;
    return true;
  }
  var nodesView = new vis.DataView(nodes, { filter: visible });
  function refreshView() { nodesView.refresh(); applyTrace(); }
  var options = {
    physics: { enabled: true, solver: "barnesHut", stabilization: { iterations: 80, fit: false },
               barnesHut: { springLength: 150, avoidOverlap: 0.4, damping: 0.4 } },
    interaction: { hover: true, tooltipDelay: 100000000 },
    edges: { smooth: false, color: { color: "#adb5bd", highlight: "#495057" } },
    nodes: { size: 14, font: { size: 13, face: "system-ui, sans-serif" } },
    layout: { improvedLayout: false }
  };
  var network = new vis.Network($("net"), { nodes: nodesView, edges: edges }, options);

  function updatePhysics() {
    network.setOptions({ physics: { enabled: nodes.length <= cfg.physicsMaxNodes } });
  }
  function addData(list, elist) {
    var fresh = list.filter(function (n) { return !nodes.get(n.id); });
    var known = list.filter(function (n) { return n.kind === "summary" && nodes.get(n.id); });
    nodes.add(fresh);
    if (known.length) nodes.update(known.map(function (n) { return { id: n.id, label: n.label, summary: n.summary }; }));
    edges.update(elist);
    if (traceIds) applyTrace();
    updatePhysics();
    status(nodes.length + " nodes, " + edges.length + " edges");
  }
  function position(id) {
    if (!nodes.get(id)) return null;
    try { return network.getPosition(id); } catch (e) { return null; }
  }
  function freeSpot() {
    if (!nodes.length) return { x: 0, y: 0 };
    var maxX = -Infinity;
    nodes.forEach(function (n) { var p = position(n.id); if (p && p.x > maxX) maxX = p.x; });
    return { x: (isFinite(maxX) ? maxX : 0) + 500, y: 0 };
  }

  function expand(iri) {
    if (expanded[iri]) return Promise.resolve(null);
    expanded[iri] = true;
    var p = position(iri) || freeSpot();
    status("expanding…");
    return api("/api/explore/node", { iri: iri, x: Math.round(p.x), y: Math.round(p.y) }).then(function (data) {
      if (!nodes.get(iri)) nodes.add(data.node);
      addData(data.nodes, data.edges);
      return data;
    }).catch(function (e) { delete expanded[iri]; fail(e); });
  }
  function loadMore(summaryId) {
    var n = nodes.get(summaryId);
    if (!n || !n.summary) return Promise.resolve(null);
    var s = n.summary;
    var p = position(summaryId) || { x: 0, y: 0 };
    return api("/api/explore/node", { iri: s.parent, group: s.group, offset: s.offset, x: Math.round(p.x),
                                       y: Math.round(p.y) }).then(function (data) {
      var stillMore = data.nodes.some(function (x) { return x.id === summaryId; });
      if (!stillMore) { nodes.remove(summaryId); edges.remove(s.parent + "|" + s.edge + "|" + summaryId); }
      addData(data.nodes, data.edges);
    }).catch(fail);
  }
  // The view's state in the URL (one of focus, trace, rests, q), so every view is a link to share.
  function remember(key, value) {
    var params = new URLSearchParams(window.location.search);
    ["focus", "trace", "rests", "q"].forEach(function (k) { params.delete(k); });
    if (key && value) params.set(key, value);
    var query = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }
  function open(iri) {
    remember("focus", iri);
    var had = !!nodes.get(iri);
    var p = expand(iri);
    showDetails(iri);
    return p.then(function () {
      if (!had) network.fit({ animation: false });
      var n = nodes.get(iri);
      if (n && visible(n)) network.selectNodes([iri]);
    });
  }

  network.on("click", function (params) {
    if (!params.nodes.length) return;
    var id = params.nodes[0];
    var n = nodes.get(id);
    if (!n) return;
    if (n.kind === "summary") { loadMore(id); return; }
    if (!traceIds) remember("focus", id);  // in a trace, the URL keeps the trace
    showDetails(id);
    expand(id);
  });

  // -- side panel -----------------------------------------------------------
  function quoteBlock(q) {
    var box = el("div", null, "quote");
    var ctx = q.context || q.quote || "";
    var i = q.quote ? ctx.indexOf(q.quote) : -1;
    if (i < 0) { box.appendChild(document.createTextNode("“" + ctx + "”")); return box; }
    box.appendChild(document.createTextNode("“" + ctx.slice(0, i)));
    box.appendChild(el("mark", q.quote));
    box.appendChild(document.createTextNode(ctx.slice(i + q.quote.length) + "”"));
    return box;
  }
  function showDetails(iri) {
    var box = $("details");
    return api("/api/explore/details", { iri: iri }).then(function (d) {
      box.textContent = "";
      var st = styles[d.kind] || {};
      var badge = el("span", d.kind, "badge");
      badge.style.background = st.color || "#868e96";
      box.appendChild(badge);
      box.appendChild(el("h2", d.label || iri, "node-label"));
      box.appendChild(el("div", iri, "iri"));
      if (d.kind === "program") {
        var b = el("button", "Trace this program");
        b.type = "button"; b.id = "trace-this";
        b.addEventListener("click", function () { $("trace-input").value = d.label || iri; runTrace(iri); });
        box.appendChild(b);
      }
      if (d.kind === "task") {
        var r = el("button", "What it rests on");
        r.type = "button"; r.id = "rests-on-this";
        r.addEventListener("click", function () { runRestsOn(iri); });
        box.appendChild(r);
      }
      if (d.quotes && d.quotes.length) {
        box.appendChild(el("h3", "Source"));
        d.quotes.forEach(function (q) {
          var qb = quoteBlock(q);
          qb.setAttribute("data-role", "source-quote");
          box.appendChild(qb);
          if (q.part_label) box.appendChild(el("div", "in " + q.part_label, "iri"));
        });
      }
      var t = el("table");
      Object.keys(d.properties || {}).sort().forEach(function (k) {
        var tr = el("tr");
        tr.appendChild(el("td", k));
        tr.appendChild(el("td", d.properties[k].join(" · ")));
        t.appendChild(tr);
      });
      box.appendChild(el("h3", "Properties"));
      box.appendChild(t);
      if (d.documents && d.documents.length) box.appendChild(el("p", "documents: " + d.documents.join(" "), "iri"));
    }).catch(fail);
  }

  // -- search -----------------------------------------------------------------
  function runSearch(q) {
    var ul = $("results");
    ul.textContent = "";
    if (!q) { ul.hidden = true; return Promise.resolve(); }
    remember("q", q);
    return api("/api/explore/search", { q: q, limit: 20 }).then(function (data) {
      ul.textContent = "";
      if (!data.results.length) { ul.appendChild(el("li", "no match for " + q)); }
      data.results.forEach(function (r) {
        var li = el("li");
        var b = el("button");
        b.type = "button";
        b.setAttribute("data-iri", r.iri);
        var badge = el("span", r.kind, "badge");
        badge.style.background = (styles[r.kind] || {}).color || "#868e96";
        b.appendChild(badge);
        b.appendChild(document.createTextNode(r.label || r.iri));
        if (r.match && r.match !== r.label) b.appendChild(el("small", " (" + r.match + ")"));
        b.addEventListener("click", function () { ul.hidden = true; open(r.iri); });
        li.appendChild(b);
        ul.appendChild(li);
      });
      ul.hidden = false;
    }).catch(fail);
  }
  $("search-form").addEventListener("submit", function (ev) { ev.preventDefault(); runSearch($("search").value.trim()); });
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") $("results").hidden = true; });

  // -- trace mode ---------------------------------------------------------------
  function applyTrace() {
    var upd = [];
    nodes.forEach(function (n) {
      if (!visible(n)) return;  // hidden nodes are restyled when shown again
      var on = !traceIds || traceIds[n.id];
      upd.push({ id: n.id, opacity: on ? 1 : 0.15, borderWidth: traceIds && on ? 4 : 1,
                 color: { background: (styles[n.kind] || {}).color, border: traceIds && on ? "#f08c00" : (styles[n.kind] || {}).color } });
    });
    nodes.update(upd);
    var eupd = [];
    edges.forEach(function (e) {
      var a = nodes.get(e.from), b = nodes.get(e.to);
      if (!a || !b || !visible(a) || !visible(b)) return;
      var on = traceEdges && traceEdges[e.id];
      eupd.push({ id: e.id, width: on ? 3 : 1, color: { color: on ? "#f08c00" : (traceIds ? "rgba(173,181,189,0.25)" : "#adb5bd") } });
    });
    edges.update(eupd);
  }
  // A reach from one node (a program's trace, or what a task rests on), highlighted like a trace.
  function showReach(data, root, what) {
    var at = position(root.iri) || freeSpot();
    var base = data.vis.nodes.filter(function (n) { return n.id === root.iri; })[0] || { x: 0, y: 0 };
    data.vis.nodes.forEach(function (n) { n.x = n.x - base.x + at.x; n.y = n.y - base.y + at.y; });
    traceIds = Object.create(null);
    traceEdges = Object.create(null);
    data.vis.nodes.forEach(function (n) { traceIds[n.id] = true; });
    data.vis.edges.forEach(function (e) { traceEdges[e.id] = true; });
    addData(data.vis.nodes, data.vis.edges);
    applyTrace();
    refreshView();
    var shown = Object.keys(traceIds).filter(function (id) { var n = nodes.get(id); return n && visible(n); });
    if (shown.length) network.fit({ nodes: shown, animation: false });
    var c = data.counts || {};
    status(what + " " + (root.label || root.iri) + ": " + Object.keys(c).map(function (k) { return c[k] + " " + k; }).join(", ") +
           // Say so when the server cut the reach: a partial trace must not read as the whole of it.
           (data.truncated ? " — cut at the " + data.max_nodes + " nodes nearest it (max_trace_nodes); it reaches more" : ""));
    showDetails(root.iri);
    return data;
  }
  function runTrace(name) {
    remember("trace", name);
    status("tracing…");
    return api("/api/trace", { program: name }).then(function (data) { return showReach(data, data.program, "trace"); }).catch(fail);
  }
  function runRestsOn(task) {
    remember("rests", task);
    status("tracing…");
    return api("/api/rests-on", { task: task }).then(function (data) { return showReach(data, data.task, "rests on:"); }).catch(fail);
  }
  $("trace-form").addEventListener("submit", function (ev) { ev.preventDefault(); var v = $("trace-input").value.trim(); if (v) runTrace(v); });
  $("trace-clear").addEventListener("click", function () { traceIds = null; traceEdges = null; remember(null); applyTrace(); refreshView(); status(""); });

  // -- filters ---------------------------------------------------------------------
  function buildLegend() {
    var lg = $("legend");
    lg.textContent = "";
    cfg.legend.forEach(function (k) {
      styles[k.kind] = k;
      var lab = el("label");
      var cb = el("input");
      cb.type = "checkbox"; cb.checked = true; cb.setAttribute("data-kind", k.kind);
      cb.addEventListener("change", function () { if (cb.checked) delete hiddenKinds[k.kind]; else hiddenKinds[k.kind] = true; refreshView(); });
      var sw = el("i"); sw.style.background = k.color;
      lab.appendChild(cb); lab.appendChild(sw); lab.appendChild(document.createTextNode(k.name));
      lg.appendChild(lab);
    });
  }
  function buildDocs() {
    var sel = $("filter-doc");
    cfg.documents.forEach(function (d) { var o = el("option", d.title || d.iri); o.value = d.iri; sel.appendChild(o); });
    sel.addEventListener("change", function () {
      docFilter = sel.value; secFilter = "";
      var ss = $("filter-section");
      ss.textContent = ""; var all = el("option", "all"); all.value = ""; ss.appendChild(all);
      refreshView();
      if (!docFilter) return;
      api("/api/explore/sections", { document: docFilter }).then(function (data) {
        data.sections.forEach(function (s) { var o = el("option", (s.ordinal ? s.ordinal + ". " : "") + (s.label || s.iri)); o.value = s.iri; ss.appendChild(o); });
      }).catch(fail);
    });
    $("filter-section").addEventListener("change", function () { secFilter = $("filter-section").value; refreshView(); });
  }
  $("reset").addEventListener("click", function () {
    nodes.clear(); edges.clear(); expanded = Object.create(null); traceIds = null; traceEdges = null;
    $("details").textContent = ""; status("");
  });

  // -- start ---------------------------------------------------------------------------
  window.pkgExplore = {
    network: network, nodes: nodes, edges: edges, expand: expand, open: open, loadMore: loadMore,
    search: runSearch, trace: runTrace, showDetails: showDetails,
    isIdle: function () { return busy === 0; }, ready: false
  };
  api("/api/explore/config").then(function (c) {
    cfg = c;
    buildLegend();
    buildDocs();
    var params = new URLSearchParams(window.location.search);
    var next = Promise.resolve();
    if (params.get("focus")) next = open(params.get("focus"));
    else if (params.get("trace")) { $("trace-input").value = params.get("trace"); next = runTrace(params.get("trace")); }
    else if (params.get("rests")) next = runRestsOn(params.get("rests"));
    else if (params.get("q")) { $("search").value = params.get("q"); next = runSearch(params.get("q")); }
    return next;
  }).then(function () { window.pkgExplore.ready = true; }).catch(fail);
})();
