import type { PushState } from '../../domain/push';

// How times, durations, commits and states read on the pages (and in the badge). Times are UTC, always.

export type Tone = 'ok' | 'active' | 'bad' | 'warn' | 'idle';

const PUSH_TONES: Record<PushState, Tone> = {
  planning: 'active', building: 'active', testing: 'active', publishing: 'active', failed: 'bad', succeeded: 'ok',
  cancelling: 'idle', cancelled: 'idle', superseded: 'idle',
};

const BUILD_TONES: Record<string, Tone> = {
  waiting: 'idle', building: 'active', succeeded: 'ok', failed: 'bad', cancelled: 'idle', blocked: 'warn',
};

export function pushTone(state: PushState): Tone {
  return PUSH_TONES[state] ?? 'idle';
}

const TEST_TONES: Record<string, Tone> = {
  waiting: 'idle', testing: 'active', passed: 'ok', failed: 'bad', cancelled: 'idle',
};

export function installTestTone(state: string): Tone {
  return TEST_TONES[state] ?? 'idle';
}

export function buildTone(state: string): Tone {
  return BUILD_TONES[state] ?? 'idle';
}

export function shortCommit(commit: string): string {
  return commit.slice(0, 10);
}

/** `2024-05-01 12:03:04 UTC`, or an empty string for no time. */
export function formatTime(time: number | string | undefined): string {
  if (time === undefined) return '';
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function isoTime(time: number | string | undefined): string | undefined {
  if (time === undefined) return undefined;
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** `45s`, `3m 05s`, `2h 03m`; under a second: `<1s`. The client script formats the same way. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const s = Math.floor(ms / 1000);
  if (s < 1) return '<1s';
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** A build's or push's time: finished − started, or so far (running). */
export function elapsed(startedAt: number | undefined, finishedAt: number | undefined, now = Date.now()): string {
  if (startedAt === undefined) return '';
  return formatDuration((finishedAt ?? now) - startedAt);
}
