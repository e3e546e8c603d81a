import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WipKey } from '../../../activities/wip/wip-key';

// The WIP key signs in the orchestrator's process; what it signs must verify with stock gpgv against the keyring
// build containers get, and fail to once changed.
describe('WipKey', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-wip-key-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const gpgv = (file: string, keyring: string) =>
    execFileSync('gpgv', ['--keyring', keyring, file], { stdio: ['ignore', 'pipe', 'pipe'] });

  it('clear-signs a Release that gpgv verifies with wip.gpg, and the same key after a restart', async () => {
    const release = 'Origin: Kiln WIP\nLabel: x\nDate: Thu, 03 Dec 2026 05:00:00 UTC\nSHA256:\n 0123 10 Packages\n';
    const first = new WipKey(dir);
    const fpr = await first.ensure();
    const signed = await first.clearsign(release);
    expect(signed).toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----\n/);
    expect(signed).toContain(release.trimEnd());
    fs.writeFileSync(path.join(dir, 'InRelease'), signed);
    expect(() => gpgv(path.join(dir, 'InRelease'), first.publicKeyring)).not.toThrow();

    // Another process (a restarted orchestrator) signs with the key it finds, not a new one.
    const again = new WipKey(dir);
    expect(await again.ensure()).toBe(fpr);
    fs.writeFileSync(path.join(dir, 'InRelease.2'), await again.clearsign(release));
    expect(() => gpgv(path.join(dir, 'InRelease.2'), again.publicKeyring)).not.toThrow();

    fs.writeFileSync(path.join(dir, 'Tampered'), signed.replace('Packages', 'Packagez'));
    expect(() => gpgv(path.join(dir, 'Tampered'), first.publicKeyring)).toThrow(/BAD signature|Command failed/);
  });
});
