/**
 * One uPlot chart that lives as long as its series keep their shape: new steps arrive with
 * `setData` (a redraw), not a new chart (a teardown, a DOM rebuild and a layout), which is what
 * kept playback from 60 fps. The chart is rebuilt only when its series change (a fork adds a
 * process) and resized when its box changes.
 */
import { untrack } from 'svelte';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { theme } from '../stores/theme.svelte.js';

// uPlot paints axis text and grid on the canvas in its own near-black, unreadable on the dark
// theme (and out of axe's sight): every chart takes the theme's colours, and is rebuilt when it flips
const AXIS = { light: '#4a5563', dark: '#a9b4c2' } as const;
const GRID = { light: '#c9d1db', dark: '#3a424d' } as const;
function themed(o: uPlot.Options, t: 'light' | 'dark'): uPlot.Options {
  return {
    ...o,
    axes: (o.axes ?? [{}, {}]).map((a) => ({ stroke: AXIS[t], grid: { stroke: GRID[t], width: 1 }, ticks: { stroke: GRID[t], width: 1 }, ...a })),
  };
}

const widthOf = (el: HTMLElement) => Math.min(el.clientWidth || 600, 900);

export function livePlot(
  target: () => HTMLElement | undefined,
  /** a key of the series drawn: the chart is rebuilt when it changes */
  shape: () => string,
  options: (width: number) => uPlot.Options,
  data: () => uPlot.AlignedData,
  /** per series (x first), a tooltip for its legend row: which /proc field it plots */
  tips: () => Array<string | undefined> = () => [],
): void {
  let plot: uPlot | null = null;
  // a string, so a new step with the same series does not count as a change
  const key = $derived(`${shape()}\n${theme.effective}`);
  $effect(() => {
    const el = target();
    void key;
    if (!el) return;
    const p = untrack(() => new uPlot(themed(options(widthOf(el)), theme.effective), data(), el));
    plot = p;
    const t = untrack(tips);
    p.root.querySelectorAll('.u-legend .u-series').forEach((row, i) => {
      if (t[i]) row.setAttribute('title', t[i]!);
    });
    let last = widthOf(el);
    const ro = new ResizeObserver(() => {
      const w = widthOf(el);
      if (w !== last) p.setSize({ width: (last = w), height: p.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      p.destroy();
      if (plot === p) plot = null;
    };
  });
  $effect(() => {
    const d = data();
    // a shape change rebuilds the chart with its data; only same-shaped data goes in place
    if (plot && plot.series.length === d.length) plot.setData(d);
  });
}
