import { buildApp, type AppDeps } from '../../api/app';
import type { PushIntake } from '../../api/routes/webhooks';
import { parseConfig, type KilnConfig } from '../../domain/config';
import type { PushRef } from '../../domain/data-layout';

export const WEBHOOK_SECRET = 'correct horse battery staple';

/** A config for route tests: one tree with a webhook secret from the environment, one without. */
export function routeTestConfig(): KilnConfig {
  return parseConfig([
    'dataDir: /tmp/kiln-route-tests',
    'trees:',
    '  - { name: ports, url: /srv/ports, format: deb, distribution: bookworm, branches: [main, release/1.x], architectures: [amd64, i386], webhook: { secretEnv: KILN_TEST_SECRET } }',
    '  - { name: nohook, url: /srv/other, format: deb, distribution: bookworm, branches: [main], architectures: [amd64] }',
  ].join('\n'), '/tmp', { KILN_TEST_SECRET: WEBHOOK_SECRET });
}

/** The app with an intake that records what it was asked to start (route tests check what reached it). */
export function routeTestApp(
  health = { temporal: async () => undefined, docker: async () => undefined },
  webhooks: AppDeps['webhooks'] = {},
) {
  const started: Array<{ push: PushRef; requestedBy: string }> = [];
  const intake: PushIntake = async (push, requestedBy) => {
    started.push({ push, requestedBy });
    return { workflowId: `push/${push.tree}/${push.branch}/${push.commit}` };
  };
  const app = buildApp({ config: routeTestConfig(), health, intake, webhooks });
  return { app, started };
}
