import type { ErrorObject } from 'ajv';
import type { ConfigProblem } from './types';

// Turns schema errors into problems a person can act on: the field named the way they would write it
// (`trees[0].architectures[1]`) and a sentence instead of ajv's keyword jargon.

/** A field's location: property names and array indexes, from the root of the file. */
export type FieldPath = readonly (string | number)[];

export interface LocatedProblem {
  readonly at: FieldPath;
  readonly message: string;
}

export function formatPath(at: FieldPath): string {
  if (at.length === 0) return '(root)';
  return at.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join('');
}

export function toConfigProblem(p: LocatedProblem): ConfigProblem {
  return { path: formatPath(p.at), message: p.message };
}

function valueAt(data: unknown, at: FieldPath): unknown {
  let node = data;
  for (const seg of at) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

/** JSON pointer → path; a segment is an index only where the data really is an array there. */
function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  const at: (string | number)[] = [];
  if (pointer === '') return at;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    at.push(Array.isArray(valueAt(data, at)) && /^\d+$/.test(seg) ? Number(seg) : seg);
  }
  return at;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping (key: value)',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
};

function hint(err: ErrorObject): string | undefined {
  const schema = err.parentSchema as { errorHint?: unknown } | undefined;
  return typeof schema?.errorHint === 'string' ? schema.errorHint : undefined;
}

function knownFields(err: ErrorObject): string {
  const props = (err.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? ` (expected one of: ${Object.keys(props).join(', ')})` : '';
}

function explain(err: ErrorObject, at: FieldPath, data: unknown): LocatedProblem {
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { at: [...at, String(params.missingProperty)], message: 'is required' };
    case 'additionalProperties':
      return { at: [...at, String(params.additionalProperty)], message: `is not a known field${knownFields(err)}` };
    case 'type':
      return { at, message: `must be ${TYPE_WORDS[String(params.type)] ?? String(params.type)}` };
    case 'enum':
      return { at, message: `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'minItems':
      return { at, message: params.limit === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} items` };
    case 'minLength':
      return { at, message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters` };
    case 'uniqueItems': {
      const [first, dup] = [Number(params.i), Number(params.j)].sort((a, b) => a - b);
      return { at: [...at, dup], message: `repeats ${JSON.stringify(valueAt(data, [...at, dup]))} (already at [${first}])` };
    }
    default:
      return { at, message: hint(err) ?? err.message ?? `fails the ${err.keyword} rule` };
  }
}

export function schemaProblems(errors: readonly ErrorObject[], data: unknown): LocatedProblem[] {
  return errors.map((err) => explain(err, pointerToPath(err.instancePath, data), data));
}
