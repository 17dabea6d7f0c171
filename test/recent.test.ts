import { Recent, RecentGroup } from '../src/recent';

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

  it('caches of a group share one size, so a little-used one does not keep growing', () => {
    const group = new RecentGroup(3);
    const busy = group.cache<string, number>();
    const rare = group.cache<string, number>();
    rare.set('r', 0);
    busy.set('a', 1);
    busy.set('b', 2);
    // The group is full: the next entry, in either cache, starts a new generation in both.
    busy.set('c', 3);
    expect([rare.get('r'), busy.get('a')]).toEqual([0, 1]);
    // r and a moved into the new generation (with c): it is full, and the next entry turns it again.
    busy.set('d', 4);
    busy.set('e', 5);
    busy.set('f', 6);
    busy.set('g', 7);
    // r, not used for two generations, is gone though its own cache never held more than one entry.
    expect(rare.get('r')).toBeUndefined();
    expect(busy.get('b')).toBeUndefined();
    expect(busy.get('g')).toBe(7);
    // At most twice the group's size is kept across its caches.
    for (let i = 0; i < 100; i++) (i % 2 ? busy : rare).set(`k${i}`, i);
    const kept = Array.from({ length: 100 }, (_, i) => (i % 2 ? busy : rare).get(`k${i}`)).filter((v) => v !== undefined);
    expect(kept.length).toBeLessThanOrEqual(6);
  });
});
