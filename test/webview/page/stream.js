// Evaluated in the dashboard page by test/webview/bench.ts (kept as plain JS: the TypeScript
// loader would decorate the functions with helpers the page does not have).
// Posts the batches (put in window.__benchBatches beforehand) as the host would, one every
// `interval` ms (0: back to back), records the interval of every animation frame, the time of every
// animation-frame callback of the page (its draws) and the long tasks, and resolves once the last
// point is drawn.
({ runId, interval }) =>
  new Promise((resolve) => {
    const batches = window.__benchBatches;
    delete window.__benchBatches;
    const frames = [];
    const draws = [];
    let last = 0;
    let running = true;
    let longTasks = 0;
    const observer = new PerformanceObserver((list) => (longTasks += list.getEntries().length));
    observer.observe({ type: 'longtask' });
    const raf = window.requestAnimationFrame.bind(window);
    // the dashboard asks for a frame through the global at each change: time its callbacks
    window.requestAnimationFrame = (callback) =>
      raf((t) => {
        const start = performance.now();
        callback(t);
        draws.push(performance.now() - start);
      });
    const tick = (t) => {
      if (last) frames.push(t - last);
      last = t;
      if (running) raf(tick);
    };
    raf(tick);
    const canvas = document.querySelector('canvas[data-chart="loss"]');
    const total = batches.reduce((n, b) => n + b.filter((e) => e.type === 'loss').length, 0);
    const start = performance.now();
    let i = 0;
    const finish = () => {
      if (Number(canvas.dataset.points) < total) return void raf(finish);
      running = false;
      observer.disconnect();
      window.requestAnimationFrame = raf;
      resolve({ ms: performance.now() - start, frames, draws, longTasks, drawn: Number(canvas.dataset.drawn), points: Number(canvas.dataset.points) });
    };
    const send = () => {
      window.postMessage({ type: 'events', runId, events: batches[i++] }, '*');
      if (i < batches.length) setTimeout(send, interval);
      else raf(finish);
    };
    send();
  })
