/**
 * What every chart shares so that people can read it: a step axis of whole steps spanning the
 * whole scenario (it does not rescale as the scenario plays), sizes with their unit chosen for
 * the numbers (KiB, MiB, GiB), counts with thousands separators, and a legend that shows the
 * values at the current step without hovering (hovering shows that step's).
 */
import type uPlot from 'uplot';

/** a size in KiB, in the unit that suits it: "512 KiB", "3.2 MiB", "1.50 GiB" */
export function kib(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1024 * 1024) return `${(v / 1024 / 1024).toFixed(2)} GiB`;
  if (a >= 1024) return `${(v / 1024).toFixed(a >= 100 * 1024 ? 0 : 1)} MiB`;
  return `${Math.round(v).toLocaleString()} KiB`;
}

/** a count, with thousands separators */
export const count = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.round(v).toLocaleString());

/** the x axis: steps 0..stepCount, whole numbers only, the same span from the first step to the last */
export function stepScale(stepCount: number): uPlot.Scale {
  return { time: false, range: () => [0, Math.max(1, stepCount)] };
}
export const stepAxis: uPlot.Axis = {
  label: 'step',
  incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000],
  values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : '')),
};

/** a size axis in KiB units: ticks labelled with their unit, wide enough for "1.50 GiB" */
export const sizeAxis = (label = 'size'): uPlot.Axis => ({ label, size: 72, values: (_u, vals) => vals.map((v) => kib(v)) });

/**
 * The legend shows the values at the newest step unless the cursor is over the chart (uPlot
 * shows "--" there otherwise): a hook to put in the options' `hooks`.
 */
export const legendAtLatest: uPlot.Hooks.Arrays = {
  setCursor: [
    (u) => {
      if (u.cursor.idx === null || u.cursor.idx === undefined) {
        const last = (u.data[0]?.length ?? 0) - 1;
        if (last >= 0) u.setLegend({ idx: last });
      }
    },
  ],
  setData: [
    (u) => {
      if (u.cursor.idx === null || u.cursor.idx === undefined) {
        const last = (u.data[0]?.length ?? 0) - 1;
        if (last >= 0) u.setLegend({ idx: last });
      }
    },
  ],
  ready: [
    (u) => {
      const last = (u.data[0]?.length ?? 0) - 1;
      if (last >= 0) u.setLegend({ idx: last });
    },
  ],
};
