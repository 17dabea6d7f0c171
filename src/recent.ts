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

  /** `size`: entries per generation (so at most twice as many are kept). */
  constructor(private readonly size: number) {}

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
    if (this.current.size >= this.size) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  /** The value for `key`, made by `make` when it is not kept. */
  getOrMake(key: K, make: () => V): V {
    let v = this.get(key);
    if (v === undefined) this.set(key, (v = make()));
    return v;
  }
}
