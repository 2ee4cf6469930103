// Entry of dist/webview/dashboard.js: the controls it uses, the host connection, the page, the
// message listener, then 'ready' (the host answers with a full snapshot).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-multi-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { DashboardView } from './app';
import { messageHandler } from './messages';
import { connectHost } from './vscodeApi';

const host = connectHost();
const dashboard = new DashboardView(document.getElementById('app')!, host);
window.addEventListener(
  'message',
  messageHandler(
    {
      snapshot: (m) => dashboard.onSnapshot(m),
      events: (m) => dashboard.onEvents(m),
      runs: (m) => dashboard.onRuns(m),
      thresholds: (m) => dashboard.onThresholds(m),
      training: (m) => dashboard.onTraining(m),
      sweep: (m) => dashboard.onSweep(m),
      units: (m) => dashboard.onUnits(m),
    },
    (m) => host.post(m),
  ),
);
host.post({ type: 'ready' });
