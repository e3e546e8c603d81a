import { spawn } from 'node:child_process';
import * as os from 'node:os';
import type { MailConfig, NotifyTarget, PushEventName } from '../../domain/config';
import { deliveryId, notificationBody, notificationMail, type PushReport } from '../../domain/report/push-report';
import { DELIVERY_HEADER, SIGNATURE_HEADER, describeUrl, hmacSignature, postOnce, type PostFailure, type PostResult } from '../lib/http-post';

// A push's end, told to the people and programs the tree names: a signed JSON POST, or an e-mail handed to the
// local sendmail (exim4, msmtp, postfix: whichever the host runs). Both return a result; the caller retries.

export const EVENT_HEADER = 'X-Kiln-Event';

export function describeNotifyTarget(target: NotifyTarget): string {
  return target.kind === 'http' ? `notify ${describeUrl(target.url)}` : `mail to ${target.to.join(', ')}`;
}

export async function notifyHttp(
  target: Extract<NotifyTarget, { kind: 'http' }>,
  report: PushReport & { event: PushEventName },
  pushUrl: string,
  signal?: AbortSignal,
): Promise<PostResult> {
  const body = Buffer.from(JSON.stringify(notificationBody(report, pushUrl)));
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    [EVENT_HEADER]: report.event,
    [DELIVERY_HEADER]: deliveryId(report),
  };
  if (target.secret) headers[SIGNATURE_HEADER] = hmacSignature(target.secret.reveal(), body);
  return postOnce(describeNotifyTarget(target), target.url, body, headers, { signal, timeoutMs: 20_000 });
}

const MAIL_TIMEOUT_MS = 60_000;
const STDERR_MAX = 2_000;

/**
 * Hand the message to sendmail: `-oi` (a lone dot does not end it), `-f <from>` (the envelope sender), then `--`
 * and the recipients, so no address is read as an option. No shell. Exit 0: accepted for delivery.
 */
export async function notifyMail(
  target: Extract<NotifyTarget, { kind: 'email' }>,
  mail: MailConfig,
  report: PushReport & { event: PushEventName },
  pushUrl: string,
  signal?: AbortSignal,
): Promise<{ ok: true } | { ok: false; failure: PostFailure }> {
  const name = describeNotifyTarget(target);
  const message = notificationMail(report, { from: mail.from, to: target.to, url: pushUrl, host: os.hostname() });
  return new Promise((resolve) => {
    let stderr = '';
    let settled = false;
    const done = (result: { ok: true } | { ok: false; failure: PostFailure }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(mail.sendmail, ['-oi', '-f', mail.from, '--', ...target.to], { stdio: ['pipe', 'ignore', 'pipe'], signal });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ ok: false, failure: { message: `${name}: ${mail.sendmail} did not finish within ${MAIL_TIMEOUT_MS / 1000} s`, reason: 'timeout', retryable: true } });
    }, MAIL_TIMEOUT_MS);
    child.stderr.on('data', (chunk: Buffer) => { if (stderr.length < STDERR_MAX) stderr += chunk.toString('utf8'); });
    child.on('error', (err: NodeJS.ErrnoException) => {
      // A missing sendmail needs a person (install exim4 or msmtp, or fix mail.sendmail); other spawn errors may pass.
      const missing = err.code === 'ENOENT' || err.code === 'EACCES';
      done({ ok: false, failure: { message: `${name}: cannot run ${mail.sendmail} (${err.code ?? err.message})`, reason: 'destination', retryable: !missing } });
    });
    child.on('close', (code, sig) => {
      if (code === 0) return done({ ok: true });
      const why = stderr.trim().replace(/\s+/g, ' ').slice(0, 300);
      done({
        ok: false,
        failure: { message: `${name}: ${mail.sendmail} exited ${code ?? sig}${why ? `: ${why}` : ''}`, reason: 'remote', retryable: true, output: why },
      });
    });
    child.stdin.on('error', () => undefined); // a sendmail that exits early: its exit status says why
    child.stdin.end(message);
  });
}
