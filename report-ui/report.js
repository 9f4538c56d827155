// The page of report.html: reads the embedded run data, builds the summary and step lists,
// and draws each scenario's operations on a canvas (no DOM node per operation), with
// zoom (wheel), pan (drag), reset (double click) and a tooltip on hover.
// window.__phantomReport exposes what was drawn, for tests and the benchmark.
'use strict';
(() => {
  const OUTCOMES = ['ok', 'fail', 'info', 'pending'];
  const COLORS = { ok: '#2f9e44', fail: '#e03131', info: '#f08c00', pending: '#868e96', passed: '#2f9e44', failed: '#e03131', error: '#f08c00', skipped: '#ced4da', interrupted: '#f08c00', inconclusive: '#f08c00' };
  const BANDS = { down: 'rgba(224,49,49,.16)', paused: 'rgba(240,140,0,.20)', restart: 'rgba(112,72,232,.18)', cut: 'rgba(134,46,156,.16)', slow: 'rgba(25,113,194,.16)', disk: 'rgba(92,64,51,.18)', clock: 'rgba(8,127,91,.16)' };
  const BAND_EDGE = { down: '#e03131', paused: '#f08c00', restart: '#7048e8', cut: '#862e9c', slow: '#1971c2', disk: '#5c4033', clock: '#087f5b' };
  const BAND_LABEL = { down: 'node down (kill/stop)', paused: 'node paused', restart: 'restarting', cut: 'partitioned (until heal)', slow: 'slow link (latency/bandwidth, until heal)', disk: 'disk full', clock: 'clock changed' };
  /** Above this many visible operations the timeline draws a density per pixel column. */
  const EACH_MARK_LIMIT = 30000;
  const ROW_H = 20; const AXIS_H = 22; const GUTTER = 96;

  const hook = window.__phantomReport = { ready: false, marksDrawn: 0, timelines: [], errors: [], firstPaintMs: null };

  /** Element builder: text always goes through textContent, never HTML. */
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat(Infinity)) if (kid !== null && kid !== undefined && kid !== false) e.append(kid instanceof Node ? kid : String(kid));
    return e;
  }
  const badge = (v) => el('span', { class: `badge ${v}` }, v);
  const ms = (v) => (v === null || v === undefined ? '–' : v >= 10000 ? `${(v / 1000).toFixed(1)} s` : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v * 10) / 10} ms`);
  const shellQuote = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const json = (v, max = 4000) => { const s = JSON.stringify(v, null, 2); return s.length > max ? `${s.slice(0, max)}\n…` : s; };

  function replayCommand(j) {
    const out = [];
    const argv = j.argv || [];
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--seed') { i++; continue; }
      if (argv[i].startsWith('--seed=')) continue;
      out.push(argv[i]);
    }
    if (!out.length) out.push('run', ...(j.files || []));
    out.push('--seed', String(j.seed));
    return `phantom-test ${out.map(shellQuote).join(' ')}`;
  }

  // ---- operations: decode the gzip-compressed columns ----
  async function decodeOps(i, meta) {
    const node = document.getElementById(`ops-${i}`);
    if (!node || !meta || !meta.count) return null;
    const text = node.textContent;
    const bin = atob(text);
    const bytes = new Uint8Array(bin.length);
    for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    const buf = await new Response(stream).arrayBuffer();
    const n = meta.count;
    let off = 0;
    const take = (T) => { const a = new T(buf, off, n); off += n * T.BYTES_PER_ELEMENT; return a; };
    return { n, start: take(Float32Array), end: take(Float32Array), index: take(Int32Array), lane: take(Uint16Array), step: take(Uint16Array), error: take(Uint16Array), outcome: take(Uint8Array), f: take(Uint8Array) };
  }

  /** First position in sorted `a` whose value is >= v. */
  function lowerBound(a, v, lo = 0, hi = a.length) {
    while (lo < hi) { const m = (lo + hi) >>> 1; if (a[m] < v) lo = m + 1; else hi = m; }
    return lo;
  }

  // ---- the timeline of one scenario ----
  class Timeline {
    constructor(index, scenario, meta, ops, canvas, chart) {
      this.i = index; this.s = scenario; this.meta = meta; this.ops = ops; this.canvas = canvas; this.chart = chart;
      this.highlight = null;
      const wall0 = meta ? meta.wall0_ms : null;
      // Steps as spans on their own rows: top-level steps, then the branch steps of parallel ones.
      this.spans = [];
      const walk = (steps, depth) => { for (const st of steps) {
        if (wall0 !== null && st.started_at) {
          const t = Date.parse(st.started_at) - wall0;
          if (Number.isFinite(t) && st.status !== 'skipped') this.spans.push({ step: st, depth: Math.min(depth, 1), t0: t, t1: t + (st.duration_ms || 0) });
        }
        if (st.children) walk(st.children, depth + 1);
      } };
      walk(scenario.setup, 0); walk(scenario.steps, 0);
      const stepRows = this.spans.some((sp) => sp.depth === 1) ? 2 : 1;
      // Lanes: nodes in name order, then the client, then the nemesis.
      const laneNames = meta ? meta.lanes : [];
      const rank = (name) => (name === 'nemesis' ? 2 : name === 'client' ? 1 : 0);
      const order = laneNames.map((name, k) => ({ name, k })).sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
      this.rows = [];
      for (let r = 0; r < stepRows; r++) this.rows.push({ kind: 'steps', depth: r, label: r ? 'branches' : 'steps' });
      this.laneRow = new Int32Array(laneNames.length);
      for (const { name, k } of order) { this.laneRow[k] = this.rows.length; this.rows.push({ kind: 'ops', lane: k, label: name }); }
      // Per lane, its operations in start order (rows are stored in start order).
      this.byLane = [];
      this.maxDur = 0;
      let end = meta ? meta.end_ms : 0;
      if (ops) {
        const counts = new Int32Array(laneNames.length);
        for (let r = 0; r < ops.n; r++) counts[ops.lane[r]]++;
        this.byLane = Array.from(counts, (c) => new Int32Array(c));
        const fill = new Int32Array(laneNames.length);
        for (let r = 0; r < ops.n; r++) {
          const l = ops.lane[r]; this.byLane[l][fill[l]++] = r;
          const e = ops.end[r];
          if (e === e) { const d = e - ops.start[r]; if (d > this.maxDur) this.maxDur = d; if (e > end) end = e; }
        }
      }
      for (const sp of this.spans) if (sp.t1 > end) end = sp.t1;
      this.endAll = end;
      this.bands = this.faultBands();
      this.full = [0, Math.max(1, end * 1.02)];
      this.view = this.full.slice();
      this.attach();
    }

    /**
     * Fault periods per node lane: kill/stop until start/restart, pause until resume, restart
     * while it runs, a partition or a shaped link until heal, a full disk until disk_free, a
     * changed clock until the next clock change. Fault operations name their nodes in
     * `meta.nemesis`; runs from before it kept the node on the operation itself.
     */
    faultBands() {
      const ops = this.ops; const meta = this.meta;
      if (!ops) return [];
      const fIdx = (name) => meta.f.indexOf(name);
      const F = {}; for (const name of ['kill', 'stop', 'start', 'restart', 'pause', 'resume', 'partition', 'latency', 'bandwidth', 'heal', 'disk_full', 'disk_free', 'clock']) F[name] = fIdx(name);
      const bands = []; const open = new Map();
      const close = (lane, kinds, t) => { for (const kind of kinds) { const key = `${lane}:${kind}`; const b = open.get(key); if (b) { b.t1 = t; open.delete(key); } } };
      const begin = (lane, kind, t, r) => { const key = `${lane}:${kind}`; if (open.has(key)) return; const b = { lane, kind, t0: t, t1: null, row: r }; open.set(key, b); bands.push(b); };
      const apply = (r, lanes) => {
        if (ops.outcome[r] === 1) return; // fail: it certainly did not happen
        const f = ops.f[r];
        const t0 = ops.start[r]; const t1 = ops.end[r] === ops.end[r] ? ops.end[r] : this.endAll;
        for (const lane of lanes) {
          if (f === F.kill || f === F.stop) begin(lane, 'down', t0, r);
          else if (f === F.pause) begin(lane, 'paused', t0, r);
          else if (f === F.resume) close(lane, ['paused'], t1);
          else if (f === F.start) close(lane, ['down'], t1);
          else if (f === F.restart) { close(lane, ['down', 'paused'], t0); bands.push({ lane, kind: 'restart', t0, t1, row: r }); }
          else if (f === F.partition) begin(lane, 'cut', t0, r);
          else if (f === F.latency || f === F.bandwidth) begin(lane, 'slow', t0, r);
          else if (f === F.heal) close(lane, ['cut', 'slow'], t1);
          else if (f === F.disk_full) begin(lane, 'disk', t0, r);
          else if (f === F.disk_free) close(lane, ['disk'], t1);
          else if (f === F.clock) { close(lane, ['clock'], t0); begin(lane, 'clock', t0, r); }
        }
      };
      if (meta.nemesis) for (const [r, lanes] of meta.nemesis) apply(r, lanes);
      else for (let r = 0; r < ops.n; r++) apply(r, [ops.lane[r]]);
      for (const b of bands) if (b.t1 === null) b.t1 = this.endAll;
      return bands;
    }

    geometry() {
      const W = this.canvas.clientWidth || 800;
      const H = AXIS_H + this.rows.length * ROW_H + 4;
      return { W, H, plotW: Math.max(10, W - GUTTER - 10) };
    }
    x(t, g) { return GUTTER + (t - this.view[0]) / (this.view[1] - this.view[0]) * g.plotW; }
    t(px, g) { return this.view[0] + (px - GUTTER) / g.plotW * (this.view[1] - this.view[0]); }

    schedule() {
      if (this.pending) return;
      this.pending = true;
      requestAnimationFrame(() => { this.pending = false; this.draw(); });
    }

    draw() {
      const g = this.geometry();
      const dpr = window.devicePixelRatio || 1;
      const c = this.canvas;
      if (c.width !== Math.round(g.W * dpr) || c.height !== Math.round(g.H * dpr)) {
        c.width = Math.round(g.W * dpr); c.height = Math.round(g.H * dpr); c.style.height = `${g.H}px`;
      }
      const ctx = c.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, g.W, g.H);
      ctx.font = '11px system-ui, sans-serif'; ctx.textBaseline = 'middle';
      const rowY = (r) => AXIS_H + r * ROW_H;
      // Lane backgrounds and names.
      this.rows.forEach((row, r) => {
        ctx.fillStyle = r % 2 ? '#fbfbfc' : '#f3f4f6'; ctx.fillRect(GUTTER, rowY(r), g.plotW, ROW_H);
        ctx.fillStyle = '#495057'; ctx.fillText(row.label.length > 13 ? `${row.label.slice(0, 12)}…` : row.label, 6, rowY(r) + ROW_H / 2);
      });
      this.drawAxis(ctx, g);
      ctx.save(); ctx.beginPath(); ctx.rect(GUTTER, AXIS_H, g.plotW, g.H - AXIS_H); ctx.clip();
      // Fault periods, as bands over the node's lane and a faint one across the rest.
      for (const b of this.bands) {
        const x0 = this.x(b.t0, g); const x1 = Math.max(x0 + 2, this.x(b.t1, g));
        if (x1 < GUTTER || x0 > GUTTER + g.plotW) continue;
        ctx.fillStyle = BANDS[b.kind]; ctx.globalAlpha = 0.35; ctx.fillRect(x0, AXIS_H, x1 - x0, g.H - AXIS_H); ctx.globalAlpha = 1;
        ctx.fillRect(x0, rowY(this.laneRow[b.lane]), x1 - x0, ROW_H);
        ctx.fillStyle = BAND_EDGE[b.kind]; ctx.fillRect(x0, rowY(this.laneRow[b.lane]), 1.5, ROW_H);
      }
      // Steps as spans.
      for (const sp of this.spans) {
        const x0 = this.x(sp.t0, g); const x1 = Math.max(x0 + 2, this.x(sp.t1, g));
        if (x1 < GUTTER || x0 > GUTTER + g.plotW) continue;
        const y = rowY(sp.depth) + 2;
        ctx.fillStyle = COLORS[sp.step.status] || '#adb5bd'; ctx.globalAlpha = sp === this.highlight ? 1 : 0.55;
        ctx.fillRect(x0, y, x1 - x0 - 1, ROW_H - 4); ctx.globalAlpha = 1;
        if (x1 - x0 > 40) { ctx.fillStyle = '#fff'; ctx.fillText(`${sp.step.path} ${sp.step.label}`.slice(0, Math.floor((x1 - x0) / 6)), Math.max(x0, GUTTER) + 3, y + (ROW_H - 4) / 2); }
      }
      const drawn = this.drawOps(ctx, g, rowY);
      ctx.restore();
      this.marksDrawn = drawn;
      hook.timelines[this.i] = { marksDrawn: drawn, mode: this.mode, ops: this.ops ? this.ops.n : 0, bands: this.bands.length, bandLanes: this.bands.map((b) => `${this.meta.lanes[b.lane]}:${b.kind}`), spans: this.spans.length, view: this.view.slice() };
      hook.marksDrawn = hook.timelines.reduce((a, tl) => a + (tl ? tl.marksDrawn : 0), 0);
      if (this.chart) this.chart.draw(this.view);
    }

    drawAxis(ctx, g) {
      const span = this.view[1] - this.view[0];
      const raw = span / Math.max(2, g.plotW / 110);
      const p = Math.pow(10, Math.floor(Math.log10(raw)));
      const step = [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) || 10 * p;
      ctx.fillStyle = '#868e96'; ctx.strokeStyle = '#e9ecef';
      for (let t = Math.ceil(this.view[0] / step) * step; t <= this.view[1]; t += step) {
        const x = this.x(t, g);
        ctx.beginPath(); ctx.moveTo(x, AXIS_H - 4); ctx.lineTo(x, g.H); ctx.stroke();
        ctx.fillText(step >= 1000 ? `${(t / 1000).toFixed(step >= 10000 ? 0 : 1)} s` : `${Math.round(t * 100) / 100} ms`, x + 2, 10);
      }
    }

    /** Each visible operation as a bar from invoke to completion, or a per-pixel density when there are too many. */
    drawOps(ctx, g, rowY) {
      const ops = this.ops;
      if (!ops) { this.mode = 'none'; return 0; }
      const [v0, v1] = this.view;
      const lo = lowerBound(ops.start, v0 - this.maxDur);
      const hi = lowerBound(ops.start, v1 + 1e-9);
      let visible = 0;
      for (let r = lo; r < hi; r++) { const e = ops.end[r]; if (e !== e || e >= v0) visible++; }
      const h = ROW_H - 8;
      if (visible <= EACH_MARK_LIMIT) {
        this.mode = 'each';
        // One pass per outcome: failures drawn last, on top.
        for (const o of [0, 3, 2, 1]) {
          ctx.fillStyle = COLORS[OUTCOMES[o]];
          for (let r = lo; r < hi; r++) {
            if (ops.outcome[r] !== o) continue;
            const e = ops.end[r] === ops.end[r] ? ops.end[r] : this.endAll;
            if (e < v0) continue;
            const x0 = this.x(ops.start[r], g); const x1 = this.x(e, g);
            ctx.fillRect(x0, rowY(this.laneRow[ops.lane[r]]) + 4, Math.max(1.5, x1 - x0), h);
          }
        }
      } else {
        this.mode = 'density';
        const cols = Math.ceil(g.plotW); const lanes = this.meta.lanes.length;
        const counts = OUTCOMES.map(() => new Uint32Array(cols * lanes));
        const scale = g.plotW / (v1 - v0);
        for (let r = lo; r < hi; r++) {
          const e = ops.end[r];
          if (e === e && e < v0) continue;
          let col = Math.floor((ops.start[r] - v0) * scale); if (col < 0) col = 0; else if (col >= cols) col = cols - 1;
          counts[ops.outcome[r]][ops.lane[r] * cols + col]++;
        }
        for (const o of [0, 3, 2, 1]) {
          ctx.fillStyle = COLORS[OUTCOMES[o]];
          const cnt = counts[o];
          for (let l = 0; l < lanes; l++) {
            const y = rowY(this.laneRow[l]) + 4;
            for (let col = 0; col < cols; col++) {
              const n = cnt[l * cols + col];
              if (!n) continue;
              ctx.globalAlpha = Math.min(1, 0.3 + Math.log2(1 + n) / 8);
              ctx.fillRect(GUTTER + col, o === 0 ? y : y + h / 2, 1, o === 0 ? h : h / 2);
            }
          }
        }
        ctx.globalAlpha = 1;
      }
      return visible;
    }

    /** What is under the pointer: an operation, a step span or a fault period. */
    hit(px, py) {
      const g = this.geometry();
      const r = Math.floor((py - AXIS_H) / ROW_H);
      const row = this.rows[r];
      if (!row || px < GUTTER) return null;
      const t = this.t(px, g);
      const tol = 4 * (this.view[1] - this.view[0]) / g.plotW;
      if (row.kind === 'steps') {
        const sp = this.spans.filter((s) => s.depth === row.depth && s.t0 - tol <= t && t <= s.t1 + tol).sort((a, b) => (a.t1 - a.t0) - (b.t1 - b.t0))[0];
        return sp ? { kind: 'step', span: sp } : null;
      }
      const ops = this.ops;
      if (ops) {
        const list = this.byLane[row.lane];
        // Candidates start before t + tol; walk back while one could still cover t.
        let lo = 0; let hi = list.length;
        while (lo < hi) { const m = (lo + hi) >>> 1; if (ops.start[list[m]] <= t + tol) lo = m + 1; else hi = m; }
        let best = -1; let bestScore = Infinity;
        for (let k = lo - 1; k >= 0 && lo - k < 5000; k--) {
          const op = list[k]; const s0 = ops.start[op];
          if (s0 < t - tol - this.maxDur) break;
          const e = ops.end[op] === ops.end[op] ? ops.end[op] : this.endAll;
          if (e + tol < t) continue;
          const score = (t < s0 ? s0 - t : t > e ? t - e : 0) + (e - s0) * 1e-6;
          if (score < bestScore) { bestScore = score; best = op; }
        }
        if (best >= 0) return { kind: 'op', row: best };
      }
      const band = this.bands.find((b) => b.lane === row.lane && b.t0 <= t && t <= b.t1);
      return band ? { kind: 'band', band } : null;
    }

    describe(h) {
      const ops = this.ops; const meta = this.meta;
      if (h.kind === 'step') {
        const st = h.span.step;
        return `step ${st.path} (${st.kind}): ${st.label}\n${st.status}, ${ms(st.duration_ms)}${st.where ? `\n${st.where}` : ''}${st.error ? `\n${st.error.message}` : ''}`;
      }
      if (h.kind === 'band') {
        const b = h.band;
        return `${meta.lanes[b.lane]} ${b.kind === 'down' ? 'down' : b.kind === 'paused' ? 'paused' : 'restarting'}\nfrom ${ms(b.t0)} to ${ms(b.t1)} (${ms(b.t1 - b.t0)})\nby operation #${ops.index[b.row]} (${meta.f[ops.f[b.row]]})`;
      }
      const r = h.row;
      const e = ops.end[r];
      const vals = meta.values; let lo = 0; let hi = vals.length;
      while (lo < hi) { const m = (lo + hi) >>> 1; if (vals[m][0] < r) lo = m + 1; else hi = m; }
      const v = vals[lo] && vals[lo][0] === r ? vals[lo] : null;
      const lines = [
        `#${ops.index[r]} ${meta.f[ops.f[r]]} on ${meta.lanes[ops.lane[r]]}  (step ${meta.steps[ops.step[r]]})`,
        `${OUTCOMES[ops.outcome[r]]}  ${ms(ops.start[r])} → ${e === e ? `${ms(e)}  latency ${ms(e - ops.start[r])}` : 'never completed'}`,
      ];
      if (ops.error[r]) lines.push(`error: ${meta.errors[ops.error[r]]}`);
      if (v && v[1]) lines.push(`invoke: ${v[1]}`);
      if (v && v[2]) lines.push(`result: ${v[2]}`);
      return lines.join('\n');
    }

    zoomTo(t0, t1) {
      const pad = Math.max(1, (t1 - t0) * 0.1);
      this.view = [Math.max(this.full[0] - pad, t0 - pad), t1 + pad];
      this.draw();
    }

    attach() {
      const c = this.canvas; const tip = document.getElementById('tooltip');
      let drag = null;
      c.addEventListener('wheel', (ev) => {
        ev.preventDefault();
        const g = this.geometry(); const rect = c.getBoundingClientRect();
        const at = this.t(ev.clientX - rect.left, g);
        const span = this.view[1] - this.view[0];
        const next = Math.min((this.full[1] - this.full[0]) * 4, Math.max(0.01, span * Math.exp(ev.deltaY * 0.0015)));
        const k = (at - this.view[0]) / span;
        this.view = [at - k * next, at - k * next + next];
        this.schedule();
      }, { passive: false });
      c.addEventListener('pointerdown', (ev) => { drag = { x: ev.clientX, view: this.view.slice() }; c.setPointerCapture(ev.pointerId); });
      c.addEventListener('pointerup', () => { drag = null; });
      c.addEventListener('pointermove', (ev) => {
        const g = this.geometry(); const rect = c.getBoundingClientRect();
        if (drag) {
          const dt = (ev.clientX - drag.x) / g.plotW * (drag.view[1] - drag.view[0]);
          this.view = [drag.view[0] - dt, drag.view[1] - dt];
          this.schedule();
          tip.hidden = true;
          return;
        }
        const h = this.hit(ev.clientX - rect.left, ev.clientY - rect.top);
        if (!h) { tip.hidden = true; return; }
        tip.textContent = this.describe(h);
        tip.hidden = false;
        const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
        tip.style.left = `${Math.max(4, x)}px`; tip.style.top = `${ev.clientY + 14}px`;
      });
      c.addEventListener('pointerleave', () => { tip.hidden = true; });
      c.addEventListener('dblclick', () => { this.view = this.full.slice(); this.schedule(); });
    }
  }

  /** Latency (p50, p99) and throughput per second, on the timeline's time axis. */
  class LatencyChart {
    constructor(canvas, series) { this.canvas = canvas; this.s = series; }
    draw(view) {
      const c = this.canvas; const s = this.s;
      const W = c.clientWidth || 800; const H = 170; const dpr = window.devicePixelRatio || 1;
      if (c.width !== Math.round(W * dpr)) { c.width = Math.round(W * dpr); c.height = Math.round(H * dpr); c.style.height = `${H}px`; }
      const ctx = c.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0); ctx.clearRect(0, 0, W, H);
      ctx.font = '11px system-ui, sans-serif'; ctx.textBaseline = 'middle';
      const plotW = Math.max(10, W - GUTTER - 10);
      const x = (t) => GUTTER + (t - view[0]) / (view[1] - view[0]) * plotW;
      const latTop = 8; const latH = 70; const thrTop = 96; const thrH = 64;
      const maxLat = Math.max(1, ...s.p99); const maxThr = Math.max(1, ...s.ok.map((v, i) => v + s.fail[i] + s.info[i]));
      ctx.fillStyle = '#495057';
      ctx.fillText('latency', 6, latTop + 10); ctx.fillStyle = '#1c7ed6'; ctx.fillText('p50', 52, latTop + 10); ctx.fillStyle = '#ae3ec9'; ctx.fillText('p99', 74, latTop + 10); ctx.fillStyle = '#495057'; ctx.fillText(`p99 ≤ ${ms(maxLat)}`, 6, latTop + 26);
      ctx.fillText('ops/s', 6, thrTop + 10); ctx.fillText(`max ${maxThr}`, 6, thrTop + 26);
      ctx.save(); ctx.beginPath(); ctx.rect(GUTTER, 0, plotW, H); ctx.clip();
      ctx.fillStyle = '#f3f4f6'; ctx.fillRect(GUTTER, latTop, plotW, latH); ctx.fillRect(GUTTER, thrTop, plotW, thrH);
      const wsec = Math.max(1, x(1000) - x(0) - 1);
      s.second.forEach((sec, i) => {
        let y = thrTop + thrH;
        for (const [k, col] of [['ok', COLORS.ok], ['info', COLORS.info], ['fail', COLORS.fail]]) {
          const hgt = s[k][i] / maxThr * thrH; y -= hgt;
          ctx.fillStyle = col; ctx.fillRect(x(sec), y, wsec, hgt);
        }
      });
      for (const [k, col] of [['p50', '#1c7ed6'], ['p99', '#ae3ec9']]) {
        ctx.strokeStyle = col; ctx.lineWidth = 1.5; ctx.beginPath();
        s.second.forEach((sec, i) => { const px = x(sec + 500); const py = latTop + latH - s[k][i] / maxLat * latH; if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py); });
        ctx.stroke();
        ctx.fillStyle = col;
        s.second.forEach((sec, i) => ctx.fillRect(x(sec + 500) - 2, latTop + latH - s[k][i] / maxLat * latH - 2, 4, 4));
      }
      ctx.restore();
    }
  }

  // ---- the page ----
  function stepItem(st, holder) {
    const li = el('li', { class: `step ${st.status}`, 'data-path': st.path });
    const detail = el('div', { class: 'detail', hidden: true });
    const row = el('div', { class: 'row', role: 'button', tabindex: 0 },
      el('span', { class: 'mark', style: `background:${COLORS[st.status] || '#adb5bd'}` }),
      el('span', { class: 'path mono' }, st.path),
      el('span', { class: 'label' }, st.label),
      st.where ? el('span', { class: 'where mono' }, st.where) : (st.error && st.error.where ? el('span', { class: 'where mono' }, st.error.where) : null),
      el('span', { class: 'dur' }, st.status === 'skipped' ? 'not run' : ms(st.duration_ms)));
    let built = false;
    const toggle = () => {
      if (!built) { built = true; fillDetail(detail, st, holder.tl); }
      detail.hidden = !detail.hidden;
    };
    row.addEventListener('click', toggle);
    row.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); toggle(); } });
    li.append(row, detail);
    if (st.children && st.children.length) li.append(el('ol', { class: 'children' }, st.children.map((ch) => stepItem(ch, holder))));
    return li;
  }

  function fillDetail(detail, st, tl) {
    const e = st.error;
    const parts = [el('div', { class: 'meta' }, `${st.kind}, ${st.status}${st.verifies ? ', checks' : ''}${st.attempts ? `, ${st.attempts} attempts` : ''}${st.picked ? `, picked ${st.picked.join(' ')}` : ''}`)];
    if (e) {
      parts.push(el('div', { class: 'error-box' }, el('strong', {}, `${e.type}: `), e.message, e.where ? el('div', { class: 'mono' }, `at ${e.where}`) : null));
      if (e.diff) parts.push(el('pre', { class: 'diff' }, e.diff));
      if (e.expected !== undefined) parts.push(el('div', {}, 'expected'), el('pre', { class: 'expected' }, json(e.expected)));
      if (e.actual !== undefined) parts.push(el('div', {}, 'actual'), el('pre', { class: 'actual' }, json(e.actual)));
      if (e.tried) parts.push(el('div', {}, 'tried'), el('pre', {}, e.tried));
      if (e.log_tail) parts.push(el('div', {}, 'last log lines'), el('pre', {}, e.log_tail));
    }
    if (st.output !== undefined) parts.push(el('div', {}, 'output'), el('pre', {}, json(st.output)));
    const span = tl && tl.spans.find((sp) => sp.step === st);
    if (span) parts.push(el('button', { onclick: (ev) => { ev.stopPropagation(); tl.highlight = span; tl.zoomTo(span.t0, span.t1); tl.canvas.scrollIntoView({ block: 'nearest' }); } }, 'show in timeline'));
    detail.append(...parts);
  }

  function summary(j) {
    const counts = {};
    for (const s of j.scenarios) counts[s.verdict] = (counts[s.verdict] || 0) + 1;
    if (j.not_run && j.not_run.length) counts['not run'] = j.not_run.length;
    const dl = el('dl', { class: 'summary' });
    const add = (k, v) => dl.append(el('dt', {}, k), el('dd', {}, v));
    add('verdict', [badge(j.verdict), ` exit code ${j.exit_code}`]);
    add('scenarios', Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ') || 'none');
    add('seed', el('code', {}, String(j.seed)));
    add('driver', j.driver);
    add('started', `${j.started_at} (${ms(j.duration_ms)})`);
    add('replay', el('code', { class: 'replay' }, replayCommand(j)));
    add('tool', `phantom-test ${j.tool ? j.tool.version : '?'} on Node.js ${j.tool ? j.tool.node : '?'}`);
    return [el('h1', {}, `phantom-test run ${j.run_id}`), dl];
  }

  async function main() {
    const data = JSON.parse(document.getElementById('report-data').textContent);
    const j = data.journal;
    const app = document.getElementById('app');
    app.textContent = '';
    app.append(...summary(j));
    const timelines = [];
    j.scenarios.forEach((s, i) => {
      const meta = data.scenarios[i].ops;
      const sec = el('section', { class: 'scenario', id: `scenario-${i}` });
      sec.append(el('header', {}, el('h2', {}, s.name), badge(s.verdict),
        el('span', { class: 'meta mono' }, s.file), el('span', { class: 'meta' }, `seed ${s.seed}, ${ms(s.duration_ms)}, ready in ${ms(s.ready_ms)}, ${s.history_count} history entries`)));
      if (s.description) sec.append(el('p', {}, s.description));
      if (s.error) sec.append(el('div', { class: 'error-box' }, el('strong', {}, `${s.error.type}: `), s.error.message, s.error.where ? el('div', { class: 'mono' }, `at ${s.error.where}`) : null));
      if (s.skip_reason) sec.append(el('div', { class: 'error-box' }, el('strong', {}, 'skipped: '), s.skip_reason));
      const logs = data.scenarios[i].logs.filter((l) => l.href);
      if (logs.length) sec.append(el('div', { class: 'meta' }, 'node logs: ', logs.map((l, k) => [k ? ', ' : '', el('a', { href: l.href, class: 'log' }, l.node)])));
      if (s.teardown && s.teardown.problems.length) sec.append(el('div', { class: 'error-box' }, `teardown: ${s.teardown.problems.join('; ')}`));
      const canvas = el('canvas', { class: 'timeline', 'data-scenario': i });
      const chartCanvas = meta && meta.latency.second.length ? el('canvas', { class: 'latency' }) : null;
      const holder = { tl: null };
      sec.append(el('h3', {}, 'Steps'));
      sec.append(el('ol', { class: 'steps' }, s.setup.map((st) => stepItem(st, holder)), s.steps.map((st) => stepItem(st, holder))));
      sec.append(el('h3', {}, 'Timeline'),
        el('div', { class: 'legend' },
          ['ok', 'fail', 'info', 'pending'].map((k) => el('span', {}, el('span', { class: 'mark', style: `background:${COLORS[k]}` }), k === 'pending' ? 'never completed' : k === 'info' ? 'info (unknown outcome)' : k)),
          Object.keys(BANDS).map((k) => el('span', {}, el('span', { class: 'mark', style: `background:${BAND_EDGE[k]};opacity:.5` }), BAND_LABEL[k]))),
        el('div', { class: 'toolbar' }, el('button', { onclick: () => { if (holder.tl) { holder.tl.view = holder.tl.full.slice(); holder.tl.highlight = null; holder.tl.draw(); } } }, 'reset zoom'),
          `wheel: zoom, drag: pan, double click: reset; ${meta ? meta.count : 0} operations`),
        el('div', { class: 'timeline-wrap' }, canvas));
      if (chartCanvas) sec.append(el('h3', {}, 'Latency and throughput (write and query, per second)'), chartCanvas);
      app.append(sec);
      timelines.push({ i, s, meta, canvas, chartCanvas, holder });
    });
    if (j.not_run && j.not_run.length) {
      app.append(el('section', { class: 'notrun' }, el('h3', {}, 'Not run'), el('ul', {}, j.not_run.map((n) => el('li', {}, `${n.name} (${n.file}): ${n.reason}`)))));
    }
    // The operations: decoded after the text is on screen.
    for (const t of timelines) {
      const ops = await decodeOps(t.i, t.meta);
      const chart = t.chartCanvas ? new LatencyChart(t.chartCanvas, t.meta.latency) : null;
      const tl = new Timeline(t.i, t.s, t.meta, ops, t.canvas, chart);
      t.holder.tl = tl;
      tl.draw();
    }
    window.addEventListener('resize', () => { for (const t of timelines) t.holder.tl && t.holder.tl.schedule(); });
    hook.firstPaintMs = performance.now();
    hook.ready = true;
  }

  main().catch((e) => {
    hook.errors.push(String(e && e.stack || e));
    const app = document.getElementById('app');
    app.prepend(el('div', { class: 'error-box' }, `The report could not be drawn: ${e && e.message || e}`));
    console.error(e);
  });
})();
