import { Recent } from '../src/recent';

describe('Recent', () => {
  it('keeps at most two generations, and what is used moves into the current one', () => {
    const r = new Recent<string, number>(3);
    for (const [k, v] of [['a', 1], ['b', 2], ['c', 3]] as const) r.set(k, v);
    // A fourth entry starts a new generation; a, b and c are still there.
    r.set('d', 4);
    expect(['a', 'b', 'c', 'd'].map((k) => r.get(k))).toEqual([1, 2, 3, 4]);
    // Getting them moved each into the current generation: d, used last, outlasts three new entries.
    for (let i = 0; i < 3; i++) r.set(`x${i}`, i);
    expect(r.get('d')).toBe(4);
    let made = 0;
    expect(r.getOrMake('never', () => ++made)).toBe(1);
    expect(r.getOrMake('never', () => ++made)).toBe(1);
    expect(made).toBe(1);
    // Many new entries: the old ones are dropped, so memory stays bounded.
    for (let i = 0; i < 10; i++) r.set(`y${i}`, i);
    expect(r.get('a')).toBeUndefined();
    expect(r.get('y9')).toBe(9);
  });
});
