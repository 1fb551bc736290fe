/**
 * The exercise the learner last opened, kept in localStorage so the start page can offer to
 * continue there and the root URL comes back to it (also after `memlab serve` restarts).
 */
const KEY = 'memlab.last';
export type LastVisit = { packId: string; exerciseId: string };

export const lastVisit = {
  read(): LastVisit | null {
    try {
      const v = JSON.parse(localStorage.getItem(KEY) ?? 'null') as LastVisit | null;
      return v && typeof v.packId === 'string' && typeof v.exerciseId === 'string' ? v : null;
    } catch {
      return null;
    }
  },
  write(v: LastVisit): void {
    try {
      localStorage.setItem(KEY, JSON.stringify(v));
    } catch {
      /* private mode */
    }
  },
};
