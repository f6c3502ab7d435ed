/* Alignment page: filters apply on change; the effort chart reads its data from json_script. */
(function () {
  "use strict";

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function readData(canvas) {
    var source = document.getElementById(canvas.dataset.chartSource);
    if (!source) return null;
    try {
      return JSON.parse(source.textContent);
    } catch (e) {
      return null;
    }
  }

  function effortChart(canvas, data) {
    var text = cssVar("--text-muted", "#5b6271");
    var grid = cssVar("--border", "#e4e6eb");
    var accent = cssVar("--accent", "#5451d6");
    var colors = data.labels.map(function (label, i) {
      return data.weight_share[i] === null ? cssVar("--yellow", "#b97a0a") : accent;
    });
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Share of planned effort", data: data.effort_share, backgroundColor: colors, borderRadius: 4, barPercentage: 0.9, categoryPercentage: 0.7 },
          { label: "Share of objective weight", data: data.weight_share, backgroundColor: "#c9cdd6", borderRadius: 4, barPercentage: 0.9, categoryPercentage: 0.7 }
        ]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { position: "bottom", labels: { color: text, boxWidth: 10, boxHeight: 10, usePointStyle: true } },
          tooltip: {
            backgroundColor: "#1f2230",
            padding: 10,
            cornerRadius: 6,
            callbacks: {
              label: function (ctx) {
                if (ctx.raw === null) return null;
                var line = ctx.dataset.label + ": " + ctx.raw + "%";
                if (ctx.datasetIndex === 0) line += " (" + data.person_months[ctx.dataIndex] + " person-months)";
                return line;
              }
            }
          }
        },
        scales: {
          x: { beginAtZero: true, grid: { color: grid }, ticks: { color: text, callback: function (v) { return v + "%"; } } },
          y: {
            grid: { display: false },
            ticks: {
              color: text,
              callback: function (value) {
                var label = this.getLabelForValue(value);
                return label.length > 28 ? label.slice(0, 27) + "…" : label;
              }
            }
          }
        }
      }
    });
  }

  function initCharts() {
    if (typeof window.Chart === "undefined") return;
    document.querySelectorAll("canvas[data-alignment-chart='effort']").forEach(function (canvas) {
      var data = readData(canvas);
      if (data) effortChart(canvas, data);
    });
  }

  function initFilters() {
    var form = document.querySelector("form[data-autosubmit]");
    if (!form) return;
    form.addEventListener("change", function (event) {
      if (event.target.matches("select")) form.requestSubmit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initFilters();
    initCharts();
  });
})();
