// What the extension posts to its webviews and hears from them, seen at the vscode API: while a tap
// is on, vscode.window.createWebviewPanel is wrapped, and so is each new panel's postMessage. The
// extension itself keeps no log of its messages (the in-host tests share its `vscode` object, as
// helpers.ts's withDialogs does). What the page then draws is the browser suites' part.
import * as vscode from 'vscode';
import type { HostToWebview } from '../../../src/common/protocol';

export class WebviewTap implements vscode.Disposable {
  /** Every message posted to a panel created since the tap went on, in order. */
  readonly sent: HostToWebview[] = [];
  private readonly heard = new vscode.EventEmitter<unknown>();
  /** Every message a tapped page sent (as it came, before the extension checks it). */
  readonly onDidReceive = this.heard.event;
  private readonly original = vscode.window.createWebviewPanel;

  constructor() {
    const window = vscode.window as { createWebviewPanel: typeof vscode.window.createWebviewPanel };
    window.createWebviewPanel = (...args: Parameters<typeof vscode.window.createWebviewPanel>) => {
      const panel = this.original.apply(vscode.window, args);
      const webview = panel.webview;
      const post = webview.postMessage.bind(webview);
      webview.postMessage = (msg: HostToWebview) => {
        this.sent.push(msg);
        return post(msg);
      };
      webview.onDidReceiveMessage((msg: unknown) => this.heard.fire(msg));
      return panel;
    };
  }

  dispose(): void {
    (vscode.window as { createWebviewPanel: typeof vscode.window.createWebviewPanel }).createWebviewPanel = this.original;
    this.heard.dispose();
  }
}
