import { ResultRejected } from '../../domain/formats/result-rejected';
import { formatOf } from '../../domain/formats/registry';
import type { BuiltPackageEntry } from '../formats/format-io';
import { formatIO } from '../formats/registry';
import type { BuildRequest } from './build-request';
import { isSourceFileName as isSourceResult } from '../../domain/formats/deb/source-package';

const MAX_RESULT_FILES = 200;

/**
 * The boundary's checks of what a build left, against the format and the recipe: names a build of the format makes,
 * each package readable and of the planned name, version and arch. Throws ResultRejected. The build worker runs it
 * before uploading anything (a rejected build sends nothing), the orchestrator again on what is in the store (it
 * trusts no worker either).
 */
export async function checkResults(request: BuildRequest, results: Array<{ name: string; file: string }>): Promise<Map<string, BuiltPackageEntry>> {
  const format = formatOf(request.format);
  const io = formatIO(request.format);
  if (results.length > MAX_RESULT_FILES) throw new ResultRejected(`a build may leave at most ${MAX_RESULT_FILES} files`);
  const entries = new Map<string, BuiltPackageEntry>();
  const names = new Set<string>();
  for (const result of results) {
    if (typeof result.name !== 'string' || result.name.includes('/') || !format.isResultName(result.name)) {
      throw new ResultRejected(`${JSON.stringify(result.name)} is not a result a ${format.label} build makes`);
    }
    if (names.has(result.name)) throw new ResultRejected(`${result.name} is listed twice`);
    names.add(result.name);
    if (!format.isPackageFile(result.name)) continue;
    const entry = await io.readBuiltPackage(result.file).catch((err: unknown) => {
      if (err instanceof ResultRejected) throw new ResultRejected(`${result.name}: ${err.message}`);
      throw new ResultRejected(`${result.name} is not a readable package (${String((err as Error).message ?? err).split('\n')[0]})`);
    });
    io.checkBuiltPackage(result.name, entry, { arch: request.arch, scope: request.scope, version: request.version, binaries: request.binaries });
    entries.set(result.name, entry);
  }
  if (entries.size === 0) throw new ResultRejected(`the build produced no package (${format.label})`);
  const sourceFiles = results.filter((r) => format.sourcePackages && !format.isPackageFile(r.name) && io.readSourcePackage && isSourceResult(r.name));
  if (sourceFiles.length > 0) {
    if (!request.withSource) throw new ResultRejected(`${sourceFiles[0].name}: this build was not asked for the source package (another build of ${request.source} makes it)`);
    const sources = await io.readSourcePackage!(sourceFiles, { source: request.source, version: request.version });
    for (const [name, entry] of sources) entries.set(name, entry);
  }
  return entries;
}
