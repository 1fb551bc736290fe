/**
 * What a guided lab's stage points the learner at (a VMA, a frame, a counter, a statechart state,
 * a log line) and how a view decides that an element is the one: a single rule for `pack check`
 * (which proves each highlight exists at its stage) and for the simulator views (which mark it).
 * Plain TypeScript, shared by the main process and the renderer.
 */
export type Highlight = { vma: string; process?: string } | { frame: number } | { counter: string; value?: false } | { state: string } | { log: string };

/** the names a pmap row answers to: its allocation's label, its kind, its mapping, the mapping without brackets ("heap") */
export const vmaNames = (row: { label?: string; kind: string; mapping: string }): string[] =>
  [row.label, row.kind, row.mapping, row.mapping.replace(/^\[\s*|\s*\]$/g, '')].filter((x): x is string => !!x);

/** `a.out.VmRSS` → the process `a.out` and its field `VmRSS` (process names may hold dots); vmstat/meminfo keep their prefix */
export function splitCounter(counter: string): { owner: string; field: string } {
  const parts = counter.split('.');
  if (parts[0] === 'vmstat' || parts[0] === 'meminfo') return { owner: parts[0], field: parts.slice(1).join('.') };
  return { owner: parts.slice(0, -1).join('.'), field: parts.at(-1)! };
}

export const isVmaMarked = (hs: readonly Highlight[], process: string, row: { label?: string; kind: string; mapping: string }): boolean =>
  hs.some((h) => 'vma' in h && (!h.process || h.process === process) && vmaNames(row).includes(h.vma));

/** owner: 'vmstat', 'meminfo' or a process name */
export const isCounterMarked = (hs: readonly Highlight[], owner: string, field: string): boolean =>
  hs.some((h) => 'counter' in h && h.counter === `${owner}.${field}`);

/** a counter marked with `value: false`: its value is hidden while the stage's question is open */
export const isCounterHidden = (hs: readonly Highlight[], owner: string, field: string): boolean =>
  hs.some((h) => 'counter' in h && h.counter === `${owner}.${field}` && h.value === false);

export const isStateMarked = (hs: readonly Highlight[], state: string): boolean => hs.some((h) => 'state' in h && h.state === state);

export const isLogMarked = (hs: readonly Highlight[], line: string): boolean => hs.some((h) => 'log' in h && line.includes(h.log));

/** the process a stage's highlights are about, if they name one (its address space is the one to show) */
export function highlightedProcess(hs: readonly Highlight[]): string | undefined {
  for (const h of hs) {
    if ('vma' in h && h.process) return h.process;
    if ('counter' in h) {
      const { owner } = splitCounter(h.counter);
      if (owner !== 'vmstat' && owner !== 'meminfo') return owner;
    }
  }
  return undefined;
}

/** Highlights from untrusted text (a URL): what is not one is dropped. */
export function parseHighlights(text: string): Highlight[] {
  try {
    return toHighlights(JSON.parse(text));
  } catch {
    return [];
  }
}

/** Highlights from any value (a URL's JSON, an exercise view's records): what is not one is dropped. */
export function toHighlights(raw: unknown): Highlight[] {
  if (!Array.isArray(raw)) return [];
  const str = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 300;
  return raw.slice(0, 20).flatMap((h): Highlight[] => {
    if (!h || typeof h !== 'object') return [];
    const o = h as Record<string, unknown>;
    if (str(o.vma)) return [{ vma: o.vma as string, ...(str(o.process) ? { process: o.process as string } : {}) }];
    if (Number.isInteger(o.frame) && (o.frame as number) >= 0) return [{ frame: o.frame as number }];
    if (str(o.counter)) return [{ counter: o.counter as string, ...(o.value === false ? { value: false as const } : {}) }];
    if (str(o.state)) return [{ state: o.state as string }];
    if (str(o.log)) return [{ log: o.log as string }];
    return [];
  });
}
