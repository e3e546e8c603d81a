import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../domain/atomic-file';
import type { DataLayout } from '../../domain/data-layout';

// Which webhook deliveries a tree's intake has acted on, so a replayed request (same delivery ID) starts nothing.
//
// Per tree: the last DELIVERIES_KEPT IDs, least recently seen dropped first, in memory, and on disk as
// `<dataDir>/webhooks/<tree>.deliveries` (one ID per line, appended, newest last) so a restarted API still knows them.
// Appending keeps a webhook's cost one short write instead of rewriting 10,000 lines; the file is compacted to the
// kept IDs (temp file + rename) once it holds twice as many lines, and a torn last line after a crash is skipped on
// load. One API process owns the file (the API is a single process per data dir). An ID is claimed synchronously,
// so two identical deliveries at once cannot both pass; the push workflow ID (tree, branch, commit) stops a second
// start in Temporal anyway.

/** IDs remembered per tree: forges redeliver within hours to days; 10,000 covers that at any sane push rate. */
export const DELIVERIES_KEPT = 10_000;

/** What the forges send as delivery IDs (GUIDs, UUIDs); anything else is not used for deduplication. */
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function isUsableDeliveryId(id: string): boolean {
  return DELIVERY_ID.test(id);
}

export type DeliveryClaim =
  | { readonly duplicate: true }
  | {
      readonly duplicate: false;
      /** The delivery was acted on: remember it (in memory now, on disk before this resolves). */
      done(): Promise<void>;
      /** Nothing was started (the intake failed): the forge's redelivery must be able to try again. */
      release(): void;
    };

class TreeDeliveries {
  /** Insertion order is recency order: the first key is the least recently seen. */
  private readonly seen = new Map<string, true>();
  private readonly pending = new Set<string>();
  private lines = 0;
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly file: string, private readonly kept: number) {}

  async load(): Promise<void> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    for (const id of complete.split('\n')) {
      if (!isUsableDeliveryId(id)) continue;
      this.lines++;
      this.remember(id);
    }
  }

  claim(id: string): DeliveryClaim {
    if (this.seen.has(id) || this.pending.has(id)) {
      if (this.seen.has(id)) this.remember(id);
      return { duplicate: true };
    }
    this.pending.add(id);
    return {
      duplicate: false,
      done: async () => {
        this.pending.delete(id);
        this.remember(id);
        await this.persist(id);
      },
      release: () => { this.pending.delete(id); },
    };
  }

  private remember(id: string): void {
    this.seen.delete(id);
    this.seen.set(id, true);
    if (this.seen.size > this.kept) this.seen.delete(this.seen.keys().next().value!);
  }

  /** Writes one at a time, in order: an append never lands inside a compaction. */
  private persist(id: string): Promise<void> {
    const write = this.writes.then(async () => {
      if (this.lines + 1 > 2 * this.kept) {
        await writeFileAtomic(this.file, [...this.seen.keys()].map((i) => `${i}\n`).join(''));
        this.lines = this.seen.size;
        return;
      }
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      await fs.promises.appendFile(this.file, `${id}\n`);
      this.lines++;
    });
    this.writes = write.catch(() => undefined);
    return write;
  }
}

/** The delivery records of every tree, loaded from disk on first use. */
export class DeliveryRecord {
  private readonly trees = new Map<string, Promise<TreeDeliveries>>();

  constructor(private readonly layout: DataLayout, private readonly kept = DELIVERIES_KEPT) {}

  /** Claim a delivery ID for the tree: a duplicate when it was acted on (or is being acted on) already. */
  async claim(tree: string, id: string): Promise<DeliveryClaim> {
    let loaded = this.trees.get(tree);
    if (!loaded) {
      const deliveries = new TreeDeliveries(this.layout.webhookDeliveries(tree), this.kept);
      loaded = deliveries.load().then(() => deliveries);
      this.trees.set(tree, loaded);
      loaded.catch(() => this.trees.delete(tree));
    }
    // Synchronous from here: concurrent claims of the same ID are decided in the order they arrive.
    return (await loaded).claim(id);
  }
}
