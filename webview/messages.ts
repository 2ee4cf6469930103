// Messages from the extension host: every one is checked with checkHostToWebview before anything
// reads it; a malformed one is dropped, and the reason goes to the console and to the host's log.
import type { HostToWebview, WebviewToHost } from '../src/protocol';
import { checkHostToWebview } from '../src/protocolGuards';

type Handlers = { [K in HostToWebview['type']]: (msg: Extract<HostToWebview, { type: K }>) => void };

/** A `message` event listener that validates, then dispatches by type. */
export function messageHandler(handlers: Handlers, post: (msg: WebviewToHost) => void): (event: { data: unknown }) => void {
  return (event) => {
    const problem = checkHostToWebview(event.data);
    if (problem) {
      const message = `ignored a malformed message from the host: ${problem}`;
      console.error(`DEN dashboard: ${message}`);
      post({ type: 'log', level: 'error', message });
      return;
    }
    const msg = event.data as HostToWebview;
    try {
      (handlers[msg.type] as (m: HostToWebview) => void)(msg);
    } catch (err) {
      // a well-formed message the dashboard could not show: report it instead of dying silently
      const message = `failed to handle '${msg.type}': ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
      console.error(`DEN dashboard: ${message}`);
      post({ type: 'log', level: 'error', message });
    }
  };
}
