/**
 * A memo of bounded size that keeps what is used often. Letters of a campaign share most of their
 * words, lines and runs, and each also brings its own (a name, a street, an organisation), so a
 * cache that only grows holds more of those every letter: a long batch's memory would grow with
 * it, and its collector would work harder.
 *
 * Two generations: entries go into the current one; when it is full it becomes the previous one
 * and the one before is dropped. An entry found in the previous generation moves into the current
 * one, so the campaign's own text stays, and a recipient's words last until two generations have
 * passed. Values must not depend on what the cache holds: it only saves making them again.
 */
export class Recent<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();

  /**
   * `size`: entries per generation (so at most twice as many are kept). With a `group`, the size is
   * the group's: its caches start a new generation together, when as many entries as its size have
   * gone into them between them.
   */
  constructor(
    private readonly size: number,
    private readonly group?: RecentGroup,
  ) {
    group?.join(this);
  }

  get(key: K): V | undefined {
    const v = this.current.get(key);
    if (v !== undefined) return v;
    const old = this.previous.get(key);
    if (old !== undefined) {
      this.previous.delete(key);
      this.set(key, old);
    }
    return old;
  }

  set(key: K, value: V): void {
    if (this.group) this.group.storing();
    else if (this.current.size >= this.size) this.turn();
    this.current.set(key, value);
  }

  /** The value for `key`, made by `make` when it is not kept. */
  getOrMake(key: K, make: () => V): V {
    let v = this.get(key);
    if (v === undefined) this.set(key, (v = make()));
    return v;
  }

  /** Starts a new generation: the current one becomes the previous one, and the one before is dropped. */
  turn(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

/**
 * Caches of one kind, one per font, that share a single size. Each with a size of its own would let
 * a batch's memory grow for as long as any of them is not full yet: a font that a letter uses for a
 * few words (a bold face, a recipient's name in another script) fills its cache over thousands of
 * letters, so a long batch ends holding more than a short one. Shared, they are full, and stay at
 * their size, after the first few hundred letters, whichever fonts the letters use. The group
 * keeps its caches as long as it lives: it is for things that live as long (lettermerge's fonts,
 * parsed once a process).
 */
export class RecentGroup {
  private readonly members: Recent<unknown, unknown>[] = [];
  /** Entries put into the current generation of the group's caches. */
  private stored = 0;

  constructor(readonly size: number) {}

  /** A new cache of the group. */
  cache<K, V>(): Recent<K, V> {
    return new Recent<K, V>(this.size, this);
  }

  join(member: Recent<unknown, unknown>): void {
    this.members.push(member);
  }

  /** A member is about to store an entry: when the group is full, all its caches start a new generation. */
  storing(): void {
    if (this.stored >= this.size) {
      for (const m of this.members) m.turn();
      this.stored = 0;
    }
    this.stored++;
  }
}
