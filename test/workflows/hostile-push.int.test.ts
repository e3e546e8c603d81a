import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestPush } from '../../api/intake/request-push';
import type { KilnConfig } from '../../domain/config';
import { testConfig } from '../helpers/config';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { runKiln, type RunningKiln } from '../helpers/kiln-workers';
import { PortsRepo } from '../helpers/ports-repo';
import { pushStatusUntil } from '../helpers/push-status';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

// A hostile recipe inside an ordinary push, through the whole workflow: it ends as one failed build after one
// attempt (a rejected result is not retried), while the rest of the push, a dependency chain through the WIP
// repository, builds on the same workers.
describe('a push with a hostile recipe', () => {
  let t: TemporalTestContext;
  let repo: PortsRepo;
  let config: KilnConfig;
  let kiln: RunningKiln;

  beforeAll(async () => {
    t = await connectToTestServer();
    repo = new PortsRepo({ fromExamples: false });
    writeFixturePackage(repo.dir, { name: 'kiln-h-lib', version: '1.0', architecture: 'any' });
    writeFixturePackage(repo.dir, { name: 'kiln-h-app', version: '1.0', architecture: 'any', buildDepends: ['kiln-h-lib'],
      buildScript: 'test -f /usr/share/kiln-h-lib/kiln-h-lib.txt' });
    writeFixturePackage(repo.dir, { name: 'kiln-h-evil', version: '1.0', architecture: 'any',
      buildScript: 'ln -s /etc/hostname /home/builder/out/stolen.changes' });
    repo.commit('two good packages and a hostile one');
    config = testConfig([{ name: `h${Date.now()}`, url: repo.dir, architectures: ['amd64'] }]);
    kiln = await runKiln(t, config);
  });

  afterAll(async () => {
    await kiln?.stop();
    await t?.close();
    repo?.cleanup();
  });

  it('fails the hostile build once, clearly, and builds the rest', async () => {
    const { workflowId } = await requestPush(t.client, { tree: config.trees[0].name, branch: 'main', commit: repo.git('rev-parse', 'HEAD') }, 'test');
    const status = await pushStatusUntil(t.client, workflowId, (s) => s.state === 'failed', 150_000);
    const byId = new Map(status.builds.map((b) => [b.id, b]));
    expect(byId.get('kiln-h-lib/amd64')!.state).toBe('succeeded');
    expect(byId.get('kiln-h-app/amd64')!.state).toBe('succeeded');
    const evil = byId.get('kiln-h-evil/amd64')!;
    expect(evil.state).toBe('failed');
    expect(evil.error).toMatchObject({ type: 'BuildResultRejected' });
    expect(evil.error!.message).toContain('symbolic link');
    const log = fs.readFileSync(path.join(config.dataDir, evil.log), 'utf8');
    expect(log.match(/===== kiln: building kiln-h-evil/g)).toHaveLength(1);
    expect(log).toContain('results rejected');
    await t.client.workflow.getHandle(workflowId).terminate('test done');
  });
});
