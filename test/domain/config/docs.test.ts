import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_API, DEFAULT_BUILD, DEFAULT_PUBLISH, DEFAULT_RETENTION, DEFAULT_SIGNER, DEFAULT_TEMPORAL } from '../../../domain/config';
import { PROJECT_ROOT } from '../../../domain/project-paths';
import { CONFIG_SCHEMA } from '../../../domain/config/schema';

// docs/CONFIGURATION.md must state the defaults the code applies and document every field the schema accepts.
const doc = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'CONFIGURATION.md'), 'utf8');

function fieldNames(schema: unknown): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const { properties, items } = schema as { properties?: Record<string, unknown>; items?: unknown };
  return [
    ...Object.entries(properties ?? {}).flatMap(([name, child]) => [name, ...fieldNames(child)]),
    ...fieldNames(items),
  ];
}

describe('docs/CONFIGURATION.md', () => {
  it.each(Object.entries({ ...DEFAULT_API, ...DEFAULT_TEMPORAL, ...DEFAULT_BUILD, ...DEFAULT_PUBLISH, ...DEFAULT_SIGNER, ...DEFAULT_RETENTION }))('states the default of %s', (field, value) => {
    expect(doc).toContain(`| \`${field}\` | \`${String(value)}\` |`);
  });

  it.each([...new Set(fieldNames(CONFIG_SCHEMA))])('documents %s', (field) => {
    expect(doc).toMatch(new RegExp(`^\\| \`${field}\` \\|`, 'm'));
  });
});
