/**
 * The layout the learner chose for each workbench (the simulator's dock, …): which panel is open
 * and how tall the dock is, remembered in localStorage so a reload or the next visit opens it the
 * same. One concern: the layout.
 */
const KEY = 'memlab.panels';
const HEIGHTS = 'memlab.panelHeights';

function read<T>(key: string, valid: (v: unknown) => boolean): Record<string, T> {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(key) ?? '{}');
    if (!v || typeof v !== 'object') return {};
    return Object.fromEntries(Object.entries(v).filter(([, x]) => valid(x))) as Record<string, T>;
  } catch {
    return {};
  }
}
function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* private mode: remembered for this page only */
  }
}

class PanelsStore {
  open = $state<Record<string, string>>(read<string>(KEY, (x) => typeof x === 'string'));
  /** the dock's panel height in CSS px, per workbench (resized by its separator); none: as tall as its content */
  heights = $state<Record<string, number>>(read<number>(HEIGHTS, (x) => typeof x === 'number' && Number.isFinite(x) && x > 0));

  get(dock: string, fallback: string): string {
    return this.open[dock] ?? fallback;
  }
  set(dock: string, panel: string): void {
    this.open = { ...this.open, [dock]: panel };
    write(KEY, this.open);
  }
  height(dock: string): number | undefined {
    return this.heights[dock];
  }
  setHeight(dock: string, px: number): void {
    this.heights = { ...this.heights, [dock]: Math.round(px) };
    write(HEIGHTS, this.heights);
  }
  /** back to the content's own height */
  resetHeight(dock: string): void {
    const { [dock]: _gone, ...rest } = this.heights;
    this.heights = rest;
    write(HEIGHTS, this.heights);
  }
}

export const panels = new PanelsStore();
