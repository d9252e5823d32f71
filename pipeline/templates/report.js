(function () {
  "use strict";
  var table = document.getElementById("changes"), body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var fType = document.getElementById("f-type"), fUnit = document.getElementById("f-unit");
  var fText = document.getElementById("f-text"), shown = document.getElementById("shown");
  rows.forEach(function (r, i) { r.dataset.i = i; });

  // Sort keys are the cells' data-v ("" is a blank); blanks stay last in both directions
  // and ties keep the report's order, so a sort never scatters blanks between numbers.
  function compare(x, y) {
    var nx = Number(x), ny = Number(y);
    if (!isNaN(nx) && !isNaN(ny)) return nx - ny;
    return x.localeCompare(y, "zh-Hans-CN");
  }
  function sortBy(th) {
    var col = th.cellIndex, dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    rows.slice().sort(function (a, b) {
      var x = a.cells[col].getAttribute("data-v"), y = b.cells[col].getAttribute("data-v");
      if (x === "" || y === "") return (x === "") - (y === "") || a.dataset.i - b.dataset.i;
      return dir * compare(x, y) || a.dataset.i - b.dataset.i;
    }).forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.addEventListener("click", function () { sortBy(th); });
  });

  function apply() {
    var t = fType.value, u = fUnit.value, q = fText.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var ok = (!t || r.dataset.type === t)
        && (!u || JSON.parse(r.dataset.units).indexOf(u) >= 0)
        && (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) n += 1;
    });
    shown.textContent = n + " of " + rows.length + " changes shown";
  }
  fType.addEventListener("change", apply);
  fUnit.addEventListener("change", apply);
  fText.addEventListener("input", apply);
  document.getElementById("f-reset").addEventListener("click", function () {
    fType.value = ""; fUnit.value = ""; fText.value = ""; apply();
  });
  Array.prototype.forEach.call(document.querySelectorAll("#summary tbody tr"), function (tr) {
    tr.addEventListener("click", function () { fType.value = tr.dataset.type; apply(); });
  });
  // a printout shows every task's units, not the folded "N units"
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("#changes details"), function (d) { d.open = true; });
  });
})();
