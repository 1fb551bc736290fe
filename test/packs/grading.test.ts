/** Grading under a pack's policy, and the feedback label shown with a verdict. */
import { describe, expect, it } from 'vitest';
import { feedbackMessage } from '../../app/common/api/feedback.js';
import { labOutcome, labPoints, outcomeOf, pointsOf } from '../../app/common/packs/grading.js';

const policy = { hint_cost: 10, points_after_solution: 30 };
const g = (o: Partial<{ correct: boolean; gaveUp: boolean; hintsUsed: number; afterSolution: boolean }>) => ({ correct: false, gaveUp: false, hintsUsed: 0, afterSolution: false, ...o });

describe('points under a policy', () => {
  it('earned: 100 less the hints; after the solution: the policy’s points less the hints; given up or open: 0', () => {
    expect(pointsOf(g({ correct: true }), policy)).toBe(100);
    expect(pointsOf(g({ correct: true, hintsUsed: 2 }), policy)).toBe(80);
    expect(pointsOf(g({ correct: true, afterSolution: true }), policy)).toBe(30);
    expect(pointsOf(g({ correct: true, afterSolution: true, hintsUsed: 1 }), policy)).toBe(20);
    expect(pointsOf(g({ correct: true, afterSolution: true }), { hint_cost: 0, points_after_solution: 0 })).toBe(0);
    expect(pointsOf(g({ correct: true, gaveUp: true }), policy)).toBe(0);
    expect(pointsOf(g({}), policy)).toBe(0);
    expect(pointsOf(g({ correct: true, hintsUsed: 50 }), policy)).toBe(0);
  });
  it('names the outcome: a give-up is never an earned tick, nor is an answer after the solution', () => {
    expect(outcomeOf(g({ correct: true }))).toBe('earned');
    expect(outcomeOf(g({ correct: true, afterSolution: true }))).toBe('after-solution');
    expect(outcomeOf(g({ correct: true, gaveUp: true }))).toBe('gave-up');
    expect(outcomeOf(g({}))).toBe('open');
  });
  it('a lab earns the mean of its stages, less its own hints; it is open while a stage is', () => {
    expect(labPoints([100, 100], 0, policy)).toBe(100);
    expect(labPoints([100, 30, 0], 0, policy)).toBeCloseTo(43.33, 2);
    expect(labPoints([100, 100], 1, policy)).toBe(90);
    expect(labOutcome(['earned', 'open'])).toBe('open');
    expect(labOutcome(['earned', 'after-solution'])).toBe('after-solution');
    expect(labOutcome(['after-solution', 'gave-up'])).toBe('gave-up');
    expect(labOutcome(['earned', 'earned'])).toBe('earned');
  });
});

describe('feedback labels', () => {
  it('never repeats the label the verdict already shows', () => {
    expect(feedbackMessage('correct', 'Correct.')).toBe('');
    expect(feedbackMessage('correct', 'Correct: exactly those.')).toBe('Exactly those.');
    expect(feedbackMessage('invalid', "Not counted: 'x' is not a number.")).toBe("'x' is not a number.");
    expect(feedbackMessage('incorrect', 'Not quite — your answer was read as 8 KiB.')).toBe('Your answer was read as 8 KiB.');
    expect(feedbackMessage('incorrect', '2 of 3 matched correctly.')).toBe('2 of 3 matched correctly.');
    expect(feedbackMessage('correct', 'Every field is right.')).toBe('Every field is right.');
  });
});
