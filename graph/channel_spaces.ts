/**
 * Channel spaces: the bookkeeping behind out-in-channel groups.
 *
 * A *space* is a set of channels that are born together (the filters of one Conv2D, the
 * units of one Dense, the network input) and removed together; `Add`-like merges join
 * spaces into one (union-find). A {@linkcode Layout} says, for every index of a tensor's
 * last axis, which space and which channel of it that index carries: a Flatten repeats
 * its input's layout once per spatial position, a Concatenate joins its inputs' layouts,
 * a depthwise multiplier repeats every entry.
 *
 * @module
 */

/** For every index of a last axis: its space and its channel in that space. */
export interface Layout {
  readonly space: Int32Array;
  readonly channel: Int32Array;
}

/**
 * The spaces of one analysis: created in dependency order, joined by union-find (the
 * root is always the oldest member), split where a merge needs a part of one (an `Add`
 * of a concatenation and a plain tensor), and flagged with the reasons they cannot be
 * pruned. A split space is retired: {@linkcode Spaces.locate} maps its channels to the
 * parts.
 */
export class Spaces {
  readonly #parent: number[] = [];
  readonly #size: number[] = [];
  readonly #origin: string[] = [];
  /** Where a space starts inside the space its origin layer created, and that one's size. */
  readonly #offset: number[] = [];
  readonly #full: number[] = [];
  readonly #reasons: Array<Set<string>> = [];
  /** For a split space: channels below `cut` went to `low`, the rest to `high`. */
  readonly #split: Array<{ cut: number; low: number; high: number } | null> = [];

  /** Starts a new space of `size` channels, created by layer `origin`. */
  create(size: number, origin: string): number {
    return this.#add(size, origin, 0, size, new Set());
  }

  #add(size: number, origin: string, offset: number, full: number, reasons: Set<string>): number {
    const id = this.#parent.length;
    this.#parent.push(id);
    this.#size.push(size);
    this.#origin.push(origin);
    this.#offset.push(offset);
    this.#full.push(full);
    this.#reasons.push(reasons);
    this.#split.push(null);
    return id;
  }

  /** The unsplit space and channel that channel `channel` of `space` now is. */
  locate(space: number, channel: number): [number, number] {
    for (let split = this.#split[space]; split !== null; split = this.#split[space]) {
      if (channel < split.cut) space = split.low;
      else [space, channel] = [split.high, channel - split.cut];
    }
    return [space, channel];
  }

  /** The root of an unsplit space's union. */
  find(space: number): number {
    let root = space;
    while (this.#parent[root] !== root) root = this.#parent[root];
    for (let s = space; this.#parent[s] !== root;) {
      const next = this.#parent[s];
      this.#parent[s] = root;
      s = next;
    }
    return root;
  }

  /** Joins two unsplit spaces of equal size (checked by the caller); the older root wins. */
  union(a: number, b: number): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra === rb) return;
    const [keep, drop] = ra < rb ? [ra, rb] : [rb, ra];
    this.#parent[drop] = keep;
    for (const reason of this.#reasons[drop]) this.#reasons[keep].add(reason);
  }

  /**
   * Splits the union of an unsplit space before channel `cut`: every member is split the
   * same way, and the low parts (and the high parts) form one union each.
   */
  split(space: number, cut: number): void {
    const root = this.find(space);
    const members = this.#parent.map((_p, i) => i)
      .filter((i) => this.#split[i] === null && this.find(i) === root);
    const parts = members.map((m) => {
      const [size, offset, full] = [this.#size[m], this.#offset[m], this.#full[m]];
      const reasons = this.#reasons[root];
      const low = this.#add(cut, this.#origin[m], offset, full, new Set(reasons));
      const high = this.#add(size - cut, this.#origin[m], offset + cut, full, new Set(reasons));
      this.#split[m] = { cut, low, high };
      return { low, high };
    });
    for (const { low, high } of parts) {
      this.union(parts[0].low, low), this.union(parts[0].high, high);
    }
  }

  /** Marks a space (its union, or all its parts) as not prunable, for `reason`. */
  flag(space: number, reason: string): void {
    const split = this.#split[space];
    if (split === null) this.#reasons[this.find(space)].add(reason);
    else this.flag(split.low, reason), this.flag(split.high, reason);
  }

  /** Channels of a space. */
  size(space: number): number {
    return this.#size[space];
  }

  /**
   * The name of a union's root: its origin layer, with the channel range when it is a part
   * of that layer's channels, e.g. `conv3[0:16]`.
   */
  origin(space: number): string {
    const root = this.find(space);
    const [offset, size] = [this.#offset[root], this.#size[root]];
    const whole = offset === 0 && size === this.#full[root];
    return whole ? this.#origin[root] : `${this.#origin[root]}[${offset}:${offset + size}]`;
  }

  /** Why a space cannot be pruned; empty when it can. */
  reasons(space: number): ReadonlyArray<string> {
    return [...this.#reasons[this.find(space)]];
  }

  /** Every root of an unsplit union, oldest first. */
  roots(): number[] {
    return this.#parent.map((_p, i) => i)
      .filter((i) => this.#split[i] === null && this.find(i) === i);
  }
}

/** The layout of a fresh space: index `c` carries channel `c`. */
export function freshLayout(space: number, size: number): Layout {
  const channel = new Int32Array(size);
  for (let c = 0; c < size; c++) channel[c] = c;
  return { space: new Int32Array(size).fill(space), channel };
}

/** The layout repeated `times` times end to end (a Flatten over `times` positions). */
export function tileLayout(layout: Layout, times: number): Layout {
  const n = layout.space.length;
  const space = new Int32Array(n * times);
  const channel = new Int32Array(n * times);
  for (let t = 0; t < times; t++) {
    space.set(layout.space, t * n);
    channel.set(layout.channel, t * n);
  }
  return { space, channel };
}

/** Every entry repeated `times` times in place (a depthwise multiplier). */
export function repeatEntries(layout: Layout, times: number): Layout {
  const n = layout.space.length;
  const space = new Int32Array(n * times);
  const channel = new Int32Array(n * times);
  for (let i = 0; i < n * times; i++) {
    space[i] = layout.space[Math.floor(i / times)];
    channel[i] = layout.channel[Math.floor(i / times)];
  }
  return { space, channel };
}

/** The layouts joined end to end (a Concatenate on the last axis). */
export function concatLayouts(layouts: ReadonlyArray<Layout>): Layout {
  const n = layouts.reduce((sum, l) => sum + l.space.length, 0);
  const space = new Int32Array(n);
  const channel = new Int32Array(n);
  let at = 0;
  for (const l of layouts) {
    space.set(l.space, at);
    channel.set(l.channel, at);
    at += l.space.length;
  }
  return { space, channel };
}

/** The distinct unsplit spaces a layout touches. */
export function spacesIn(layout: Layout, spaces: Spaces): number[] {
  const found = new Set<number>();
  for (let i = 0; i < layout.space.length; i++) {
    found.add(spaces.locate(layout.space[i], layout.channel[i])[0]);
  }
  return [...found];
}

/**
 * The layout with every entry moved to the unsplit space it is now in (run it once all
 * splits are done; the result stays valid under later unions, not later splits).
 */
export function settled(layout: Layout, spaces: Spaces): Layout {
  const space = new Int32Array(layout.space.length);
  const channel = new Int32Array(layout.space.length);
  for (let i = 0; i < space.length; i++) {
    [space[i], channel[i]] = spaces.locate(layout.space[i], layout.channel[i]);
  }
  return { space, channel };
}
