import type { UnitKind } from './metrics.js';

/** Multipliers to the base unit of each kind; '' is a bare number. Byte and time units are case-insensitive. */
const UNITS: Record<UnitKind, Record<string, number>> = {
  bytes: { '': 1, b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 },
  time: { ms: 1, s: 1e3, us: 1e-3, 'µs': 1e-3 },
  fraction: { '': 1, '%': 0.01 },
  points: { '%': 1, pt: 1, pp: 1 },
  count: { '': 1, k: 1e3, K: 1e3, M: 1e6 },
  plain: { '': 1 },
  dB: { '': 1, db: 1 },
};

/** The units of a kind as a person writes them, for error messages. */
export const UNIT_HELP: Record<UnitKind, string> = {
  bytes: 'B, KB, KiB, MB, MiB, GB or GiB (KB = 1000 bytes, KiB = 1024), or a bare number of bytes',
  time: 'ms, s or us',
  fraction: 'a fraction like 0.98 or a percentage like 98%',
  points: '% or pt (percentage points of accuracy, drop<=0.5% means half a point)',
  count: 'a number with an optional k (thousand) or M (million) suffix',
  plain: 'a bare number',
  dB: 'a number of decibels, optionally with dB',
};

/** The target in the kind's base unit, or undefined when the unit does not belong to the kind. */
export function toBase(kind: UnitKind, value: number, unit: string): number | undefined {
  if (unit === '' && value === 0) return 0; // zero is zero in every unit: `drop<0`, `p50<=0` need none
  const table = UNITS[kind];
  const caseInsensitive = kind === 'bytes' || kind === 'time' || kind === 'dB';
  const factor = table[caseInsensitive ? unit.toLowerCase() : unit];
  if (factor === undefined) return undefined;
  // Divide for % so that 98% is exactly 0.98, as 98 * 0.01 is not.
  return factor === 0.01 ? value / 100 : value * factor;
}

function sig(v: number, digits = 4): string {
  return String(Number(v.toPrecision(digits)));
}

function grouped(v: number): string {
  return Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function bytes(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${sig(v / 1e9)} GB`;
  if (a >= 1e6) return `${sig(v / 1e6)} MB`;
  if (a >= 1e3) return `${sig(v / 1e3)} KB`;
  return `${sig(v)} B`;
}

/** A base-unit value for people: `245.3 KB`, `1.234 ms`, `98.12%`, `0.5 pt`, `101,770`. */
export function formatValue(kind: UnitKind, v: number): string {
  if (!Number.isFinite(v)) return String(v);
  switch (kind) {
    case 'bytes': return bytes(v);
    case 'time': return `${sig(v)} ms`;
    case 'fraction': return `${sig(v * 100)}%`;
    case 'points': return `${sig(v)} pt`;
    case 'count': return grouped(v);
    case 'dB': return `${sig(v)} dB`;
    default: return sig(v);
  }
}
