/** Union-find over channel spaces, carrying every reason a merged set must stay whole. */
export class SpaceSets {
  private parent: number[] = [];
  private sizes: number[] = [];
  private reasons: string[][] = [];

  add(size: number, pinned?: string): number {
    const id = this.parent.length;
    this.parent.push(id);
    this.sizes.push(size);
    this.reasons.push(pinned ? [pinned] : []);
    return id;
  }

  find(x: number): number {
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]];
      x = this.parent[x];
    }
    return x;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    const [lo, hi] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent[hi] = lo;
    this.reasons[lo].push(...this.reasons[hi]);
  }

  pin(x: number, reason: string): void {
    const r = this.reasons[this.find(x)];
    if (!r.includes(reason)) r.push(reason);
  }

  pinned(x: number): string[] {
    return this.reasons[this.find(x)];
  }

  size(x: number): number {
    return this.sizes[x];
  }

  get count(): number {
    return this.parent.length;
  }
}
