import { branchNameProblem, classifyGitUrl } from './git-names';
import type { LocatedProblem } from './problems';

// Rules beyond the JSON schema. They run even when the schema found problems, so one run lists everything wrong;
// hence they read the raw data defensively and skip whatever has the wrong shape (the schema reports that).

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function semanticProblems(data: unknown): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const trees = isRecord(data) && Array.isArray(data.trees) ? data.trees : [];
  const firstIndexOfName = new Map<string, number>();

  trees.forEach((tree: unknown, i) => {
    if (!isRecord(tree)) return;
    if (typeof tree.name === 'string') {
      const first = firstIndexOfName.get(tree.name);
      if (first === undefined) firstIndexOfName.set(tree.name, i);
      else problems.push({ at: ['trees', i, 'name'], message: `repeats "${tree.name}" (already trees[${first}].name)` });
    }
    if (typeof tree.url === 'string' && tree.url !== '') {
      const url = classifyGitUrl(tree.url);
      if ('problem' in url) problems.push({ at: ['trees', i, 'url'], message: url.problem });
    }
    if (Array.isArray(tree.branches)) {
      tree.branches.forEach((branch: unknown, j) => {
        if (typeof branch !== 'string' || branch === '') return;
        const problem = branchNameProblem(branch);
        if (problem) problems.push({ at: ['trees', i, 'branches', j], message: `is not a valid git branch name: ${problem}` });
      });
    }
  });
  return problems;
}
