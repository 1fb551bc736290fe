/** Finished real runs, kept a while so an observe exercise can be checked against one (by run id and client). */
import type { RealReport } from '../../common/api/real.js';

const KEEP = 16;
const runs = new Map<string, { client: string; report: RealReport }>();

export function rememberRun(runId: string, client: string, report: RealReport): void {
  runs.set(runId, { client, report });
  while (runs.size > KEEP) runs.delete(runs.keys().next().value!);
}

/** a finished run of this client, or undefined (unknown, another client's, or stopped before the end) */
export function finishedRun(runId: string, client: string): RealReport | undefined {
  const r = runs.get(runId);
  return r && r.client === client && !r.report.stopped ? r.report : undefined;
}
