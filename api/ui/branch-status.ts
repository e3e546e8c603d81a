import type { PushState } from '../../domain/push';
import type { Tone } from './format';

// One word (or two) for where a branch stands, as the dashboard and the badge say it: what is happening now wins
// over what is published.

export interface BranchStatus {
  message: string;
  tone: Tone;
}

export function branchStatus(branch: { snapshot?: { number: number }; lastPush?: { state: PushState } }): BranchStatus {
  const state = branch.lastPush?.state;
  if (state === 'planning' || state === 'building' || state === 'testing' || state === 'publishing') return { message: state, tone: 'active' };
  if (state === 'failed') return { message: 'failed', tone: 'bad' };
  if (state === 'cancelling') return { message: 'cancelling', tone: 'idle' };
  if (branch.snapshot) return { message: `published #${branch.snapshot.number}`, tone: 'ok' };
  if (state) return { message: state === 'succeeded' ? 'not published' : state, tone: 'idle' };
  return { message: 'not pushed', tone: 'idle' };
}
