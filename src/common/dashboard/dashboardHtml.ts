// The dashboard page's HTML and Content-Security-Policy, without vscode: the panel builds it with the
// webview's URIs, and the browser tests build the same page with a local server's.
import * as crypto from 'crypto';

export interface DashboardPage {
  /** The webview's resource origin (`webview.cspSource`). */
  cspSource: string;
  /** URL of dist/webview/dashboard.js. */
  scriptUri: string;
  /** URL of media/dashboard.css. */
  styleUri: string;
  /** A fresh nonce per page load; one is made when omitted. */
  nonce?: string;
}

/** A random nonce for script-src / style-src. */
export function makeNonce(): string {
  return crypto.randomBytes(16).toString('base64');
}

/**
 * Nothing but the extension's own script (by nonce), stylesheet, images and fonts: no inline script,
 * no inline style attribute, no eval, no network (`default-src 'none'` covers connect-src).
 * Styles set from script through the CSSOM (element.style, adopted stylesheets) are not inline styles.
 */
export function dashboardCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function dashboardHtml(page: DashboardPage): string {
  const nonce = page.nonce ?? makeNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(dashboardCsp(page.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(page.styleUri)}" nonce="${attr(nonce)}">
<title>DEN Dashboard</title>
</head>
<body>
<div id="app"><p role="status">Loading the DEN dashboard…</p></div>
<script nonce="${attr(nonce)}" src="${attr(page.scriptUri)}"></script>
</body>
</html>`;
}
