/** The full-size simulator's address carries an exercise's drawn parameters; what a URL says is untrusted. */
import { describe, expect, it } from 'vitest';
import { parseSimulatorRoute, simulatorHref } from '../app/common/api/simlink.js';

const rest = (href: string) => href.replace(/^#\/simulator\//, '').split('/').map(decodeURIComponent);

describe('simulator links', () => {
  it('round-trips the scenario, step, highlights and parameters', () => {
    const href = simulatorHref('pack:p:scenarios/a b.yaml', 4, [{ counter: 'a.out.VmRSS' }], { m: 216, name: 'x/y' });
    expect(parseSimulatorRoute(rest(href))).toEqual({ scenarioId: 'pack:p:scenarios/a b.yaml', step: '4', highlights: [{ counter: 'a.out.VmRSS' }], params: { m: 216, name: 'x/y' } });
    // parameters without highlights, and neither
    expect(parseSimulatorRoute(rest(simulatorHref('s', 0, [], { n: 8 })))).toEqual({ scenarioId: 's', step: '0', highlights: [], params: { n: 8 } });
    expect(simulatorHref('s', 2)).toBe('#/simulator/s/2');
    expect(simulatorHref('s', 2, [], {})).toBe('#/simulator/s/2');
  });
  it('drops parameters a URL gets wrong, and keeps the rest of the address', () => {
    for (const bad of ['with:{', 'with:[1,2]', 'with:{"__proto__":1}', 'with:{"a-b":1}', 'with:{"m":{"x":1}}', `with:{"m":"${'x'.repeat(201)}"}`, 'with:null']) {
      const got = parseSimulatorRoute(['s', '3', bad]);
      expect(got, bad).toEqual({ scenarioId: 's', step: '3', highlights: [] });
    }
    expect(parseSimulatorRoute(['s', '3', '[{"frame":2}]', 'with:{"m":1}'])).toEqual({ scenarioId: 's', step: '3', highlights: [{ frame: 2 }], params: { m: 1 } });
  });
});
