import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPENDENCY_CAPABILITIES, Sandbox } from '../../../activities/docker/sandbox';
import { builderImageTag } from '../../../domain/builder-image';

// A build's container as the engine holds it: what it may do, what the engine keeps of it, and the end of the
// privileged phase (no process of it lives on into the build step). Real engine, real builder image.

let sandbox: Sandbox;
/** `pid args` of every process (the image has no ps). */
const PROCESSES = 'for d in /proc/[0-9]*; do printf "%s " "${d#/proc/}"; tr "\\0" " " <"$d/cmdline"; echo; done 2>/dev/null';
const run = async (cmd: string, user = 'root') => {
  let output = '';
  const code = await sandbox.exec(['sh', '-c', cmd], { user, onOutput: (c) => { output += c.toString(); } });
  return { code, output };
};

beforeAll(async () => {
  sandbox = await Sandbox.create({
    image: builderImageTag('bookworm', 'amd64'), binds: [], network: 'none',
    memoryMb: 256, cpus: 1, pids: 64, diskMb: 64, labels: { 'org.kiln.test': 'sandbox' },
  });
});

afterAll(async () => { await sandbox?.remove(); });

describe('build sandbox', () => {
  it('drops every capability but installation\'s, sets no-new-privileges, and the engine keeps no log', async () => {
    const info = await sandbox.container.inspect();
    const host = info.HostConfig as { CapDrop: string[]; CapAdd: string[]; SecurityOpt: string[]; LogConfig: { Type: string }; PidsLimit: number; Init: boolean; StorageOpt: Record<string, string> };
    expect(host.CapDrop).toEqual(['ALL']);
    expect([...host.CapAdd].sort()).toEqual([...DEPENDENCY_CAPABILITIES].sort());
    for (const never of ['MKNOD', 'NET_RAW', 'NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE']) expect(host.CapAdd).not.toContain(never);
    expect(host.SecurityOpt).toContain('no-new-privileges');
    expect(host.LogConfig.Type).toBe('none');
    expect(host.PidsLimit).toBe(64);
    expect(host.Init).toBe(true);
    expect(host.StorageOpt.size).toMatch(/^\d+M$/);
  });

  it('kills what the privileged phase left running, and only that', async () => {
    // Two leftovers of a "maintainer script": a root daemon and a process of the build user.
    expect((await run("nohup sh -c 'exec sleep 300' >/dev/null 2>&1 & nohup setpriv --reuid=1000 --regid=1000 --clear-groups sleep 301 >/dev/null 2>&1 &")).code).toBe(0);
    const before = await run(PROCESSES);
    expect(before.output).toMatch(/sleep 300/);
    expect(before.output).toMatch(/sleep 301/);

    expect(await sandbox.killStrays()).toBe(2);
    const after = await run(PROCESSES);
    expect(after.output).not.toMatch(/sleep 30[01]/);
    // docker-init and the idle main process live on: the container still runs and takes the next phase.
    expect(after.output).toMatch(/^\s*1 .*docker-init/m);
    expect(after.output).toMatch(/sleep infinity/);
    expect(await sandbox.killStrays()).toBe(0);
    expect((await run('id -u', 'builder')).output.trim()).toBe('1000');
  });
});
