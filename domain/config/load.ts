import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { KilnError } from '../errors';
import { deepFreeze } from './deep-freeze';
import { formatPath, schemaProblems, toConfigProblem, type FieldPath, type LocatedProblem } from './problems';
import { resolveConfig } from './resolve';
import { CONFIG_SCHEMA } from './schema';
import type { Env } from './secrets';
import { semanticProblems } from './semantic-checks';
import type { ConfigInput, KilnConfig } from './types';

// Reads the YAML, validates all of it (every problem in one error, not the first), resolves it, freezes it.

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
ajv.addVocabulary(['errorHint']);
const validate = ajv.compile<ConfigInput>(CONFIG_SCHEMA);

/** The line of the field's YAML node, or of its nearest existing parent (a missing field has no node). */
function lineOf(doc: Document, lines: LineCounter, at: FieldPath): number | undefined {
  for (let n = at.length; n > 0; n--) {
    const node: unknown = doc.getIn(at.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** One error listing every problem, in the order they appear in the file. */
function invalid(source: string, problems: LocatedProblem[], locate: (at: FieldPath) => number | undefined): KilnError {
  const located = problems
    .map((p, i) => ({ p, i, line: locate(p.at) }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || a.i - b.i);
  const lines = located.map(({ p, line }) => `  ${formatPath(p.at)}: ${p.message}${line === undefined ? '' : ` (line ${line})`}`);
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new KilnError('CONFIG_INVALID', `${source} is invalid (${count}):\n${lines.join('\n')}`, {
    problems: located.map(({ p }) => toConfigProblem(p)),
  });
}

function parseYaml(text: string, source: string): { doc: Document; lines: LineCounter; data: unknown } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((err) => {
      const { line, col } = lines.linePos(err.pos[0]);
      return { path: `line ${line}, column ${col}`, message: err.message };
    });
    const message = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
    throw new KilnError('CONFIG_INVALID', `${source} is not valid YAML:\n${message}`, { problems });
  }
  try {
    return { doc, lines, data: doc.toJS() };
  } catch (err) {
    // Alias bombs and similar: valid syntax, refused on expansion.
    throw new KilnError('CONFIG_INVALID', `${source} could not be read as YAML: ${(err as Error).message}`, {
      problems: [{ path: '(root)', message: (err as Error).message }],
    });
  }
}

function parseSource(text: string, baseDir: string, env: Env, source: string): KilnConfig {
  const { doc, lines, data } = parseYaml(text, source);
  const locate = (at: FieldPath) => lineOf(doc, lines, at);
  if (data === null || data === undefined) {
    throw invalid(source, [{ at: [], message: 'is empty; it needs at least dataDir and trees' }], locate);
  }
  const valid = validate(data);
  const problems = [...(valid ? [] : schemaProblems(validate.errors ?? [], data)), ...semanticProblems(data, baseDir)];
  if (!valid || problems.length > 0) throw invalid(source, problems, locate);

  const resolved = resolveConfig(data, baseDir, env);
  if (!resolved.ok) {
    const list = resolved.problems.map((p) => `  ${formatPath(p.at)}: ${p.message}`).join('\n');
    throw new KilnError('SECRET_UNREADABLE', `${source}: a secret could not be read:\n${list}`, {
      problems: resolved.problems.map(toConfigProblem),
    });
  }
  return deepFreeze(resolved.config);
}

/** Parse configuration text; relative paths resolve against `baseDir` (the config file's folder). */
export function parseConfig(text: string, baseDir: string, env: Env = process.env): KilnConfig {
  return parseSource(text, path.resolve(baseDir), env, 'the configuration');
}

/** Load the configuration file at `file` (the caller picks it: `--config`, KILN_CONFIG or the default). */
export function loadConfig(file: string, env: Env = process.env): KilnConfig {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
    throw new KilnError('CONFIG_NOT_FOUND', `the configuration file ${absolute} ${why}`, { file: absolute });
  }
  return parseSource(text, path.dirname(absolute), env, absolute);
}
