// Evaluated in the dashboard page by test/webview/bench.ts (kept as plain JS: the TypeScript
// loader would decorate the functions with helpers the page does not have).
// Posts the batches as the host would, one every `interval` ms (0: back to back), records the
// interval of every animation frame and the long tasks, and resolves once the last point is drawn.
({ runId, batches, interval }) =>
  new Promise((resolve) => {
    const frames = [];
    let last = 0;
    let running = true;
    let longTasks = 0;
    const observer = new PerformanceObserver((list) => (longTasks += list.getEntries().length));
    observer.observe({ type: 'longtask' });
    const tick = (t) => {
      if (last) frames.push(t - last);
      last = t;
      if (running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const canvas = document.querySelector('canvas[data-chart="loss"]');
    const total = batches.reduce((n, b) => n + b.filter((e) => e.type === 'loss').length, 0);
    const start = performance.now();
    let i = 0;
    const finish = () => {
      if (Number(canvas.dataset.points) < total) return void requestAnimationFrame(finish);
      running = false;
      observer.disconnect();
      resolve({ ms: performance.now() - start, frames, longTasks, drawn: Number(canvas.dataset.drawn), points: Number(canvas.dataset.points) });
    };
    const send = () => {
      window.postMessage({ type: 'events', runId, events: batches[i++] }, '*');
      if (i < batches.length) setTimeout(send, interval);
      else requestAnimationFrame(finish);
    };
    send();
  })
