/**
 * Which panel of a workbench is open, per workbench (the simulator's dock, …), remembered in
 * localStorage so a reload or the next visit opens the same one. One concern: the layout the
 * learner chose.
 */
const KEY = 'memlab.panels';

function readAll(): Record<string, string> {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

class PanelsStore {
  open = $state<Record<string, string>>(readAll());
  /** the dock's height in px, per workbench (resizable by its handle) */
  heights = $state<Record<string, number>>({});

  get(dock: string, fallback: string): string {
    return this.open[dock] ?? fallback;
  }
  set(dock: string, panel: string): void {
    this.open = { ...this.open, [dock]: panel };
    try {
      localStorage.setItem(KEY, JSON.stringify(this.open));
    } catch {
      /* private mode: remembered for this page only */
    }
  }
}

export const panels = new PanelsStore();
