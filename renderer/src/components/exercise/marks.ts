/** How a finished question is marked, the same in the sidebar, a lab's stages and the exercise. */
import type { ExerciseStatus, Outcome } from '@api/packs';

export const MARK: Record<Exclude<Outcome, 'open'>, string> = { earned: '✔', 'after-solution': '◔', 'gave-up': '⚐' };
export const OUTCOME_LABEL: Record<Exclude<Outcome, 'open'>, string> = { earned: 'solved', 'after-solution': 'answered after the solution', 'gave-up': 'gave up' };

export const STATUS_MARK: Record<ExerciseStatus, string> = { correct: MARK.earned, 'after-solution': MARK['after-solution'], 'gave-up': MARK['gave-up'], tried: '✘', new: '○' };
export const STATUS_LABEL: Record<ExerciseStatus, string> = { correct: 'solved', 'after-solution': 'answered after the solution', 'gave-up': 'gave up', tried: 'tried', new: 'not started' };

/** an exercise is finished once it has an outcome: solved, answered after the solution, or given up (the lab's own "correct": outcome ≠ open) */
export const isFinished = (s: ExerciseStatus): boolean => s === 'correct' || s === 'after-solution' || s === 'gave-up';
