(function () {
  var table = document.getElementById('leaderboard');
  var data = JSON.parse(document.getElementById('sweep-data').textContent);
  var body = table.tBodies[0];
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    var type = th.getAttribute('data-type');
    if (type === 'none') return;
    th.addEventListener('click', function () {
      var ascending = th.getAttribute('data-order') !== 'asc';
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute('data-order'); });
      th.setAttribute('data-order', ascending ? 'asc' : 'desc');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col];
        var xv = x.getAttribute('data-value'), yv = y.getAttribute('data-value');
        var c;
        if (xv !== null && yv !== null && type !== 'text') {
          if (xv === '' && yv === '') c = 0; else if (xv === '') return 1; else if (yv === '') return -1;
          else c = parseFloat(xv) - parseFloat(yv);
        } else {
          c = x.textContent.localeCompare(y.textContent);
        }
        return ascending ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  var colours = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];
  var ns = 'http://www.w3.org/2000/svg';
  function el(name, attrs, text) {
    var e = document.createElementNS(ns, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function chart(key, picked) {
    var w = 520, h = 260, m = 40;
    var svg = el('svg', {viewBox: '0 0 ' + w + ' ' + h, width: w, height: h, 'class': 'compare-chart', 'data-metric': key});
    var xs = [], ys = [];
    picked.forEach(function (n) { data.trials[n].curves[key].forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    svg.appendChild(el('text', {x: w / 2, y: 14, 'text-anchor': 'middle', 'font-size': 12}, key));
    if (!xs.length) { svg.appendChild(el('text', {x: w / 2, y: h / 2, 'text-anchor': 'middle'}, 'no epochs yet')); return svg; }
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (x1 === x0) x1 = x0 + 1; if (y1 === y0) y1 = y0 + 1;
    function sx(x) { return m + (x - x0) / (x1 - x0) * (w - 2 * m); }
    function sy(y) { return h - m + (y0 - y) / (y1 - y0) * (h - 2 * m); }
    svg.appendChild(el('line', {x1: m, y1: h - m, x2: w - m, y2: h - m, stroke: '#999'}));
    svg.appendChild(el('line', {x1: m, y1: m, x2: m, y2: h - m, stroke: '#999'}));
    svg.appendChild(el('text', {x: m, y: h - m + 14, 'font-size': 10}, String(x0)));
    svg.appendChild(el('text', {x: w - m, y: h - m + 14, 'font-size': 10, 'text-anchor': 'end'}, String(x1) + ' epochs'));
    svg.appendChild(el('text', {x: 2, y: m, 'font-size': 10}, y1.toPrecision(3)));
    svg.appendChild(el('text', {x: 2, y: h - m, 'font-size': 10}, y0.toPrecision(3)));
    picked.forEach(function (n, i) {
      var pts = data.trials[n].curves[key].map(function (p) { return sx(p[0]).toFixed(1) + ',' + sy(p[1]).toFixed(1); }).join(' ');
      var colour = colours[i % colours.length];
      svg.appendChild(el('polyline', {points: pts, fill: 'none', stroke: colour, 'stroke-width': 1.5, 'data-trial': n}));
      if (data.trials[n].curves[key].length === 1) {
        var p = data.trials[n].curves[key][0];
        svg.appendChild(el('circle', {cx: sx(p[0]), cy: sy(p[1]), r: 3, fill: colour}));
      }
      svg.appendChild(el('text', {x: w - m + 4, y: m + 12 * i, 'font-size': 10, fill: colour}, 'trial ' + n));
    });
    return svg;
  }
  function params(picked) {
    var t = document.getElementById('compare-params');
    t.textContent = '';
    if (!picked.length) return;
    var names = {};
    picked.forEach(function (n) { Object.keys(data.trials[n].params).forEach(function (k) { names[k] = true; }); });
    var head = t.insertRow();
    head.insertCell().textContent = 'parameter';
    picked.forEach(function (n) { head.insertCell().textContent = 'trial ' + n; });
    var best = t.insertRow();
    best.insertCell().textContent = data.metric;
    picked.forEach(function (n) { var b = data.trials[n].best; best.insertCell().textContent = b === null ? '-' : b.toFixed(4); });
    Object.keys(names).sort().forEach(function (k) {
      var r = t.insertRow();
      r.insertCell().textContent = k;
      picked.forEach(function (n) { var v = data.trials[n].params[k]; r.insertCell().textContent = v === undefined ? '' : String(v); });
    });
  }
  function update() {
    var picked = Array.prototype.filter.call(document.querySelectorAll('input.pick'), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
    var box = document.getElementById('compare-charts');
    box.textContent = '';
    if (picked.length) {
      data.curves.forEach(function (k) { box.appendChild(chart(k, picked)); });
    }
    document.getElementById('compare-hint').style.display = picked.length ? 'none' : '';
    params(picked);
  }
  Array.prototype.forEach.call(document.querySelectorAll('input.pick'), function (c) { c.addEventListener('change', update); });
})();
