/** One row of `npm run bench`: every area's bench module returns these. */
export interface BenchRow {
  /** Area: kernel, host, renderer, serve, ... */
  group: string;
  /** What was measured, e.g. "touch 4 GiB in 4 KiB pages (8 GiB machine)". */
  name: string;
  value: number;
  unit: string;
  /** Side-by-side comparison measured in the same run, e.g. simulator / plain loop. */
  ratio?: { value: number; against: string };
  /** A target from the issues, and whether this run met it. */
  target?: { text: string; met: boolean };
  note?: string;
}

/** A bench module: `bench/<area>.ts` exports `run()`. */
export type BenchModule = { run(): Promise<BenchRow[]> };
