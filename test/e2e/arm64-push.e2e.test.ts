import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestPush } from '../../api/intake/request-push';
import type { KilnConfig } from '../../domain/config';
import { APT_TEST_KEYRING, aptInstall } from '../helpers/apt-client';
import { testConfig } from '../helpers/config';
import { writeFixturePackage } from '../helpers/deb-fixtures';
import { runKiln, type RunningKiln } from '../helpers/kiln-workers';
import { PortsRepo } from '../helpers/ports-repo';
import { pushResultOf, pushStatusText } from '../helpers/push-result';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

// arm64, emulated (qemu-user-static through binfmt_misc, which setup registers): a push builds in the arm64 builder
// image (its `uname -m` is aarch64), install-tests there, publishes, and stock apt in an arm64 container installs it.
describe('an arm64 tree (emulated)', () => {
  let t: TemporalTestContext;
  let repo: PortsRepo;
  let config: KilnConfig;
  let kiln: RunningKiln;

  beforeAll(async () => {
    t = await connectToTestServer();
    repo = new PortsRepo({ fromExamples: false });
    // Make doubles `$`: the shell sees $(uname -m).
    writeFixturePackage(repo.dir, {
      name: 'kiln-a-tool', version: '1.0', architecture: 'any',
      buildScript: 'test "$$(uname -m)" = aarch64 && uname -m >> kiln-a-tool.txt',
    });
    config = testConfig([{ name: `a${Date.now()}`, url: repo.dir, architectures: ['arm64'], installTest: true }]);
    kiln = await runKiln(t, config);
  });

  afterAll(async () => {
    await kiln?.stop();
    await t?.close();
    repo?.cleanup();
  });

  it('builds with uname -m aarch64, install-tests, publishes, and apt on arm64 installs it', async () => {
    const tree = config.trees[0].name;
    const { workflowId } = await requestPush(t.client, { tree, branch: 'main', commit: repo.commit('one arm64 package') }, 'test');
    const result = await pushResultOf(t.client, workflowId, 600_000);
    expect(result.outcome, await pushStatusText(t.client, workflowId)).toBe('succeeded');
    expect(result.status.builds.map((b) => `${b.id} ${b.state}`)).toEqual(['kiln-a-tool/arm64 succeeded']);
    expect(result.status.builds[0].artifacts?.map((a) => a.architecture)).toContain('arm64');
    expect(result.status.installTests?.map((x) => `${x.id} ${x.state}`)).toEqual(['kiln-a-tool/arm64 passed']);

    const repoUrl = `${kiln.baseUrl}/repos/${tree}/main`;
    const keyring = Buffer.from(await (await fetch(`${repoUrl}/kiln-archive-keyring.gpg`)).arrayBuffer());
    const apt = await aptInstall({
      arch: 'arm64', keyring, sourcesLine: `deb [signed-by=${APT_TEST_KEYRING}] ${repoUrl} main main`, packages: ['kiln-a-tool'],
      extraCommands: ['cat /usr/share/kiln-a-tool/kiln-a-tool.txt', 'dpkg --print-architecture', 'uname -m'], timeoutMs: 300_000,
    });
    expect(apt.exitCode, apt.output).toBe(0);
    expect(apt.output).toMatch(/built kiln-a-tool 1\.0\naarch64/);
    expect(apt.output).toMatch(/==> dpkg --print-architecture\narm64/);
  }, 900_000);
});
