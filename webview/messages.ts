// Messages from the extension host: every one is checked to the leaf with checkHostToWebview before
// anything reads it; a malformed one is dropped, and the reason goes to the console and to the
// host's log. Handlers get the checked value, never the raw message.
import type { HostToWebview, WebviewToHost } from '../src/common/protocol';
import { checkHostToWebview } from '../src/common/protocolGuards';

type Handlers = { [K in HostToWebview['type']]: (msg: Extract<HostToWebview, { type: K }>) => void };

/** A `message` event listener that validates, then dispatches by type. */
export function messageHandler(handlers: Handlers, post: (msg: WebviewToHost) => void): (event: { data: unknown }) => void {
  return (event) => {
    const checked = checkHostToWebview(event.data);
    if (!checked.ok) {
      const message = `ignored a malformed message from the host: ${checked.problem}`;
      console.error(`DEN dashboard: ${message}`);
      post({ type: 'log', level: 'error', message });
      return;
    }
    const msg = checked.value;
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
