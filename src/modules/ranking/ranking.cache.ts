/**
 * One value per key (a competition's ranked list), built on demand and kept until it is marked dirty,
 * its fingerprint changes or it is older than the TTL. No Nest or TypeORM here: the service passes
 * the builder, the clock can be replaced in specs.
 *
 * Correctness rests on a generation counter per key. `invalidate` bumps it; a build remembers the
 * generation it started under and its result is kept only while that is still current. So a change
 * announced while a rebuild is running (it may have read the data before the change committed) never
 * leaves a stale list behind, and a read that comes after an invalidation never joins a build that
 * started before it. Concurrent reads of the same generation share one build.
 */
export interface CacheOptions {
  /** Safety net for a missed invalidation (a Redis hiccup): no value is served older than this. */
  ttlMs: number;
  /** Keys kept at most; the least recently read go first. */
  maxKeys: number;
  now?: () => number;
}

interface Slot<V> {
  generation: number;
  value?: { v: V; generation: number; fingerprint: string; at: number };
  building?: { p: Promise<V>; generation: number; fingerprint: string };
}

export class RebuildCache<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private readonly now: () => number;
  /** Builds started, for specs and diagnostics. */
  builds = 0;

  constructor(private readonly opts: CacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Marks the key's value dirty: the next read rebuilds it. */
  invalidate(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    slot.generation++;
    slot.value = undefined;
  }

  /**
   * The current value, or one built by `build` (shared with any read of the same generation and
   * fingerprint already waiting for it). `fingerprint` names the inputs that are not announced by
   * events (e.g. the competition's version): a different one forces a rebuild.
   */
  get(key: string, fingerprint: string, build: () => Promise<V>): Promise<V> {
    let slot = this.slots.get(key);
    if (slot) {
      // Re-insert: Map order is the eviction order (least recently read first).
      this.slots.delete(key);
      this.slots.set(key, slot);
    } else {
      slot = { generation: 0 };
      this.slots.set(key, slot);
      this.evict();
    }
    const hit = slot.value;
    if (hit && hit.generation === slot.generation && hit.fingerprint === fingerprint && this.now() - hit.at < this.opts.ttlMs) return Promise.resolve(hit.v);
    const running = slot.building;
    if (running && running.generation === slot.generation && running.fingerprint === fingerprint) return running.p;
    return this.start(slot, fingerprint, build);
  }

  private start(slot: Slot<V>, fingerprint: string, build: () => Promise<V>): Promise<V> {
    const generation = slot.generation;
    const startedAt = this.now();
    this.builds++;
    const p = build().then(
      (v) => {
        // Kept only if nothing was announced meanwhile; the TTL counts from the start of the build.
        if (slot.generation === generation) slot.value = { v, generation, fingerprint, at: startedAt };
        if (slot.building?.p === p) slot.building = undefined;
        return v;
      },
      (e: unknown) => {
        if (slot.building?.p === p) slot.building = undefined;
        throw e;
      },
    );
    slot.building = { p, generation, fingerprint };
    return p;
  }

  private evict(): void {
    if (this.slots.size <= this.opts.maxKeys) return;
    for (const [key, slot] of this.slots) {
      if (this.slots.size <= this.opts.maxKeys) return;
      if (!slot.building) this.slots.delete(key);
    }
  }

  get size(): number {
    return this.slots.size;
  }
}
