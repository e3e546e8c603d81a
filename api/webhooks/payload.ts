import { KilnError } from '../../domain/errors';
import type { PushFields, WebhookResult } from './types';

// The provider-independent half of push parsing: JSON body, field validation, and the rules that turn a valid
// push into "build this" or "ignore, because".

const COMMIT = /^[0-9a-f]{40}$/i;
const ZERO_COMMIT = /^0{40}$/;

function invalid(message: string): KilnError {
  return new KilnError('WEBHOOK_PAYLOAD_INVALID', message);
}

/** A short, printable rendering of a bad value for an error message. */
function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function parseJsonBody(rawBody: Buffer): Readonly<Record<string, unknown>> {
  const text = rawBody.toString('utf8');
  if (text.startsWith('payload=')) {
    throw invalid('the body is form-encoded; set the webhook\'s content type to application/json');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(`the body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('the body is JSON but not an object');
  }
  return value as Record<string, unknown>;
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function record(value: unknown): Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function commitField(name: 'before' | 'after', value: unknown): string {
  if (value === undefined || value === null) throw invalid(`the payload has no "${name}" commit`);
  if (typeof value !== 'string' || !COMMIT.test(value)) {
    throw invalid(`the payload's "${name}" must be a 40-digit hex commit id, got ${shown(value)}`);
  }
  return value.toLowerCase();
}

function refField(value: unknown): string {
  if (value === undefined || value === null) throw invalid('the payload has no "ref" (expected e.g. "refs/heads/main")');
  if (typeof value !== 'string' || !value.startsWith('refs/')) {
    throw invalid(`the payload's "ref" must be a full git ref such as "refs/heads/main", got ${shown(value)}`);
  }
  return value;
}

/** Validates the fields, then decides: a push to build, or a reason to ignore it. */
export function classifyPush(fields: PushFields, branches: readonly string[]): WebhookResult {
  const ref = refField(fields.ref);
  const before = commitField('before', fields.before);
  const after = commitField('after', fields.after);

  if (ref.startsWith('refs/tags/')) return { kind: 'ignored', reason: `tag push (${ref}): Kiln builds branches only` };
  if (!ref.startsWith('refs/heads/')) return { kind: 'ignored', reason: `${ref} is not a branch` };
  const branch = ref.slice('refs/heads/'.length);
  // A real push always moves the ref; Gitea's and Forgejo's "Test Delivery" sends before = after (the branch head,
  // or all zeros in an empty repository).
  if (before === after) return { kind: 'ignored', reason: `test delivery for branch "${branch}": the ref did not move` };
  if (fields.deleted || ZERO_COMMIT.test(after)) {
    return { kind: 'ignored', reason: `branch "${branch}" was deleted: a deletion builds nothing` };
  }
  if (!branches.includes(branch)) {
    return { kind: 'ignored', reason: `branch "${branch}" is not built by this tree (configured: ${branches.join(', ')})` };
  }
  return {
    kind: 'push',
    branch,
    commit: after,
    before,
    ...(fields.repositoryUrl === undefined ? {} : { repositoryUrl: fields.repositoryUrl }),
    ...(fields.pusher === undefined ? {} : { pusher: fields.pusher }),
  };
}
