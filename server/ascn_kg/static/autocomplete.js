// Autocomplete for search boxes (progressive enhancement: without it the forms still submit to /search).
(function () {
  "use strict";
  function setup(input) {
    var endpoint = input.getAttribute("data-autocomplete");
    var lang = input.getAttribute("data-lang") || "en";
    var list = document.createElement("ul");
    var listId = input.id + "-suggestions";
    var items = [], active = -1, timer = null, seq = 0;
    list.id = listId; list.className = "suggestions"; list.setAttribute("role", "listbox"); list.hidden = true;
    input.setAttribute("role", "combobox"); input.setAttribute("aria-controls", listId); input.setAttribute("aria-expanded", "false");
    input.parentNode.appendChild(list);

    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }
    function select(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      if (i >= 0 && list.children[i]) { input.setAttribute("aria-activedescendant", list.children[i].id); }
    }
    function go(item) { if (item && item.url) { window.location.assign(item.url); } }
    function show(results) {
      items = results; list.textContent = "";
      results.forEach(function (r, i) {
        var li = document.createElement("li"), name = document.createElement("span"), kind = document.createElement("span");
        li.id = listId + "-" + i; li.setAttribute("role", "option");
        name.textContent = r.label; kind.className = "kind"; kind.textContent = r.kind_label;
        li.appendChild(name); li.appendChild(kind);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); go(r); });
        list.appendChild(li);
      });
      list.hidden = results.length === 0; input.setAttribute("aria-expanded", results.length ? "true" : "false"); select(-1);
    }
    function fetchNow() {
      var q = input.value.trim(), mine = ++seq;
      if (!q) { close(); return; }
      fetch(endpoint + "?limit=8&lang=" + encodeURIComponent(lang) + "&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (mine === seq) { show(data.results || []); } })
        .catch(function () { close(); });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(fetchNow, 120); });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) { return; }
      if (e.key === "ArrowDown") { e.preventDefault(); select(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); select(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); go(items[active]); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-autocomplete]"), setup);
  });
})();
