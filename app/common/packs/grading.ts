/**
 * Grading under a pack's policy: what an attempt (or a guided lab's stage) earns. Plain data in,
 * points out, so the service, the export and `memlab results` agree.
 *
 * - earned: 100, less `hint_cost` per hint used (never below 0);
 * - answered right only after the solution was shown: `points_after_solution` (default 0), less
 *   the hints too;
 * - given up, or not answered right: 0.
 * A guided lab is graded stage by stage; the lab's points are the mean of its question stages'
 * points, less the hint cost of the lab's own (not a stage's) hints.
 */

export interface GradingPolicy {
  hint_cost: number;
  points_after_solution: number;
}

/** What grading needs of one attempt or stage. */
export interface Graded {
  correct: boolean;
  gaveUp: boolean;
  hintsUsed: number;
  afterSolution: boolean;
}

export type Outcome = 'earned' | 'after-solution' | 'gave-up' | 'open';

export function outcomeOf(g: Graded): Outcome {
  if (g.gaveUp) return 'gave-up';
  if (!g.correct) return 'open';
  return g.afterSolution ? 'after-solution' : 'earned';
}

export function pointsOf(g: Graded, policy: GradingPolicy): number {
  const o = outcomeOf(g);
  const top = o === 'earned' ? 100 : o === 'after-solution' ? policy.points_after_solution : 0;
  return Math.max(0, top - policy.hint_cost * g.hintsUsed);
}

/** A lab's points from its question stages' (each stage as `pointsOf` grades it) and the lab's own hints. */
export function labPoints(stagePoints: number[], labHints: number, policy: GradingPolicy): number {
  if (!stagePoints.length) return 0;
  const mean = stagePoints.reduce((a, b) => a + b, 0) / stagePoints.length;
  return Math.max(0, Math.round((mean - policy.hint_cost * labHints) * 100) / 100);
}

/** A lab's outcome from its stages': open until every stage is done; then the weakest one names it. */
export function labOutcome(stages: Outcome[]): Outcome {
  if (!stages.length || stages.includes('open')) return 'open';
  if (stages.includes('gave-up')) return 'gave-up';
  if (stages.includes('after-solution')) return 'after-solution';
  return 'earned';
}
