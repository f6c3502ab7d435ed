/* Priority: progressive enhancement for the server-rendered pages.
 *
 * No inline scripts anywhere: behaviour hangs off data-attributes, and every
 * initialiser runs on page load and again on content htmx swaps in.
 */
(function () {
  "use strict";

  var charts = new WeakMap();

  // Styles that fold the navigation into a menu apply only when this runs.
  document.documentElement.classList.add("js");

  function qsa(root, selector) {
    var found = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) found.unshift(root);
    return found;
  }

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  /* --- Board: drag a card to another lane ------------------------------- */

  function boardValues(values) {
    var filters = document.getElementById("board-filters");
    if (!filters) return values;
    new FormData(filters).forEach(function (value, key) { if (!(key in values)) values[key] = value; });
    return values;
  }

  function initBoard(root) {
    if (typeof window.Sortable === "undefined" || typeof window.htmx === "undefined") return;
    qsa(root, "[data-board][data-editable] .lane-list").forEach(function (list) {
      if (list.dataset.sortableReady) return;
      list.dataset.sortableReady = "1";
      window.Sortable.create(list, {
        group: "board",
        animation: 150,
        // Sortable's own pointer-driven drag: the same feel in every browser, and it
        // follows plain mouse events (HTML5 drag-and-drop does not fire for them everywhere).
        forceFallback: true,
        fallbackOnBody: true,
        fallbackTolerance: 3,
        draggable: "[data-card]",
        filter: "select, button, input, label",
        preventOnFilter: false,
        ghostClass: "is-ghost",
        chosenClass: "is-chosen",
        dragClass: "is-dragging",
        onEnd: function (evt) {
          if (evt.from === evt.to) return;
          var card = evt.item;
          window.htmx.ajax("POST", card.dataset.moveUrl, {
            source: card,
            target: "#board",
            swap: "outerHTML",
            // The board comes back filtered as it is shown.
            values: boardValues({ lane: evt.to.dataset.lane, version: card.dataset.version })
          });
        }
      });
    });
  }

  /* --- Small screens: the navigation menu -------------------------------- */

  function setNavOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.closest(".sidebar").classList.toggle("nav-open", open);
  }

  function onNavToggle(event) {
    var button = event.target.closest("[data-nav-toggle]");
    if (!button) return;
    setNavOpen(button, button.getAttribute("aria-expanded") !== "true");
  }

  function onNavEscape(event) {
    if (event.key !== "Escape") return;
    var button = document.querySelector("[data-nav-toggle][aria-expanded='true']");
    if (!button) return;
    setNavOpen(button, false);
    button.focus();
  }

  /* --- Save view: the filters as the address bar has them now ------------ */

  function onSaveView(event) {
    var form = event.target.closest("[data-save-view]");
    if (!form) return;
    form.elements.query.value = window.location.search.replace(/^\?/, "");
  }

  /* --- Priority table: "Why #3?" breakdown rows -------------------------- */

  function onToggleBreakdown(event) {
    var button = event.target.closest("[data-toggle-breakdown]");
    if (!button) return;
    var row = document.getElementById(button.getAttribute("aria-controls"));
    if (!row) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    row.hidden = !open;
    if (open) {
      var slot = row.querySelector(".breakdown-slot");
      if (slot && window.htmx) window.htmx.trigger(slot, "breakdown-open");
    }
  }

  /* --- Inbox: select all + selected count -------------------------------- */

  function updateSelectedCount() {
    var boxes = document.querySelectorAll("[data-select]");
    var checked = document.querySelectorAll("[data-select]:checked").length;
    document.querySelectorAll("[data-selected-count]").forEach(function (el) {
      el.textContent = checked + " selected";
    });
    document.querySelectorAll("[data-select-all]").forEach(function (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    });
  }

  function onSelectChange(event) {
    var all = event.target.closest("[data-select-all]");
    if (all) {
      document.querySelectorAll('[data-select="' + all.dataset.selectAll + '"]').forEach(function (box) {
        box.checked = all.checked;
      });
    }
    if (all || event.target.closest("[data-select]")) updateSelectedCount();
  }

  /* --- Charts (Chart.js), data from json_script --------------------------- */

  function readData(canvas) {
    var source = document.getElementById(canvas.dataset.chartSource);
    if (!source) return null;
    try {
      return JSON.parse(source.textContent);
    } catch (e) {
      return null;
    }
  }

  function baseOptions() {
    var grid = cssVar("--border", "#e6e6ea");
    var text = cssVar("--text-muted", "#6b6f7b");
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { labels: { color: text, boxWidth: 10, boxHeight: 10, usePointStyle: true } },
        tooltip: { backgroundColor: "#1f2230", padding: 10, cornerRadius: 6 }
      },
      scales: {
        x: { grid: { display: false }, ticks: { color: text, maxRotation: 0, autoSkip: true, maxTicksLimit: 6 } },
        y: { grid: { color: grid }, ticks: { color: text } }
      }
    };
  }

  function historyChart(canvas, data) {
    // A real time axis (x in epoch milliseconds, spaced by time) and steps:
    // a score holds from one rescore to the next, so it is drawn flat, then moves.
    var accent = cssVar("--accent", "#5b5bd6");
    var options = baseOptions();
    var points = data.points || [];
    var now = Date.now();
    var last = points[points.length - 1];
    var priority = points.map(function (p) { return { x: p.t, y: p.priority }; });
    var rank = points.map(function (p) { return { x: p.t, y: p.rank }; });
    if (last && now > last.t) {  // the current value holds until now
      priority.push({ x: now, y: last.priority });
      rank.push({ x: now, y: last.rank });
    }
    var span = points.length ? Math.max(now, last.t) - points[0].t : 0;
    // Labels as fine as the span needs to tell ticks apart: seconds under ten
    // minutes, the time of day under two days, else the date.
    var day = span < 2 * 86400000
      ? new Intl.DateTimeFormat(undefined, span < 600000
        ? { hour: "2-digit", minute: "2-digit", second: "2-digit" }
        : { hour: "2-digit", minute: "2-digit" })
      : new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
    var full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
    options.scales.x = {
      type: "linear",
      min: points.length ? points[0].t : undefined,
      max: points.length ? Math.max(now, last.t) : undefined,
      grid: { display: false },
      ticks: {
        color: options.scales.y.ticks.color, maxRotation: 0, autoSkip: true, maxTicksLimit: 6,
        callback: function (value) { return day.format(new Date(value)); }
      },
      // Ticks closer than the labels' unit would repeat a label: keep the first of each.
      afterBuildTicks: function (axis) {
        var seen = {};
        axis.ticks = axis.ticks.filter(function (tick) {
          var label = day.format(new Date(tick.value));
          if (seen[label]) { return false; }
          seen[label] = true;
          return true;
        });
      }
    };
    options.plugins.tooltip.callbacks = {
      title: function (items) { return items.length ? full.format(new Date(items[0].parsed.x)) : ""; }
    };
    options.interaction = { mode: "nearest", axis: "x", intersect: false };
    options.scales.rank = {
      position: "right",
      reverse: true,
      grid: { display: false },
      min: 1,  // no rank 0: #1 is the top of the axis
      ticks: { color: options.scales.y.ticks.color, precision: 0 },
      title: { display: true, text: "Rank", color: options.scales.y.ticks.color }
    };
    options.scales.y.title = { display: true, text: "Priority", color: options.scales.y.ticks.color };
    return new window.Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          { label: "Priority", data: priority, borderColor: accent, backgroundColor: accent, stepped: "before", tension: 0, pointRadius: points.length < 30 ? 3 : 0, yAxisID: "y" },
          { label: "Rank", data: rank, borderColor: "#9aa0ae", backgroundColor: "#9aa0ae", borderDash: [4, 4], stepped: "before", tension: 0, pointRadius: 0, yAxisID: "rank" }
        ]
      },
      options: options
    });
  }

  function trendChart(canvas, data) {
    var accent = cssVar("--accent", "#5b5bd6");
    var options = baseOptions();
    options.plugins.legend.display = false;
    var target = data.labels.map(function () { return data.target; });
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.series + (data.unit ? " (" + data.unit + ")" : ""), data: data.values, borderColor: accent, backgroundColor: accent, tension: 0.25, pointRadius: data.labels.length < 3 ? 4 : 2, fill: false },
          { label: "Target", data: target, borderColor: cssVar("--green", "#1f9d6b"), borderDash: [5, 4], pointRadius: 0, borderWidth: 1.5 }
        ]
      },
      options: options
    });
  }

  function initCharts(root) {
    if (typeof window.Chart === "undefined") return;
    qsa(root, "canvas[data-chart]").forEach(function (canvas) {
      if (charts.has(canvas)) return;
      var data = readData(canvas);
      if (!data) return;
      var chart = canvas.dataset.chart === "history" ? historyChart(canvas, data) : trendChart(canvas, data);
      charts.set(canvas, chart);
    });
  }

  /* --- Flash messages fade, table rows flash after save ------------------- */

  function initFlashes(root) {
    qsa(root, ".flash-stack .flash").forEach(function (flash) {
      if (flash.dataset.timed) return;
      flash.dataset.timed = "1";
      window.setTimeout(function () { flash.classList.add("is-fading"); }, 6000);
    });
  }

  function init(root) {
    initBoard(root);
    initCharts(root);
    initFlashes(root);
    updateSelectedCount();
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
  document.addEventListener("click", onToggleBreakdown);
  document.addEventListener("click", onNavToggle);
  document.addEventListener("submit", onSaveView);
  document.addEventListener("keydown", onNavEscape);
  document.addEventListener("change", onSelectChange);
})();
