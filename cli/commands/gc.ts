import { parseArgs } from 'node:util';
import { reportLines, type GcReport } from '../../domain/gc-report';
import { API_OPTIONS, positionals, type Command } from '../command';
import { EXIT } from '../cli-error';

export const gcCommand: Command = {
  name: 'gc',
  synopsis: [['gc [--dry-run] [--verbose]', 'collect garbage in the data dir now (it also runs every retention.gcEveryHours)']],
  help: `usage: kiln gc [--dry-run] [--verbose] [--json]

Remove what the repository no longer needs: store files no kept snapshot, build record or running push references;
build records, push records and logs unused for longer than retention.logsDays (except a kept snapshot's); WIP
repositories of finished pushes; build work dirs and recipe exports left behind. Never what a running push or a kept
snapshot needs. Waits until it is done; needs an API token.

  --dry-run   remove nothing: say what would go, and how much it would free
  --verbose   also list (up to 20 per kind) what goes
  --json      the report as JSON (POST /api/gc)`,

  async run(argv, ctx) {
    const { values, positionals: args } = parseArgs({
      args: argv, allowPositionals: true,
      options: { ...API_OPTIONS, 'dry-run': { type: 'boolean' }, verbose: { type: 'boolean' } },
    });
    positionals(args, []);
    const client = ctx.client(values);
    const dryRun = values['dry-run'] === true;
    if (!ctx.out.json) ctx.out.line(dryRun ? 'kiln gc: looking for what would go (dry run)...' : 'kiln gc: collecting...');
    const report = await client.post<GcReport>('/api/gc', { dryRun }, { untimed: true });
    if (ctx.out.json) ctx.out.document(report);
    else for (const line of reportLines(report, values.verbose === true)) ctx.out.line(line);
    return EXIT.ok;
  },
};
