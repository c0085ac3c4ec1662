import { ShrinkmlError } from '../../core/errors.js';
import { DATA_TYPE_FIELDS, MAX_KNOWN_DATA_TYPE, NEWER_DATA_TYPES, SCHEMA, type MessageName } from './schema.js';

/**
 * A pass over the raw protobuf bytes before protobufjs decodes them. It is the only place that sees fields
 * protobufjs would drop, and it bounds the work an untrusted file can cause: nesting depth (protobufjs recurses,
 * a deep file would overflow the stack), node count, and every length prefix against the bytes really present.
 */
export interface WireLimits {
  /** Nested messages (Model > Graph > Node > Attribute > Graph ...). Default 96, about 30 levels of If/Loop bodies. */
  maxDepth?: number;
  /** NodeProtos in the whole file, subgraphs and functions included. Default 500,000. */
  maxNodes?: number;
}

export const MAX_DEPTH = 96;
export const MAX_NODES = 500_000;

export interface WireStats { nodes: number; subgraphs: number; functions: number }

interface Walk {
  bytes: Uint8Array; file: string; maxDepth: number; maxNodes: number; stats: WireStats;
  /** The first unknown field; reported after the whole walk, so garbage reads as malformed rather than "newer". */
  unknown?: ShrinkmlError;
  /** Field numbers seen at the top level (ir_version and graph make it an ONNX model). */
  root: Set<number>;
}

/** Throws BAD_INPUT (malformed), UNSUPPORTED (content newer than the schema or IR 10) or LIMIT; returns counts otherwise. */
export function checkWire(bytes: Uint8Array, file: string, limits: WireLimits = {}): WireStats {
  const walk: Walk = {
    bytes, file, maxDepth: limits.maxDepth ?? MAX_DEPTH, maxNodes: limits.maxNodes ?? MAX_NODES,
    stats: { nodes: 0, subgraphs: -1, functions: 0 }, root: new Set(),
  };
  message(walk, 'ModelProto', 0, bytes.length, ['ModelProto']);
  if (walk.unknown) {
    if (walk.root.has(1) && walk.root.has(7)) throw walk.unknown;
    throw new ShrinkmlError('BAD_INPUT', `${file}: not an ONNX model (no ir_version and graph, and fields ONNX does not define)`, { subject: file });
  }
  walk.stats.subgraphs = Math.max(0, walk.stats.subgraphs);
  return walk.stats;
}

function message(w: Walk, name: MessageName, start: number, end: number, trail: string[]): void {
  if (trail.length > w.maxDepth) {
    throw new ShrinkmlError('LIMIT', `${w.file}: messages nested deeper than ${w.maxDepth} (${trail.slice(0, 6).join(' > ')} > ...)`, { subject: w.file });
  }
  if (name === 'NodeProto' && ++w.stats.nodes > w.maxNodes) {
    throw new ShrinkmlError('LIMIT', `${w.file}: more than ${w.maxNodes} nodes`, { subject: w.file });
  }
  if (name === 'GraphProto') w.stats.subgraphs++;
  if (name === 'FunctionProto') w.stats.functions++;
  const table = SCHEMA[name];
  const dataTypeField = DATA_TYPE_FIELDS[name];
  let at = start;
  while (at < end) {
    const [tag, afterTag] = varint(w, at, end, trail);
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    const kind = table[field];
    if (field === 0) malformed(w, trail, 'field number 0');
    if (trail.length === 1) w.root.add(field);
    if (kind === undefined && !w.unknown) {
      w.unknown = new ShrinkmlError('UNSUPPORTED', `${w.file}: ${trail.join(' > ')} has field ${field}, which the ONNX schema ` +
        'shrinkml reads does not know (the file uses a newer ONNX feature); re-encoding would drop it', {
        subject: w.file, suggestion: 'export the model with ONNX IR version 10 or lower',
      });
    }
    at = afterTag;
    if (wireType === 0) {
      const [value, next] = varint(w, at, end, trail);
      if (field === dataTypeField && value > MAX_KNOWN_DATA_TYPE) newerType(w, trail, value);
      at = next;
    } else if (wireType === 1 || wireType === 5) {
      at += wireType === 1 ? 8 : 4;
      if (at > end) malformed(w, trail, 'truncated fixed-width field');
    } else if (wireType === 2) {
      const [length, next] = varint(w, at, end, trail);
      if (length > end - next) malformed(w, trail, `field ${field} declares ${length} bytes but only ${end - next} remain`);
      if (kind && kind !== 'v') message(w, kind, next, next + length, [...trail, kind]);
      else if (field === dataTypeField) packedTypes(w, trail, next, next + length);
      at = next + length;
    } else {
      malformed(w, trail, `unsupported wire type ${wireType} in field ${field}`);
    }
    if (kind && kind !== 'v' && wireType !== 2) malformed(w, trail, `field ${field} should be a message`);
  }
}

function packedTypes(w: Walk, trail: string[], start: number, end: number): void {
  for (let at = start; at < end;) {
    const [value, next] = varint(w, at, end, trail);
    if (value > MAX_KNOWN_DATA_TYPE) newerType(w, trail, value);
    at = next;
  }
}

/** A base-128 varint as a JS number (exact below 2^53, enough for lengths, tags and enums). */
function varint(w: Walk, start: number, end: number, trail: string[]): [number, number] {
  let value = 0;
  let scale = 1;
  for (let at = start; at < end && at < start + 10; at++) {
    const byte = w.bytes[at]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, at + 1];
    scale *= 128;
  }
  return malformed(w, trail, 'truncated or overlong varint');
}

function newerType(w: Walk, trail: string[], value: number): never {
  const known = NEWER_DATA_TYPES[value];
  throw new ShrinkmlError('UNSUPPORTED', `${w.file}: ${trail.join(' > ')} uses data type ${known ?? value}` +
    `${known ? ` (${value})` : ''}, which ONNX IR 10 does not have`, {
    subject: w.file, suggestion: 'export the model with ONNX IR version 10 or lower',
  });
}

function malformed(w: Walk, trail: string[], what: string): never {
  throw new ShrinkmlError('BAD_INPUT', `${w.file}: not a valid ONNX protobuf (${trail.join(' > ')}: ${what})`, { subject: w.file });
}
