
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.tabIndex = 0;
    function key(row) { var c = row.cells[col]; return c.hasAttribute("data-sort") ? c.getAttribute("data-sort") : c.textContent.trim(); }
    function sort() {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      // A note row (a failed refresh) travels with the row before it.
      var body = table.tBodies[0], groups = [];
      Array.prototype.forEach.call(body.rows, function (r) {
        if (r.classList.contains("note") && groups.length) { groups[groups.length - 1].push(r); } else { groups.push([r]); }
      });
      groups.sort(function (ga, gb) {
        var x = key(ga[0]), y = key(gb[0]), nx = parseFloat(x), ny = parseFloat(y);
        if (isNaN(nx) !== isNaN(ny)) { return isNaN(nx) ? 1 : -1; }
        var d = isNaN(nx) ? x.localeCompare(y) : nx - ny;
        return asc ? d : -d;
      });
      groups.forEach(function (g) { g.forEach(function (r) { body.appendChild(r); }); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sort(); } });
  });
});
