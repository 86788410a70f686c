/* policykg /explore: search, expand, filter, inspect and trace the network.
 * Every text from the graph reaches the DOM through textContent only; vis-network
 * draws labels on its canvas and no node has a title (no HTML popups). */
(function () {
  "use strict";

  var KIND_ENTITY = { program: 1, division: 1, indicator: 1, organization: 1, regulation: 1 };
  var cfg = { legend: [], physicsMaxNodes: 300, hierarchyMaxNodes: 400, documents: [], base: "", edgeWords: {} };
  var styles = {};
  var nodes = new vis.DataSet();
  var edges = new vis.DataSet();
  var expanded = Object.create(null);
  var hiddenKinds = Object.create(null);
  var docFilter = "", secFilter = "";
  var traceIds = null, traceEdges = null;
  var hierarchy = false;  // a trace drawn as a layered left-to-right hierarchy
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
    notReady();
    return fetch(path + (qs ? "?" + qs : ""), { headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body && body.error && body.error.message) || ("HTTP " + r.status));
        return body;
      });
    }).finally(function () { busy--; settle(); });
  }
  // <body data-ready="1"> once the page has started, no request is under way and the canvas has
  // drawn what arrived (the browser tests and the benchmark wait for it).
  var settling = false;
  function notReady() { document.body.setAttribute("data-ready", "0"); }
  function settle() {
    if (busy > 0 || !window.pkgExplore || !window.pkgExplore.ready || settling) return;
    settling = true;
    network.once("afterDrawing", function () {
      settling = false;
      if (busy === 0) document.body.setAttribute("data-ready", "1");
    });
    network.redraw();
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
    network.setOptions({ physics: { enabled: !hierarchy && nodes.length <= cfg.physicsMaxNodes } });
  }
  // A trace is drawn alone, as a hierarchy left to right at the levels the server gave each node
  // (program → sub-program → task → target → division / organization); anything else is free.
  var HIERARCHY = { enabled: true, direction: "LR", sortMethod: "directed", levelSeparation: 250,
                    nodeSpacing: 56, treeSpacing: 80, blockShifting: true, edgeMinimization: false,
                    parentCentralization: true, shakeTowards: "roots" };
  function setHierarchy(on) {
    if (on === hierarchy) return;
    hierarchy = on;
    if (on) network.setOptions({ layout: { hierarchical: HIERARCHY }, physics: { enabled: false } });
    else {
      network.setOptions({ layout: { hierarchical: { enabled: false } } });
      network.setOptions({ physics: options.physics });
      updatePhysics();
    }
  }
  function clearNetwork() {
    setHierarchy(false);
    nodes.clear(); edges.clear(); expanded = Object.create(null);
  }
  function showStart(on) { $("start").hidden = !on; }
  function addData(list, elist) {
    var fresh = list.filter(function (n) { return !nodes.get(n.id); });
    var known = list.filter(function (n) { return n.kind === "summary" && nodes.get(n.id); });
    nodes.add(fresh);
    if (known.length) nodes.update(known.map(function (n) { return { id: n.id, label: n.label, summary: n.summary }; }));
    edges.update(elist);
    if (traceIds) applyTrace();
    updatePhysics();
    if (nodes.length) showStart(false);
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
    if (hierarchy) return Promise.resolve(null);  // a trace's hierarchy is drawn whole, not expanded
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
    showInUrl(params);
  }
  function showInUrl(params) {
    var query = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }
  function open(iri) {
    if (hierarchy) leaveTrace();
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
    if (n.kind === "summary") { if (!hierarchy) loadMore(id); return; }
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
      var page = pagePath(iri);
      if (page) {
        var a = el("a", "Open its page 查看页面 →", "page-link");
        a.href = page; a.id = "node-page";
        box.appendChild(a);
      }
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
      (d.groups || []).forEach(function (g) { box.appendChild(propertyGroup(g)); });
      if (d.documents && d.documents.length) box.appendChild(el("p", "documents: " + d.documents.join(" "), "iri"));
    }).catch(fail);
  }

  // The /id/ page of an IRI under the store's base (as api.pages.local_path writes it), or null.
  function pagePath(iri) {
    if (!cfg.base || iri.indexOf(cfg.base) !== 0) return null;
    return "/id/" + iri.slice(cfg.base.length).replace(/[^A-Za-z0-9\/%\-._~]/gu, function (c) { return encodeURIComponent(c); });
  }
  function focusLink(text, iri) {
    var a = el("a", text);
    a.href = "/explore?focus=" + encodeURIComponent(iri);
    a.setAttribute("data-iri", iri);
    a.addEventListener("click", function (ev) { ev.preventDefault(); focusNode(iri); });
    return a;
  }
  // A property group of the side panel: a row per property (its words, its prefixed name), each
  // value a link that focuses it when it is a node, to its page when it is another IRI of the store.
  function propertyGroup(g) {
    var wrap = el("section");
    wrap.setAttribute("data-group", g.key);
    wrap.appendChild(el("h3", g.heading));
    var t = el("table");
    g.properties.forEach(function (p) {
      var tr = el("tr");
      var th = el("th");
      th.appendChild(el("span", p.words || p.name));
      if (p.words) th.appendChild(el("div", p.name, "pname"));
      tr.appendChild(th);
      var td = el("td");
      p.values.forEach(function (v) {
        var span = el("span", null, "v");
        if (v.node) span.appendChild(focusLink(v.text, v.iri));
        else if (v.iri && pagePath(v.iri)) {
          // an IRI of the store without a label (a span): written relative to the base, linked to its page
          var a = el("a", v.text === v.iri ? "id:" + v.iri.slice(cfg.base.length) : v.text, "iri");
          a.href = pagePath(v.iri); span.appendChild(a);
        }
        else { span.textContent = v.text; if (v.iri && v.text === v.iri) span.className = "v iri"; }
        td.appendChild(span);
      });
      if (p.truncated) td.appendChild(el("span", "…", "v"));
      tr.appendChild(td);
      t.appendChild(tr);
    });
    wrap.appendChild(t);
    return wrap;
  }
  // Focus a node: select and centre it when drawn; otherwise, outside a trace, open it.
  function focusNode(iri) {
    if (nodes.get(iri) && visible(nodes.get(iri))) {
      network.selectNodes([iri]);
      network.focus(iri, { scale: Math.max(network.getScale(), 0.9), animation: false });
      if (!traceIds) remember("focus", iri);
      showDetails(iri);
      if (!hierarchy) expand(iri);
      return;
    }
    if (hierarchy) { showDetails(iri); status("not drawn: " + lastShown); return; }
    open(iri);
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
  // Completion: names as you type (debounced), in the inputs' <datalist>s, written as text.
  function complete(input, list, kinds) {
    var timer = null, asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q || q === asked) return;
      timer = setTimeout(function () {
        asked = q;
        var params = { q: q, limit: 10 };
        if (kinds) params.kind = kinds;
        api("/api/explore/search", params).then(function (data) {
          if (input.value.trim() !== q) return;  // typed on meanwhile
          list.textContent = "";
          var seen = Object.create(null);
          data.results.forEach(function (r) {
            var name = r.label || r.match;
            if (!name || seen[name]) return;
            seen[name] = true;
            var o = el("option");
            o.value = name;
            o.label = r.kind + (r.match && r.match !== name ? " · " + r.match : "");
            o.setAttribute("data-iri", r.iri);
            list.appendChild(o);
          });
        }).catch(fail);
      }, 180);
    });
  }
  // each box's <datalist>, made here (the page's markup is only what the template needs)
  function suggestions(input, id) {
    var list = document.createElement("datalist");
    list.id = id;
    input.parentNode.insertBefore(list, input.nextSibling);
    input.setAttribute("list", id);
    return list;
  }
  complete($("search"), suggestions($("search"), "search-suggest"), null);
  complete($("trace-input"), suggestions($("trace-input"), "trace-suggest"), "program");
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") $("results").hidden = true; });

  // -- trace mode ---------------------------------------------------------------
  function applyTrace() {
    var upd = [];
    nodes.forEach(function (n) {
      if (!visible(n)) return;  // hidden nodes are restyled when shown again
      var on = !traceIds || traceIds[n.id];
      var fill = (styles[n.kind] || {}).color;
      var lit = { background: fill, border: "#000000" };
      upd.push({ id: n.id, opacity: on ? 1 : 0.15, borderWidth: traceIds && on ? 4 : 1,
                 color: { background: fill, border: traceIds && on ? "#f08c00" : fill, highlight: lit, hover: lit } });
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
  // A reach from one node (a program's trace, or what a task rests on): drawn alone as a layered
  // hierarchy, at most cfg.hierarchyMaxNodes nodes (nearest the root first), with its outline.
  var lastShown = "";
  var SMALL_TRACE = 80, MIN_READABLE_SCALE = 0.85;
  function showReach(data, root, what, csv) {
    clearNetwork();
    var all = data.vis.nodes;
    var drawn = all.slice(0, cfg.hierarchyMaxNodes);
    var keep = Object.create(null);
    drawn.forEach(function (n) { keep[n.id] = true; delete n.x; delete n.y; });
    var elist = data.vis.edges.filter(function (e) { return keep[e.from] && keep[e.to]; });
    traceIds = Object.create(null);
    traceEdges = Object.create(null);
    drawn.forEach(function (n) { traceIds[n.id] = true; });
    elist.forEach(function (e) { traceEdges[e.id] = true; });
    setHierarchy(true);
    addData(drawn, elist);
    applyTrace();
    refreshView();
    network.fit({ animation: false });
    // A small trace stays big enough to read its links' words (14 px × 0.85 ≥ 12 px on screen).
    if (drawn.length <= SMALL_TRACE && network.getScale() < MIN_READABLE_SCALE) {
      network.moveTo({ scale: MIN_READABLE_SCALE, animation: false });
    }
    var c = data.counts || {};
    lastShown = drawn.length < all.length ? "showing " + drawn.length + " of " + all.length + " nodes" : "";
    status(what + " " + (root.label || root.iri) + ": " + Object.keys(c).map(function (k) { return c[k] + " " + k; }).join(", ") +
           // Say so when the server cut the reach: a partial trace must not read as the whole of it.
           (data.truncated ? " — cut at the " + data.max_nodes + " nodes nearest it (max_trace_nodes); it reaches more" : "") +
           (lastShown ? " — " + lastShown + " (the outline lists all)" : ""));
    buildOutline(data, what + " " + (root.label || root.iri), csv);
    showDetails(root.iri);
    return data;
  }
  // The outline: the tree `policykg trace` prints, a line per node, each a link that focuses it.
  var SIGNS = { AtLeast: "≥", AtMost: "≤", Exactly: "=", MoreThan: ">", LessThan: "<", Approximately: "≈" };
  function number(v) { v = String(v); return v.indexOf(".") >= 0 ? v.replace(/0+$/, "").replace(/\.$/, "") : v; }
  function nodeLine(n) {
    var d = n.details || {};
    if (n.kind === "task") return ("task " + (d.number || "") + " " + (n.label || "")).replace(/ +/g, " ").trim() + (d.document_title ? "  (" + d.document_title + ")" : "");
    if (n.kind === "target") {
      var v = d.value !== undefined && d.value !== null ? " " + (SIGNS[d.comparator] || "") + " " + number(d.value) + (d.unit || "") : "";
      return ("target " + (d.indicator_label || n.label || "") + v.replace(/ +/g, " "));
    }
    if (n.kind === "section") return ("section " + (d.number || "") + " " + (n.label || "")).replace(/ +/g, " ").trim();
    return n.kind + " " + (n.label || n.iri);
  }
  function outlineItem(n, top) {
    var li = el("li");
    li.setAttribute("data-kind", n.kind || "");
    if (n.relation && !top) li.appendChild(el("span", "[" + n.relation + "] ", "rel"));
    var a = focusLink(nodeLine(n), n.iri);
    li.appendChild(a);
    if (n.ref) li.appendChild(el("span", "  (see above)", "rel"));
    if (n.basis === "registry") li.appendChild(el("span", "  (programme registry)", "rel"));
    var ev = n.evidence;
    if (ev && (ev.context || ev.quote)) li.appendChild(el("span", "“" + (ev.context || ev.quote) + "”", "q"));
    if (n.children && n.children.length) {
      var ul = el("ul");
      n.children.forEach(function (c) { ul.appendChild(outlineItem(c, false)); });
      li.appendChild(ul);
    }
    return li;
  }
  function buildOutline(data, title, csv) {
    $("outline-title").textContent = title;
    var c = data.counts || {};
    $("outline-counts").textContent = "reach: " + (Object.keys(c).sort().map(function (k) { return c[k] + " " + k; }).join(", ") || "nothing") +
      (data.truncated ? " (cut at " + data.max_nodes + " nodes)" : "");
    var tree = $("outline-tree");
    tree.textContent = "";
    tree.appendChild(outlineItem(data.tree, true));
    (data.partOf || []).forEach(function (p) { tree.appendChild(el("li", "(part of " + (p.label || p.iri) + ")", "cut")); });
    $("trace-csv").href = (csv.task ? "/api/explore/rests-on.csv?" : "/api/explore/trace.csv?") + new URLSearchParams(csv).toString();
    $("outline").hidden = false;
  }
  function leaveTrace() {
    traceIds = null; traceEdges = null;
    $("outline").hidden = true;
    setHierarchy(false);
    applyTrace(); refreshView();
  }
  function runTrace(name) {
    remember("trace", name);
    status("tracing…");
    return api("/api/trace", { program: name }).then(function (data) { return showReach(data, data.program, "trace", { program: name }); }).catch(fail);
  }
  function runRestsOn(task) {
    remember("rests", task);
    status("tracing…");
    return api("/api/rests-on", { task: task }).then(function (data) { return showReach(data, data.task, "rests on:", { task: task }); }).catch(fail);
  }
  $("trace-form").addEventListener("submit", function (ev) { ev.preventDefault(); var v = $("trace-input").value.trim(); if (v) runTrace(v); });
  $("trace-clear").addEventListener("click", function () { leaveTrace(); remember(null); status(""); });

  // -- filters ---------------------------------------------------------------------
  function buildLegend() {
    var lg = $("legend");
    lg.textContent = "";
    cfg.legend.forEach(function (k) {
      styles[k.kind] = k;
      var lab = el("label");
      var cb = el("input");
      cb.type = "checkbox"; cb.checked = true; cb.setAttribute("data-kind", k.kind);
      cb.addEventListener("change", function () {
        if (cb.checked) delete hiddenKinds[k.kind]; else hiddenKinds[k.kind] = true;
        refreshView(); rememberFilters();
      });
      var sw = el("i"); sw.style.background = k.color;
      lab.appendChild(cb); lab.appendChild(sw); lab.appendChild(document.createTextNode(k.name));
      lg.appendChild(lab);
    });
  }
  function buildDocs() {
    var sel = $("filter-doc");
    cfg.documents.forEach(function (d) { var o = el("option", d.title || d.iri); o.value = d.iri; sel.appendChild(o); });
    sel.addEventListener("change", function () { chooseDocument(sel.value); rememberFilters(); });
    $("filter-section").addEventListener("change", function () {
      secFilter = $("filter-section").value; refreshView(); rememberFilters();
    });
  }
  // A document chosen (by the select or the URL): its sections offered, the view filtered.
  function chooseDocument(iri) {
    $("filter-doc").value = iri;
    docFilter = iri; secFilter = "";
    var ss = $("filter-section");
    ss.textContent = ""; var all = el("option", "all"); all.value = ""; ss.appendChild(all);
    refreshView();
    if (!docFilter) return Promise.resolve();
    return api("/api/explore/sections", { document: docFilter }).then(function (data) {
      data.sections.forEach(function (s) { var o = el("option", (s.ordinal ? s.ordinal + ". " : "") + (s.label || s.iri)); o.value = s.iri; ss.appendChild(o); });
    }).catch(fail);
  }
  // The filters in the URL too (hide=kind,kind · doc=IRI · section=IRI), beside the view's one key.
  function rememberFilters() {
    var params = new URLSearchParams(window.location.search);
    var hidden = Object.keys(hiddenKinds).sort();
    if (hidden.length) params.set("hide", hidden.join(",")); else params.delete("hide");
    if (docFilter) params.set("doc", docFilter); else params.delete("doc");
    if (secFilter) params.set("section", secFilter); else params.delete("section");
    showInUrl(params);
  }
  function restoreFilters(params) {
    (params.get("hide") || "").split(",").filter(Boolean).forEach(function (kind) {
      var cb = document.querySelector('#legend input[data-kind="' + CSS.escape(kind) + '"]');
      if (cb) { cb.checked = false; hiddenKinds[kind] = true; }
    });
    var doc = params.get("doc");
    if (!doc || !cfg.documents.some(function (d) { return d.iri === doc; })) { refreshView(); return Promise.resolve(); }
    return chooseDocument(doc).then(function () {
      var section = params.get("section");
      if (section && Array.from($("filter-section").options).some(function (o) { return o.value === section; })) {
        $("filter-section").value = section; secFilter = section; refreshView();
      }
    });
  }
  $("reset").addEventListener("click", function () {
    traceIds = null; traceEdges = null; $("outline").hidden = true;
    clearNetwork(); remember(null);
    $("details").textContent = ""; status(""); showStart(true);
  });

  // -- starting points of an empty view ------------------------------------------------
  function buildStart() {
    return api("/api/explore/start", { programs: 12, documents: 30 }).then(function (s) {
      var ol = $("start-programs"), ul = $("start-documents");
      ol.textContent = ""; ul.textContent = "";
      s.programs.forEach(function (p) {
        var li = el("li");
        var a = el("a", p.label || p.iri);
        a.href = "/explore?trace=" + encodeURIComponent(p.label || p.iri);
        a.setAttribute("data-iri", p.iri);
        a.addEventListener("click", function (ev) {
          ev.preventDefault();
          $("trace-input").value = p.label || p.iri;
          runTrace(p.label || p.iri);
        });
        li.appendChild(a);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("small", p.links + " links", "links"));
        ol.appendChild(li);
      });
      s.documents.forEach(function (d) {
        var li = el("li");
        li.appendChild(focusLink(d.label || d.iri, d.iri));
        ul.appendChild(li);
      });
      if (!s.programs.length) ol.appendChild(el("li", "no program in the store yet"));
      if (!s.documents.length) ul.appendChild(el("li", "no document in the store yet"));
      showStart(!nodes.length);
    });
  }

  // -- start ---------------------------------------------------------------------------
  window.pkgExplore = {
    network: network, nodes: nodes, edges: edges, expand: expand, open: open, loadMore: loadMore,
    search: runSearch, trace: runTrace, showDetails: showDetails, focus: focusNode,
    isHierarchical: function () { return hierarchy; },
    isIdle: function () { return busy === 0; }, ready: false
  };
  api("/api/explore/config").then(function (c) {
    cfg = c;
    buildLegend();
    buildDocs();
    var params = new URLSearchParams(window.location.search);
    return restoreFilters(params).then(function () {
      if (params.get("focus")) return open(params.get("focus"));
      if (params.get("trace")) { $("trace-input").value = params.get("trace"); return runTrace(params.get("trace")); }
      if (params.get("rests")) return runRestsOn(params.get("rests"));
      if (params.get("q")) { $("search").value = params.get("q"); return runSearch(params.get("q")); }
      return buildStart();
    });
  }).then(function () { window.pkgExplore.ready = true; settle(); }).catch(function (e) {
    fail(e); window.pkgExplore.ready = true; settle();
  });
})();
