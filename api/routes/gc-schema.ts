import { GC_CATEGORIES } from '../../domain/gc-report';

// The answer of POST /api/gc (domain/gc-report.ts), for the OpenAPI document and the response serializer.

const category = {
  type: 'object',
  required: ['count', 'bytes', 'examples'],
  properties: {
    count: { type: 'integer' },
    bytes: { type: 'integer', description: 'Bytes freed: files whose last link went.' },
    examples: { type: 'array', items: { type: 'string' }, description: 'Up to 20 of them, relative to the data dir.' },
  },
} as const;

export const gcReportSchema = {
  type: 'object',
  description: 'What the collection removed (dryRun: would remove), per category.',
  required: ['dryRun', 'startedAt', 'finishedAt', 'runningPushes', 'keptSnapshots', 'categories'],
  properties: {
    dryRun: { type: 'boolean' },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    runningPushes: { type: 'integer' },
    keptSnapshots: { type: 'integer' },
    categories: {
      type: 'object',
      required: [...GC_CATEGORIES],
      properties: Object.fromEntries(GC_CATEGORIES.map((c) => [c, category])),
    },
  },
} as const;
