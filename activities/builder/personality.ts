// 32-bit userlands on a 64-bit kernel must see a 32-bit `uname -m`, or configure scripts and dpkg tools guess wrong.
const PERSONALITY_32 = new Set(['i386', 'i686', 'armhf', 'armel']);

export function inArchPersonality(arch: string, cmd: string[]): string[] {
  return PERSONALITY_32.has(arch) ? ['linux32', ...cmd] : cmd;
}
