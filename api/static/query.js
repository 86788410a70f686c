// The query page: run SPARQL against /sparql and show the results as a table.
// All values are inserted with textContent, never as HTML.
(function () {
  "use strict";
  const form = document.getElementById("query-form");
  const textarea = document.getElementById("query");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const share = document.getElementById("share");
  const download = document.getElementById("download");

  function shareUrl() {
    return location.origin + "/query?query=" + encodeURIComponent(textarea.value);
  }
  function updateShare() { share.href = shareUrl(); }
  function setStatus(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
  }
  function localHref(value) {
    // instance IRIs open their local page when the server knows the base; other IRIs are
    // links only when they are http(s): a result may hold any IRI (IRI("javascript:…")
    // in a shared query link), and a javascript: or data: one must stay text
    const base = document.body.dataset.base;
    if (base && value.startsWith(base)) return "/id/" + value.slice(base.length);
    return /^https?:\/\//i.test(value) ? value : null;
  }
  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    const href = term.type === "uri" ? localHref(term.value) : null;
    if (href !== null) {
      const a = document.createElement("a");
      a.href = href;
      a.textContent = term.value;
      td.appendChild(a);
    } else if (term.type === "uri") {
      td.textContent = term.value;
    } else {
      td.textContent = term.type === "bnode" ? "_:" + term.value : term.value;
    }
    return td;
  }
  async function run(event) {
    if (event) event.preventDefault();
    updateShare();
    history.replaceState(null, "", shareUrl());
    setStatus("running…");
    results.textContent = "";
    const started = performance.now();
    let response;
    try {
      response = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/sparql-results+json, text/turtle;q=0.9" },
        body: new URLSearchParams({ query: textarea.value }),
      });
    } catch (err) { setStatus("network error: " + err, true); return; }
    const ms = Math.round(performance.now() - started);
    const ctype = response.headers.get("content-type") || "";
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try { const e = await response.json(); message = e.error.message + (e.error.hint ? " — " + e.error.hint : ""); }
      catch (_) { /* not JSON */ }
      setStatus(message, true);
      return;
    }
    const truncated = response.headers.get("X-PolicyKG-Truncated") === "true";
    if (ctype.startsWith("application/sparql-results+json")) {
      const data = await response.json();
      if ("boolean" in data) { setStatus("answer: " + data.boolean + " (" + ms + " ms)"); return; }
      const vars = data.head.vars;
      const table = document.createElement("table");
      const head = table.createTHead().insertRow();
      vars.forEach(v => { const th = document.createElement("th"); th.textContent = "?" + v; head.appendChild(th); });
      const body = table.createTBody();
      data.results.bindings.forEach(b => {
        const tr = body.insertRow();
        vars.forEach(v => tr.appendChild(cell(b[v])));
      });
      results.appendChild(table);
      setStatus(data.results.bindings.length + " rows (" + ms + " ms)");
      if (truncated) {
        const p = document.createElement("p");
        p.className = "truncated";
        p.textContent = "Truncated: the server returns at most " +
          response.headers.get("X-PolicyKG-Max-Rows") + " rows. Add LIMIT/OFFSET to page.";
        results.prepend(p);
      }
    } else {
      const pre = document.createElement("pre");
      pre.textContent = await response.text();
      results.appendChild(pre);
      setStatus("graph (" + ms + " ms)" + (truncated ? " — truncated" : ""));
    }
  }
  async function downloadCsv(event) {
    event.preventDefault();
    const response = await fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/csv" },
      body: new URLSearchParams({ query: textarea.value }),
    });
    if (!response.ok) { setStatus("CSV: " + response.status, true); return; }
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement("a");
    a.href = url; a.download = "results.csv"; a.click();
    URL.revokeObjectURL(url);
  }
  document.querySelectorAll("button.example").forEach(b => b.addEventListener("click", () => {
    textarea.value = b.dataset.query; updateShare();
  }));
  textarea.addEventListener("input", updateShare);
  textarea.addEventListener("keydown", e => { if ((e.ctrlKey || e.metaKey) && e.key === "Enter") run(e); });
  form.addEventListener("submit", run);
  download.addEventListener("click", downloadCsv);
  updateShare();
  if (new URLSearchParams(location.search).has("query")) run();
})();
