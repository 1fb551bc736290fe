/**
 * What the learner reads after answering: one label per verdict, and the checker's message
 * without a leading repeat of it ("✔ Correct" + "Correct: exactly those." reads "✔ Correct —
 * exactly those."; "⚠ Not counted" + "Not counted: …" loses the second one).
 */
export type Verdict = 'correct' | 'incorrect' | 'invalid';

export const VERDICT_LABEL: Record<Verdict, string> = { correct: '✔ Correct', incorrect: '✘ Not yet', invalid: '⚠ Not counted' };

/** the words of each label a message may repeat at its start */
const REPEATS: Record<Verdict, RegExp> = {
  correct: /^\s*(correct|right)\s*[.:!—-]*\s*/i,
  incorrect: /^\s*(not yet|not quite|incorrect|wrong)\s*[.:!—-]*\s*/i,
  invalid: /^\s*(not counted)\s*[.:!—-]*\s*/i,
};

/** the message as shown after the label: never the label's own words again; empty when it said nothing else */
export function feedbackMessage(verdict: Verdict, message: string): string {
  const rest = message.replace(REPEATS[verdict], '');
  return rest ? rest.charAt(0).toUpperCase() + rest.slice(1) : '';
}
