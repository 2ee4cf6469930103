// The parsed event logs of the runs the dashboard shows, kept between snapshots: a log that grew
// is read from where the last read stopped (only the appended bytes), asynchronously, so a run
// that streams tens of thousands of loss points never re-reads or re-parses what it had. No
// vscode import.
import * as fs from 'fs';
import * as path from 'path';
import { parseEventLines } from '../../engine/run/runFolder';
import type { DenEvent } from '../protocol';

interface Entry {
  /** Identity of the file read: a replaced or truncated file is read again from the start. */
  ino: number;
  /** Bytes consumed so far (up to the end of the last complete line). */
  offset: number;
  events: DenEvent[];
}

export interface EventRead {
  /** Every event of the log. */
  events: DenEvent[];
  /** The events that this read added (all of them on a first or fresh read). */
  appended: DenEvent[];
}

export class EventCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<EventRead>>();

  /** @param capacity how many runs' events are kept (least recently read ones are dropped). */
  constructor(private readonly capacity = 8) {}

  /** The events of the run at `runDir`, reading only what was appended since the last read. */
  read(runDir: string): Promise<EventRead> {
    // one read at a time per run: a second caller waits for the first and then reads what is new
    const previous = this.pending.get(runDir) ?? Promise.resolve(undefined);
    const next = previous.then(() => this.readNow(runDir));
    this.pending.set(runDir, next);
    return next.finally(() => {
      if (this.pending.get(runDir) === next) this.pending.delete(runDir);
    });
  }

  private async readNow(runDir: string): Promise<EventRead> {
    const file = path.join(runDir, 'events.jsonl');
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
    } catch {
      this.entries.delete(runDir);
      return { events: [], appended: [] };
    }
    let entry = this.entries.get(runDir);
    if (!entry || entry.ino !== stat.ino || stat.size < entry.offset) entry = { ino: stat.ino, offset: 0, events: [] };
    this.entries.delete(runDir); // re-inserted below: the map's order is the recency order
    this.entries.set(runDir, entry);
    for (const old of [...this.entries.keys()].slice(0, Math.max(0, this.entries.size - this.capacity))) this.entries.delete(old);
    if (stat.size === entry.offset) return { events: entry.events, appended: [] };

    const handle = await fs.promises.open(file, 'r');
    let bytes: Buffer;
    try {
      bytes = Buffer.alloc(stat.size - entry.offset);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, entry.offset);
      bytes = bytes.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    // only complete lines: a line being appended right now is read next time
    const end = bytes.lastIndexOf(0x0a) + 1;
    const appended = parseEventLines(bytes.subarray(0, end).toString('utf8'), runDir);
    entry.offset += end;
    for (const e of appended) entry.events.push(e);
    return { events: entry.events, appended };
  }

  /** Forgets a run (deleted, or its folder replaced). */
  forget(runDir: string): void {
    this.entries.delete(runDir);
  }
}
