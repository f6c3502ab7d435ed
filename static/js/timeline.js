/* Priority's timeline: drag a bar to move it, drag one of its ends to stretch it.
 *
 * Progressive enhancement over the server-rendered table: without this file
 * the plan is still a table. Pointer events (mouse, pen, touch) and the
 * keyboard (a focused bar: ← → move it, Shift+← → move its end) propose new
 * quarters; the server saves them through its services and answers with the
 * timeline redrawn (capacity included), or with why not (409 someone else
 * changed it, 422 not a plan).
 */
(function () {
  "use strict";

  var drag = null;
  var refocus = null;

  function index(quarter) {
    var m = /^(\d{4})-Q([1-4])$/.exec(quarter || "");
    return m ? Number(m[1]) * 4 + Number(m[2]) - 1 : null;
  }

  function label(i) {
    var year = String(Math.floor(i / 4));
    while (year.length < 4) year = "0" + year;
    return year + "-Q" + ((i % 4) + 1);
  }

  function headers(bar) {
    var grid = bar.closest("[data-plan-grid]");
    return grid ? Array.prototype.slice.call(grid.querySelectorAll("thead th[data-quarter]")) : [];
  }

  function columnAt(cells, x) {
    for (var i = 0; i < cells.length; i++) {
      var r = cells[i].getBoundingClientRect();
      if (x >= r.left && x < r.right) return i;
    }
    return -1;
  }

  function proposal(d, delta, x) {
    if (d.unscheduled) {
      var col = columnAt(d.cells, x);
      if (col < 0) return null;
      var q = index(d.cells[col].dataset.quarter);
      return { start: q, end: q };
    }
    if (d.mode === "move") return { start: d.start + delta, end: d.end + delta };
    if (d.mode === "end") return { start: d.start, end: Math.max(d.start, d.end + delta) };
    return { start: Math.min(d.end, d.start + delta), end: d.end };
  }

  function mark(d, plan) {
    d.cells.forEach(function (cell) {
      var q = index(cell.dataset.quarter);
      cell.classList.toggle("is-target", !!plan && q >= plan.start && q <= plan.end);
    });
  }

  function save(bar, plan) {
    var root = bar.closest("#timeline");
    if (!root || !window.htmx) return;
    refocus = bar.dataset.pk;
    var query = root.dataset.planQuery;
    window.htmx.ajax("POST", bar.dataset.url + (query ? "?" + query : ""), {
      source: bar,
      target: "#timeline",
      swap: "outerHTML",
      values: {
        start_quarter: plan ? label(plan.start) : "",
        end_quarter: plan ? label(plan.end) : "",
        version: bar.dataset.version
      }
    });
  }

  function onPointerDown(event) {
    var bar = event.target.closest("[data-plan-editable] [data-bar]");
    if (!bar || event.button !== 0) return;
    var cells = headers(bar);
    if (!cells.length) return;
    var handle = event.target.closest("[data-handle]");
    drag = {
      bar: bar,
      cells: cells,
      mode: handle ? handle.dataset.handle : "move",
      unscheduled: !bar.dataset.start,
      start: index(bar.dataset.start),
      end: index(bar.dataset.end),
      x: event.clientX,
      y: event.clientY,
      width: cells[0].getBoundingClientRect().width,
      barWidth: bar.getBoundingClientRect().width,
      moved: false,
      plan: null
    };
    bar.setPointerCapture(event.pointerId);
    event.preventDefault();
  }

  function onPointerMove(event) {
    if (!drag) return;
    var dx = event.clientX - drag.x;
    if (!drag.moved && Math.abs(dx) < 4 && Math.abs(event.clientY - drag.y) < 4) return;
    drag.moved = true;
    drag.bar.classList.add("is-dragging");
    var delta = Math.round(dx / drag.width);
    var snapped = delta * drag.width;
    if (drag.unscheduled) {
      drag.bar.style.transform = "translate(" + dx + "px, " + (event.clientY - drag.y) + "px)";
    } else if (drag.mode === "move") {
      drag.bar.style.transform = "translateX(" + snapped + "px)";
    } else if (drag.mode === "end") {
      drag.bar.style.width = Math.max(drag.width - 6, drag.barWidth + snapped) + "px";
    } else {
      var width = Math.max(drag.width - 6, drag.barWidth - snapped);
      drag.bar.style.width = width + "px";
      drag.bar.style.transform = "translateX(" + (drag.barWidth - width) + "px)";
    }
    drag.plan = proposal(drag, delta, event.clientX);
    mark(drag, drag.plan);
  }

  function onPointerUp(event) {
    if (!drag) return;
    var d = drag;
    drag = null;
    mark(d, null);
    d.bar.classList.remove("is-dragging");
    if (!d.moved) return;
    var plan = proposal(d, Math.round((event.clientX - d.x) / d.width), event.clientX);
    var same = plan && plan.start === d.start && plan.end === d.end;
    if (!plan || same || event.type === "pointercancel") {
      d.bar.style.transform = "";
      d.bar.style.width = "";
      return;
    }
    save(d.bar, plan);
  }

  function onKeyDown(event) {
    var bar = event.target.closest("[data-plan-editable] [data-bar]");
    if (!bar || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
    var step = event.key === "ArrowLeft" ? -1 : 1;
    var start = index(bar.dataset.start);
    var end = index(bar.dataset.end);
    var plan;
    if (start === null) {
      var first = headers(bar)[0];
      if (!first) return;
      start = end = index(first.dataset.quarter);
      plan = { start: start, end: end };
    } else if (event.shiftKey) {
      plan = { start: start, end: Math.max(start, end + step) };
    } else {
      plan = { start: start + step, end: end + step };
    }
    event.preventDefault();
    if (plan.start === index(bar.dataset.start) && plan.end === index(bar.dataset.end)) return;
    save(bar, plan);
  }

  function onSwapped() {
    if (!refocus) return;
    var bar = document.querySelector('#timeline [data-bar][data-pk="' + refocus + '"]');
    refocus = null;
    if (bar) bar.focus();
  }

  document.addEventListener("pointerdown", onPointerDown);
  document.addEventListener("pointermove", onPointerMove);
  document.addEventListener("pointerup", onPointerUp);
  document.addEventListener("pointercancel", onPointerUp);
  document.addEventListener("keydown", onKeyDown);
  document.addEventListener("htmx:afterSettle", onSwapped);
})();
