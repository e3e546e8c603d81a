import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FixturePackage {
  name: string;
  version: string;
  /** 'all' or 'any' */
  architecture: string;
  buildDepends?: string[];
  /** Runtime Depends besides ${misc:Depends}. */
  depends?: string[];
  /** Extra shell run by the build (override_dh_auto_build): `exit 1` makes a failing package, `sleep 30` a slow one. */
  buildScript?: string;
  /** More files of the recipe (path → text), written executable: maintainer scripts, an attack script. */
  extraFiles?: Record<string, string>;
}

/** Write a minimal native Debian source package (debhelper 13) that builds in a second or two. */
export function writeFixturePackage(dir: string, pkg: FixturePackage): string {
  const root = path.join(dir, pkg.name);
  fs.mkdirSync(path.join(root, 'debian', 'source'), { recursive: true });
  const write = (rel: string, text: string, mode = 0o644) => fs.writeFileSync(path.join(root, rel), text, { mode });
  write('debian/source/format', '3.0 (native)\n');
  write('debian/control', [
    `Source: ${pkg.name}`,
    'Section: misc',
    'Priority: optional',
    'Maintainer: Kiln Tests <tests@kiln.invalid>',
    `Build-Depends: ${['debhelper-compat (= 13)', ...(pkg.buildDepends ?? [])].join(', ')}`,
    'Standards-Version: 4.6.2',
    'Rules-Requires-Root: no',
    '',
    `Package: ${pkg.name}`,
    `Architecture: ${pkg.architecture}`,
    `Depends: ${['${misc:Depends}', ...(pkg.depends ?? [])].join(', ')}`,
    `Description: Kiln test package ${pkg.name}`,
    ' A fixture built by Kiln\'s tests.',
    '',
  ].join('\n'));
  write('debian/changelog', [
    `${pkg.name} (${pkg.version}) bookworm; urgency=medium`,
    '',
    '  * Test fixture.',
    '',
    ' -- Kiln Tests <tests@kiln.invalid>  Sat, 21 Nov 2026 12:00:00 +0000',
    '',
  ].join('\n'));
  write('debian/copyright', 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: Kiln Tests\nLicense: MIT\n');
  write('debian/rules', [
    '#!/usr/bin/make -f',
    '%:',
    '\tdh $@',
    '',
    'override_dh_auto_build:',
    `\techo "built ${pkg.name} ${pkg.version}" > ${pkg.name}.txt`,
    ...(pkg.buildScript ? [`\t${pkg.buildScript}`] : []),
    '',
  ].join('\n'), 0o755);
  write('debian/install', `${pkg.name}.txt usr/share/${pkg.name}/\n`);
  for (const [rel, text] of Object.entries(pkg.extraFiles ?? {})) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    write(rel, text, 0o755);
  }
  return root;
}
