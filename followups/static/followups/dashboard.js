// Draws the dashboard's charts from the JSON the page embeds (id "dashboard-data").
// Every label and tooltip arrives formatted in the page's language; this file only draws, so it
// works under the admin's Content-Security-Policy (script-src 'self', no inline script).
"use strict";

(function () {
  const source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const lang = document.documentElement.lang || undefined;
  const numbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  // Distinguishable in colour and in dash pattern, so the lines read apart without colour too.
  const styles = [
    { color: "#264b5d", dash: [] },
    { color: "#d1495b", dash: [6, 3] },
    { color: "#edae49", dash: [2, 2] },
    { color: "#00798c", dash: [10, 4, 2, 4] },
  ];

  function draw(canvasId, chart, type) {
    const canvas = document.getElementById(canvasId);
    if (!canvas || !chart) {
      return;
    }
    const datasets = chart.datasets.map(function (dataset, index) {
      const style = styles[index % styles.length];
      return {
        label: dataset.label,
        data: dataset.data,
        yAxisID: dataset.yAxisID || "y",
        tooltips: dataset.tooltips,
        borderColor: style.color,
        backgroundColor: type === "bar" ? style.color + "cc" : style.color,
        borderDash: style.dash,
        spanGaps: true,
        tension: 0.2,
        pointRadius: 3,
      };
    });
    const scales = {};
    Object.keys(chart.axes).forEach(function (axis) {
      const spec = chart.axes[axis];
      scales[axis] = {
        min: spec.min,
        max: spec.max,
        position: spec.position || "left",
        title: { display: true, text: spec.title },
        grid: { drawOnChartArea: axis === "y" },
        ticks: { callback: function (value) { return numbers.format(value); } },
      };
    });
    // eslint-disable-next-line no-new
    new Chart(canvas, {
      type: type,
      data: { labels: chart.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        // Figures, not a show: drawn at once (also for reduced-motion users and for screenshots).
        animation: false,
        locale: lang,
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 14 } },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.tooltips[item.dataIndex];
              },
            },
          },
        },
      },
    });
  }

  draw("chart-nps", data.nps, "line");
  draw("chart-scores", data.scores, "line");
  draw("chart-rate", data.rate, "bar");
})();
