import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import protobuf from 'protobufjs';

/**
 * The OTLP message types, read at start from the vendored opentelemetry-proto files (vendor/opentelemetry-proto,
 * vendor/googleapis: where they came from is in their READMEs) by protobufjs, which decodes and encodes them. The
 * path is the same from src/ and from dist/ (scripts/build.mjs keeps the layout).
 */
const VENDOR = fileURLToPath(new URL('../../vendor', import.meta.url));
const INCLUDES = ['opentelemetry-proto', 'googleapis'].map((d) => path.join(VENDOR, d));

/**
 * Views of the request that leave each resource's scopes and each scope's spans (or log records) undecoded (a message field and a
 * bytes field are the same on the wire), so that spans are decoded one at a time, between which the event loop may
 * serve others; also what the request's outer levels hold beside them, which is decoded at once.
 */
const VIEWS = `
syntax = "proto3";
package tally.otlp;
import "opentelemetry/proto/resource/v1/resource.proto";
import "opentelemetry/proto/common/v1/common.proto";
message TracesRequestView { repeated bytes resource_spans = 1; }
message ResourceSpansView { opentelemetry.proto.resource.v1.Resource resource = 1; repeated bytes scope_spans = 2; }
message ScopeSpansView { opentelemetry.proto.common.v1.InstrumentationScope scope = 1; repeated bytes spans = 2; }
message LogsRequestView { repeated bytes resource_logs = 1; }
message ResourceLogsView { opentelemetry.proto.resource.v1.Resource resource = 1; repeated bytes scope_logs = 2; }
message ScopeLogsView { opentelemetry.proto.common.v1.InstrumentationScope scope = 1; repeated bytes log_records = 2; }
`;

function load(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (path.isAbsolute(target)) return target;
    return INCLUDES.map((dir) => path.join(dir, target)).find((file) => fs.existsSync(file)) ?? target;
  };
  root.loadSync(
    [
      'opentelemetry/proto/collector/trace/v1/trace_service.proto',
      'opentelemetry/proto/collector/logs/v1/logs_service.proto',
      'google/rpc/status.proto',
    ],
    { keepCase: false }, // lowerCamelCase field names: OTLP/JSON's keys
  );
  protobuf.parse(VIEWS, root, { keepCase: false });
  root.resolveAll();
  return root;
}

const root = load();

/**
 * The same types with AnyValue's shared oneof `value` replaced by a oneof per member, for the decode of a protobuf
 * span: protobufjs's setter of the shared oneof deletes the other six members of every value it sets, which leaves
 * each AnyValue a slow object (the bench request's spans: 9.4-11.5 → 6.8-7.1 µs a span's decode). Which member a
 * value holds is then the one set on it (attributes.ts); a value with two set (a member sent after another, which
 * the shared oneof resolves to the last) is read again with the exact types (decode.ts).
 */
function plain(): protobuf.Root {
  const r = load();
  const any = r.lookupType('opentelemetry.proto.common.v1.AnyValue');
  for (const oneof of [...any.oneofsArray]) {
    const members = [...oneof.fieldsArray];
    for (const field of members) oneof.remove(field);
    any.remove(oneof);
    // Each member in a oneof of its own, as proto3 `optional` fields are: set whenever sent, even to its default,
    // and setting it deletes nothing else.
    for (const field of members) any.add(new protobuf.OneOf(`_${field.name}`, [field.name]));
  }
  r.resolveAll();
  return r;
}
const plainRoot = plain();

export const OTLP = {
  ExportTraceServiceRequest: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
  ExportTraceServiceResponse: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  ResourceSpans: root.lookupType('opentelemetry.proto.trace.v1.ResourceSpans'),
  Span: root.lookupType('opentelemetry.proto.trace.v1.Span'),
  /** Span with a oneof per AnyValue member (plain() above): the first read of a protobuf span. */
  PlainSpan: plainRoot.lookupType('opentelemetry.proto.trace.v1.Span'),
  Resource: root.lookupType('opentelemetry.proto.resource.v1.Resource'),
  InstrumentationScope: root.lookupType('opentelemetry.proto.common.v1.InstrumentationScope'),
  ExportLogsServiceRequest: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
  ExportLogsServiceResponse: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
  LogRecord: root.lookupType('opentelemetry.proto.logs.v1.LogRecord'),
  LogsRequestView: root.lookupType('tally.otlp.LogsRequestView'),
  ResourceLogsView: root.lookupType('tally.otlp.ResourceLogsView'),
  ScopeLogsView: root.lookupType('tally.otlp.ScopeLogsView'),
  Status: root.lookupType('google.rpc.Status'),
  TracesRequestView: root.lookupType('tally.otlp.TracesRequestView'),
  ResourceSpansView: root.lookupType('tally.otlp.ResourceSpansView'),
  ScopeSpansView: root.lookupType('tally.otlp.ScopeSpansView'),
} as const;
