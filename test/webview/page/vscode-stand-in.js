// Runs in the test page before the dashboard's script (Playwright addInitScript, not subject to the
// page's CSP): what VS Code gives a webview. acquireVsCodeApi() hands every posted message to the
// Node side (window.__denHost, a Playwright binding) and records it; getState/setState keep the
// state in sessionStorage, so it survives a reload as VS Code's does. The theme is VS Code's Dark
// Modern, applied as VS Code does it: variables on <html>, a class on <body>.
(() => {
  const posted = [];
  const errors = [];
  const violations = [];
  /** Unhandled rejections and messages the (fake) host refused: the harness fails the test on any. */
  const failures = [];
  let acquired = 0;
  window.__den = { posted, errors, violations, failures, acquired: () => acquired };
  window.addEventListener('unhandledrejection', (e) => failures.push(`unhandled rejection: ${e.reason && e.reason.stack ? e.reason.stack : String(e.reason)}`));
  /** What the page's postMessage does: record, then hand to the host binding and await its answer. */
  function post(message) {
    const copy = JSON.parse(JSON.stringify(message));
    posted.push(copy);
    if (!window.__denHost) failures.push(`posted '${copy.type}' before the host binding existed`);
    else window.__denHost(copy).catch((err) => failures.push(`the host refused '${copy.type}': ${err && err.message ? err.message : err}`));
  }
  window.__den.post = post; // for the harness's own test
  window.acquireVsCodeApi = () => {
    if (++acquired > 1) throw new Error('acquireVsCodeApi called twice');
    return Object.freeze({
      postMessage: post,
      getState() {
        const s = sessionStorage.getItem('den-state');
        return s ? JSON.parse(s) : undefined;
      },
      setState(state) {
        sessionStorage.setItem('den-state', JSON.stringify(state));
        return state;
      },
    });
  };
  const originalError = console.error;
  console.error = (...args) => {
    errors.push(args.map(String).join(' '));
    originalError.apply(console, args);
  };
  document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));

  const dark = {
    '--vscode-font-family': 'system-ui, -apple-system, "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-font-weight': 'normal',
    '--vscode-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-errorForeground': '#f85149',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-sideBar-background': '#181818',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-editorWidget-border': '#313131',
    '--vscode-charts-foreground': '#cccccc',
    '--vscode-charts-lines': 'rgba(204, 204, 204, 0.2)',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-yellow': '#cca700',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-button-background': '#0078d4',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#313131',
    '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-settings-textInputBackground': '#313131',
    '--vscode-settings-textInputForeground': '#cccccc',
    '--vscode-settings-textInputBorder': '#3c3c3c',
    '--vscode-input-background': '#313131',
    '--vscode-input-foreground': '#cccccc',
    '--vscode-dropdown-background': '#313131',
    '--vscode-dropdown-foreground': '#cccccc',
    '--vscode-dropdown-border': '#3c3c3c',
  };
  const light = {
    '--vscode-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-editor-background': '#ffffff',
    '--vscode-sideBar-background': '#f8f8f8',
    '--vscode-charts-foreground': '#3b3b3b',
    '--vscode-charts-lines': 'rgba(59, 59, 59, 0.2)',
    '--vscode-charts-red': '#e51400',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-yellow': '#bf8803',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-purple': '#652d90',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-editorWidget-border': '#e5e5e5',
    '--vscode-button-secondaryBackground': '#e5e5e5',
    '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-settings-textInputBackground': '#ffffff',
    '--vscode-settings-textInputForeground': '#3b3b3b',
    '--vscode-settings-textInputBorder': '#cecece',
    '--vscode-input-background': '#ffffff',
    '--vscode-input-foreground': '#3b3b3b',
    '--vscode-dropdown-background': '#ffffff',
    '--vscode-dropdown-foreground': '#3b3b3b',
    '--vscode-dropdown-border': '#cecece',
  };
  /** Switches theme the way VS Code does (used by the theme test). */
  window.__denSetTheme = (kind) => {
    const vars = kind === 'light' ? { ...dark, ...light } : dark;
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
    document.body.className = kind === 'light' ? 'vscode-light' : 'vscode-dark';
    document.body.dataset.vscodeThemeKind = kind === 'light' ? 'vscode-light' : 'vscode-dark';
  };
  // as soon as <body> exists, before the dashboard's script runs
  if (document.body) window.__denSetTheme('dark');
  else {
    const watch = new MutationObserver(() => {
      if (!document.body) return;
      watch.disconnect();
      window.__denSetTheme('dark');
    });
    watch.observe(document, { childList: true, subtree: true });
  }
})();
