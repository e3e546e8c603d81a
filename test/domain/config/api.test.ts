import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../domain/config';
import { BASE_DIR, configError, expectProblem, minimal } from './helpers';

// api.readsRequireToken: whether the REST API's reads need a token like its actions do.
describe('api.readsRequireToken', () => {
  it('defaults to false: reads are public', () => {
    expect(parseConfig(stringify(minimal()), BASE_DIR, {}).api.readsRequireToken).toBe(false);
  });

  it.each([true, false])('keeps %s as given', (value) => {
    const config = parseConfig(stringify({ ...minimal(), api: { port: 8080, readsRequireToken: value } }), BASE_DIR, {});
    expect(config.api.readsRequireToken).toBe(value);
  });

  it('must be a boolean', () => {
    const err = configError({ ...minimal(), api: { readsRequireToken: 'yes' } });
    expectProblem(err, 'api.readsRequireToken', 'must be true or false');
  });
});

// api.healthChecks: what /healthz checks; an API without a Docker engine (compose) checks Temporal only.
describe('api.healthChecks', () => {
  it('defaults to Temporal and Docker', () => {
    expect(parseConfig(stringify(minimal()), BASE_DIR, {}).api.healthChecks).toEqual(['temporal', 'docker']);
  });

  it('takes a subset', () => {
    expect(parseConfig(stringify({ ...minimal(), api: { healthChecks: ['temporal'] } }), BASE_DIR, {}).api.healthChecks).toEqual(['temporal']);
  });

  it('knows only temporal and docker, each once', () => {
    expect(configError({ ...minimal(), api: { healthChecks: ['temporal', 'redis'] } }).message).toMatch(/api\.healthChecks\[1\]/);
    expect(configError({ ...minimal(), api: { healthChecks: ['docker', 'docker'] } }).message).toMatch(/api\.healthChecks/);
  });
});
