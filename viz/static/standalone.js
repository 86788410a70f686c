(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("pkg-data").textContent);
  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = String(text); if (cls) e.className = cls; return e; }
  document.getElementById("title").textContent = data.title;
  document.getElementById("stats").textContent = data.nodes.length + " nodes, " + data.edges.length + " edges" +
    (data.omitted ? " (" + data.omitted + " more not drawn)" : "");
  var lg = document.getElementById("legend");
  data.legend.forEach(function (k) { var s = el("span"); var i = el("i"); i.style.background = k.color; s.appendChild(i); s.appendChild(document.createTextNode(k.name)); lg.appendChild(s); });
  var nodes = new vis.DataSet(data.nodes), edges = new vis.DataSet(data.edges);
  var network = new vis.Network(document.getElementById("net"), { nodes: nodes, edges: edges }, data.options);
  var panel = document.getElementById("panel");
  function show(title, rows, quote, iri) {
    panel.textContent = "";
    panel.appendChild(el("h3", title));
    if (iri) panel.appendChild(el("div", iri, "iri"));
    rows.forEach(function (r) { if (r[1]) { var p = el("p"); p.appendChild(el("b", r[0] + ": ")); p.appendChild(document.createTextNode(r[1])); panel.appendChild(p); } });
    if (quote) panel.appendChild(el("p", "“" + quote + "”", "quote"));
  }
  network.on("click", function (params) {
    if (params.nodes.length) {
      var n = nodes.get(params.nodes[0]);
      show(n.fullLabel || n.label, [["kind", n.kind], ["documents", (n.documents || []).join(" ")]], n.quote, n.id);
    } else if (params.edges.length) {
      var e = edges.get(params.edges[0]);
      var a = nodes.get(e.from), b = nodes.get(e.to);
      show(e.kind, [["from", a && (a.fullLabel || a.label)], ["to", b && (b.fullLabel || b.label)]], e.quote, null);
    }
  });
  network.once("afterDrawing", function () { window.__pkgDrawn = true; });
  window.pkgNetwork = network;
})();
