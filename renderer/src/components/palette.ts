/**
 * One colour per process, the same everywhere (the frame grid, the process table, the charts):
 * Okabe–Ito's palette, safe for the common colour-vision deficiencies, and never the only cue
 * (the table names each process beside its swatch; the grid says the owner on hover and focus).
 * Processes take colours in PID order, so a parent keeps its colour when it forks.
 */
export const PROC_COLOURS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#7f6d5f'] as const;

/** the colour of the i-th process (in PID order); past eight, the palette repeats */
export function procColour(i: number): string {
  return PROC_COLOURS[((i % PROC_COLOURS.length) + PROC_COLOURS.length) % PROC_COLOURS.length]!;
}

/** pid → colour for a list of processes */
export function coloursByPid(pids: readonly number[]): Map<number, string> {
  const sorted = [...pids].sort((a, b) => a - b);
  return new Map(sorted.map((pid, i) => [pid, procColour(i)]));
}
