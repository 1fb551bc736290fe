/** Which section is shown, kept in the URL hash (#/start, #/exercises, #/simulator, #/policies, #/host) so back/forward work. */
export const sections = [
  { id: 'start', label: 'Start' },
  { id: 'exercises', label: 'Exercises' },
  { id: 'simulator', label: 'Simulator' },
  { id: 'policies', label: 'Policies' },
  { id: 'host', label: 'Host' },
] as const;
export type SectionId = (typeof sections)[number]['id'];

function parse(hash: string): { section: SectionId; rest: string[] } {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const first = parts[0] as SectionId | undefined;
  // the root URL (and anything unknown) is the start page
  const section = sections.some((s) => s.id === first) ? (first as SectionId) : 'start';
  return { section, rest: parts.slice(1) };
}

class RouteStore {
  section = $state<SectionId>('start');
  /** Path segments after the section, e.g. ['pack-id', 'exercise-id']. */
  rest = $state<string[]>([]);

  constructor() {
    const apply = () => {
      const r = parse(location.hash);
      this.section = r.section;
      this.rest = r.rest;
    };
    apply();
    window.addEventListener('hashchange', apply);
  }

  go(section: SectionId, ...rest: string[]): void {
    location.hash = '#/' + [section, ...rest].map(encodeURIComponent).join('/');
  }
}

export const route = new RouteStore();
