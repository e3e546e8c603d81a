import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestPush } from '../../api/intake/request-push';
import type { KilnConfig } from '../../domain/config';
import { testConfig } from '../helpers/config';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { runKiln, type RunningKiln } from '../helpers/kiln-workers';
import { PortsRepo } from '../helpers/ports-repo';
import { pushResultOf, pushStatusText } from '../helpers/push-result';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

// A package rebuilt alone in a later push still finds the build dependency an earlier push published: the push's
// WIP repository offers the branch's published packages it does not rebuild (they are in no Debian mirror).
describe('build dependencies from the published repository', () => {
  let t: TemporalTestContext;
  let repo: PortsRepo;
  let config: KilnConfig;
  let kiln: RunningKiln;

  beforeAll(async () => {
    t = await connectToTestServer();
    repo = new PortsRepo({ fromExamples: false });
    writeFixturePackage(repo.dir, { name: 'kiln-q-lib', version: '1.0', architecture: 'any' });
    writeFixturePackage(repo.dir, { name: 'kiln-q-app', version: '1.0', architecture: 'any', buildDepends: ['kiln-q-lib'],
      buildScript: 'test -f /usr/share/kiln-q-lib/kiln-q-lib.txt' });
    repo.commit('a library and its user');
    config = testConfig([{ name: `q${Date.now()}`, url: repo.dir, architectures: ['amd64'] }]);
    kiln = await runKiln(t, config);
  });

  afterAll(async () => {
    await kiln?.stop();
    await t?.close();
    repo?.cleanup();
  });

  const pushed = async (commit: string) => {
    const { workflowId } = await requestPush(t.client, { tree: config.trees[0].name, branch: 'main', commit }, 'test');
    const result = await pushResultOf(t.client, workflowId, 240_000);
    expect(result.outcome, await pushStatusText(t.client, workflowId)).toBe('succeeded');
    expect(result.status.publish?.outcome).toBe('published');
    return result;
  };

  it('rebuilds the user alone against the published library', async () => {
    await pushed(repo.git('rev-parse', 'HEAD'));
    writeFixturePackage(repo.dir, { name: 'kiln-q-app', version: '1.1', architecture: 'any', buildDepends: ['kiln-q-lib'],
      buildScript: 'test -f /usr/share/kiln-q-lib/kiln-q-lib.txt' });
    const second = await pushed(repo.commit('a new version of the user only'));
    expect(second.status.builds.map((b) => b.id)).toEqual(['kiln-q-app/amd64']);
    const log = fs.readFileSync(path.join(config.dataDir, second.status.builds[0].log!), 'utf8');
    expect(log).toMatch(/published_amd64/);
    expect(log).toMatch(/Unpacking kiln-q-lib \(1\.0\)/);
  }, 400_000);
});
