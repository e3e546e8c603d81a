// Pushes watched for the live grid: one poll loop per push however many pages follow it, started by the first
// subscriber and stopped (timer cleared) when the last one leaves or the push ends. No timer outlives its listeners.

export interface WatchState {
  /** The push as the client gets it (JSON), or undefined when it is not known (any more). */
  json?: string;
  /** Nothing will change any more: listeners get `end` and are dropped. */
  ended: boolean;
}

export interface WatchListener {
  update(json: string): void;
  /** The push ended: nothing more will come. */
  end(): void;
  /** The server closes: the client should come back later. */
  stop(): void;
}

interface Watch {
  load: () => Promise<WatchState>;
  listeners: Set<WatchListener>;
  last?: string;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

export class PushWatches {
  private readonly watches = new Map<string, Watch>();

  constructor(private readonly pollMs: number, private readonly onError: (err: unknown) => void = () => undefined) {}

  /** Pushes being polled now. */
  get active(): number {
    return this.watches.size;
  }

  /** Follow a push: the listener gets its state now (or after the first poll) and each change; returns unsubscribe. */
  subscribe(key: string, load: () => Promise<WatchState>, listener: WatchListener): () => void {
    let watch = this.watches.get(key);
    if (!watch) {
      watch = { load, listeners: new Set(), stopped: false };
      this.watches.set(key, watch);
      watch.listeners.add(listener);
      void this.poll(key, watch);
    } else {
      watch.listeners.add(listener);
      if (watch.last !== undefined) listener.update(watch.last);
    }
    const w = watch;
    return () => {
      w.listeners.delete(listener);
      if (w.listeners.size === 0) this.stop(key, w);
    };
  }

  /** End every watch (the server closes): listeners get `stop`. */
  closeAll(): void {
    for (const [key, watch] of this.watches) {
      for (const l of watch.listeners) l.stop();
      this.stop(key, watch);
    }
  }

  private stop(key: string, watch: Watch): void {
    watch.stopped = true;
    clearTimeout(watch.timer);
    watch.listeners.clear();
    if (this.watches.get(key) === watch) this.watches.delete(key);
  }

  private async poll(key: string, watch: Watch): Promise<void> {
    if (watch.stopped) return;
    let state: WatchState | undefined;
    try {
      state = await watch.load();
    } catch (err) {
      this.onError(err);
    }
    if (watch.stopped) return;
    if (state?.json !== undefined && state.json !== watch.last) {
      watch.last = state.json;
      for (const l of watch.listeners) l.update(state.json);
    }
    if (state?.ended) {
      for (const l of watch.listeners) l.end();
      this.stop(key, watch);
      return;
    }
    watch.timer = setTimeout(() => void this.poll(key, watch), this.pollMs);
  }
}
