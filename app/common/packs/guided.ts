/**
 * Guided labs over the simulator: walking a lab's stages through its scenario, and proving that
 * every highlight points at something that exists at its stage (a VMA of the process, a frame of
 * the machine, a counter, a statechart state entered so far, a kernel log line written so far).
 * pack check uses this; the guided view (issue 6) can use walkStages for where each stage stands.
 */
import { LOG_PANES, logLineMatches, splitCounter, vmaNames } from '../api/highlight.js';
import { formatFault } from '../kernel/trace.js';
import { parseScenario, pmap, Runner, ScenarioError } from '../kernel/index.js';
import type { Exercise } from './schema.js';

type Lab = Extract<Exercise, { kind: 'guided' }>;

export interface HighlightProblem {
  /** front-matter field, e.g. stages.2.highlight.0 */
  field: string;
  message: string;
}


/** Run the lab's scenario stage by stage and check each stage's highlights there. */
export function checkHighlights(lab: Lab, scenarioText: (ref: string) => string): HighlightProblem[] {
  const problems: HighlightProblem[] = [];
  let r: Runner;
  try {
    r = new Runner(parseScenario(scenarioText(lab.scenario), lab.scenario));
  } catch (err) {
    return [{ field: 'scenario', message: err instanceof Error ? err.message : String(err) }];
  }
  const visited = new Set<string>(r.activeStates());
  let target = 0;
  for (const [i, st] of lab.stages.entries()) {
    target += st.advance;
    if (target > r.scenario.steps.length) {
      problems.push({ field: `stages.${i}.advance`, message: `stage '${st.id}' goes to step ${target}, but the scenario has ${r.scenario.steps.length} steps` });
      break;
    }
    while (r.pos < target && !r.done) {
      try {
        r.step();
      } catch (err) {
        if (!(err instanceof ScenarioError)) throw err;
      }
      for (const v of r.run.visited) visited.add(v);
      for (const v of r.activeStates()) visited.add(v);
    }
    const snap = r.snapshot(st.id);
    st.highlight.forEach((h, j) => {
      const field = `stages.${i}.highlight.${j}`;
      const bad = (what: string) => problems.push({ field, message: `stage '${st.id}' (step ${target}) highlights ${what}` });
      if ('vma' in h) {
        const tasks = h.process ? r.k.tasks.filter((t) => t.name === h.process) : r.k.tasks;
        if (h.process && !tasks.length) return bad(`a VMA of '${h.process}', a process the scenario does not have`);
        const found = tasks.some((t) => pmap(r.k, t).some((row) => vmaNames(row).includes(h.vma)));
        if (!found) bad(`the VMA '${h.vma}'${h.process ? ` of ${h.process}` : ''}, which does not exist at that step`);
      } else if ('frame' in h) {
        const frames = r.k.frames.kind.length;
        if (h.frame >= frames) bad(`frame ${h.frame}, but the machine has ${frames} frames`);
      } else if ('counter' in h) {
        // process names may hold dots (a.out): the field is the last part
        const { owner, field } = splitCounter(h.counter);
        const ok =
          owner === 'vmstat' || owner === 'meminfo'
            ? Object.prototype.hasOwnProperty.call(snap[owner], field)
            : !!snap.processes[owner] && Object.prototype.hasOwnProperty.call(snap.processes[owner], field);
        if (!ok) bad(`the counter '${h.counter}', which does not exist at that step`);
      } else if ('state' in h) {
        if (!visited.has(h.state)) bad(`the state '${h.state}', which the kernel has not entered by then (entered: ${[...visited].sort().join(', ')})`);
      } else if ('log' in h) {
        const panes = h.in ? [h.in] : LOG_PANES;
        const lines: string[] = [];
        if (panes.includes('dmesg')) lines.push(...r.report.log.filter((l) => l.step <= target).map((l) => l.text));
        if (panes.includes('strace')) lines.push(...r.report.syscalls.filter((c) => c.step <= target).map((c) => `${c.proc}: ${c.text}`));
        if (panes.includes('faults')) for (let k = 0; k < r.k.trace.length; k++) lines.push(formatFault(r.k.trace.entry(k)));
        if (!lines.some((l) => logLineMatches(h.log, l)))
          bad(`the log line '${h.log}', which ${h.in ? `the ${h.in} log does not show` : 'none of the logs (dmesg, strace, faults) shows'} by then`);
      }
    });
  }
  return problems;
}

export type StageMove =
  | { ok: true; stage: number }
  | { ok: false; code: 'unknown-stage' | 'unanswered'; message: string };

/**
 * Where a learner standing at stage `at` of `lab` (solved: every question answered) may go by
 * asking for stage `stageId`: forward over stages without a question, never past one whose
 * question is still unanswered (it is answered once the learner stands beyond it), never
 * beyond the last stage. Asking for an earlier stage (revisiting) keeps the stage reached.
 */
export function reachStage(lab: Pick<Lab, 'id' | 'stages'>, at: number, solved: boolean, stageId: string): StageMove {
  const target = lab.stages.findIndex((st) => st.id === stageId);
  if (target < 0) return { ok: false, code: 'unknown-stage', message: `lab '${lab.id}' has no stage '${stageId}' (its stages: ${lab.stages.map((st) => st.id).join(', ')})` };
  const from = Math.max(0, Math.min(at, lab.stages.length - 1));
  if (target <= from) return { ok: true, stage: from };
  if (!solved) {
    const gate = lab.stages.findIndex((st, j) => j >= from && j < target && st.question);
    if (gate >= 0) {
      const g = lab.stages[gate]!;
      return { ok: false, code: 'unanswered', message: `lab '${lab.id}' cannot go on to stage ${target + 1} (${stageId}): answer stage ${gate + 1} (${g.title ?? g.id}) first` };
    }
  }
  return { ok: true, stage: target };
}
