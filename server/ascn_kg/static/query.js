// Query editor niceties: Ctrl/Cmd+Enter runs the query, Tab indents. The form works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var area = document.getElementById("query"), form = document.getElementById("query-form");
    if (!area || !form) { return; }
    area.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.submit(); }
      else if (e.key === "Tab" && !e.shiftKey) {
        e.preventDefault();
        var s = area.selectionStart, end = area.selectionEnd;
        area.value = area.value.slice(0, s) + "  " + area.value.slice(end);
        area.selectionStart = area.selectionEnd = s + 2;
      }
    });
  });
})();
