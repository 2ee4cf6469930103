// The dashboard webview's esbuild options: one browser script (chart.js, @vscode-elements/elements,
// no eval, no network), loaded by the panel from exactly dist/webview/dashboard.js under its CSP.
// Shared by the build and by `npm run bench:webview`, which builds an older commit's page the same way.
export function webviewBundleOptions(entry, outfile) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
  };
}
