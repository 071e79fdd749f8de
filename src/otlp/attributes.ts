import { MAX_DEPTH } from '../fields/input-guard.ts';

/** An attribute's value as JavaScript: OTLP's AnyValue with 64-bit integers as numbers (as strings past 2^53) and bytes as base64. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };

/** A span's, an event's or a resource's attributes by key (the last of a repeated key wins, as in the SDKs). */
export type Attributes = ReadonlyMap<string, AttrValue>;

/**
 * More attributes on one span, event or resource than any SDK sends (their default limit is 128): such a span is
 * rejected rather than turned into a record with thousands of metadata keys.
 */
export const MAX_ATTRIBUTES = 1024;

/** Why one span cannot be made into a record; it is counted in partial_success with this message. */
export class SpanProblem extends Error {}

/**
 * A value read with a oneof per AnyValue member (proto.ts PlainSpan) that has two of them set: which one the
 * sender meant (the last on the wire) only the oneof knows, so the span is read again with the exact types.
 */
export class TwoMembers extends Error {}

/** The members of AnyValue's oneof. */
const MEMBERS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

/**
 * Which member an AnyValue holds: what its oneof says (`value`, read with the exact types), or else the one member set
 * on the message itself (read with PlainSpan's types, where a member not sent is only the prototype's default).
 */
function memberOf(v: AnyValueMessage): string | undefined {
  if (v.value !== undefined) return v.value;
  let found: string | undefined;
  for (const m of MEMBERS) {
    if (!Object.hasOwn(v, m)) continue;
    if (found !== undefined) throw new TwoMembers();
    found = m;
  }
  return found;
}

/** protobufjs's decoded AnyValue: the set member of the oneof, named by `value` (exact types), or the one field set (plain). */
interface AnyValueMessage {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | { toString(): string; toNumber(): number };
  doubleValue?: number;
  arrayValue?: { values?: AnyValueMessage[] };
  kvlistValue?: { values?: KeyValueMessage[] };
  bytesValue?: Uint8Array;
}
export interface KeyValueMessage {
  key?: string;
  value?: AnyValueMessage | null;
}

function int(v: NonNullable<AnyValueMessage['intValue']>): number | string {
  if (typeof v === 'number') return v;
  const n = v.toNumber();
  return Number.isSafeInteger(n) ? n : v.toString();
}

export function anyValue(v: AnyValueMessage | null | undefined, where: string, depth = 0): AttrValue {
  if (depth > MAX_DEPTH) throw new SpanProblem(`${where} nests deeper than ${MAX_DEPTH} levels`);
  if (!v) return null; // an AnyValue with nothing set
  switch (memberOf(v)) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ?? false;
    case 'intValue':
      return int(v.intValue ?? 0);
    case 'doubleValue':
      return v.doubleValue ?? 0;
    case 'bytesValue':
      return Buffer.from(v.bytesValue ?? []).toString('base64');
    case 'arrayValue': {
      const values = v.arrayValue?.values ?? [];
      if (values.length > MAX_ATTRIBUTES) throw new SpanProblem(`${where} holds ${values.length} values; at most ${MAX_ATTRIBUTES}`);
      return values.map((item) => anyValue(item, where, depth + 1));
    }
    case 'kvlistValue':
      return Object.fromEntries(attributeEntries(v.kvlistValue?.values ?? [], where, depth + 1));
    default:
      return null; // an AnyValue with nothing set
  }
}

function attributeEntries(list: readonly KeyValueMessage[], where: string, depth = 0): [string, AttrValue][] {
  if (list.length > MAX_ATTRIBUTES) throw new SpanProblem(`${where} has ${list.length} attributes; at most ${MAX_ATTRIBUTES} are accepted`);
  return list.map((kv) => [kv.key ?? '', anyValue(kv.value, `${where} attribute "${(kv.key ?? '').slice(0, 100)}"`, depth)]);
}

/** A list of KeyValue as a map; throws SpanProblem past MAX_ATTRIBUTES or MAX_DEPTH. */
export function attributeMap(list: readonly KeyValueMessage[] | null | undefined, where: string): Attributes {
  return new Map(attributeEntries(list ?? [], where));
}
