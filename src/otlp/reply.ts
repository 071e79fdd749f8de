import type { Encoding } from './decode.ts';
import { OTLP } from './proto.ts';

/** What an export came to: the spans (or log records) that could not be stored, and why (empty when all were). */
export interface ExportResult {
  rejected: number;
  errorMessage: string;
}

const encode = (type: typeof OTLP.Status, value: Record<string, unknown>, encoding: Encoding): Buffer | string =>
  encoding === 'protobuf' ? Buffer.from(type.encode(type.fromObject(value)).finish()) : JSON.stringify(value);

/** The ExportTraceServiceResponse, in the request's encoding; partial_success only when a span was rejected (OTLP's rule). */
export function traceResponse(result: ExportResult, encoding: Encoding): Buffer | string {
  const value = result.rejected > 0 ? { partialSuccess: { rejectedSpans: result.rejected, errorMessage: result.errorMessage } } : {};
  return encode(OTLP.ExportTraceServiceResponse, value, encoding);
}

/** The ExportLogsServiceResponse, in the request's encoding; partial_success only when a log record was rejected. */
export function logsResponse(result: ExportResult, encoding: Encoding): Buffer | string {
  const value = result.rejected > 0 ? { partialSuccess: { rejectedLogRecords: result.rejected, errorMessage: result.errorMessage } } : {};
  return encode(OTLP.ExportLogsServiceResponse, value, encoding);
}

/** The gRPC code OTLP/HTTP's google.rpc.Status carries for an HTTP status. */
function grpcCode(httpStatus: number): number {
  if (httpStatus === 401) return 16; // UNAUTHENTICATED
  if (httpStatus === 403) return 7; // PERMISSION_DENIED
  if (httpStatus === 404) return 5; // NOT_FOUND
  if (httpStatus === 408) return 4; // DEADLINE_EXCEEDED
  if (httpStatus === 413 || httpStatus === 429) return 8; // RESOURCE_EXHAUSTED
  if (httpStatus === 503) return 14; // UNAVAILABLE
  if (httpStatus >= 400 && httpStatus < 500) return 3; // INVALID_ARGUMENT
  return 13; // INTERNAL
}

/** An error as OTLP/HTTP sends it: a google.rpc.Status in the request's encoding. */
export function statusBody(httpStatus: number, message: string, encoding: Encoding): Buffer | string {
  return encode(OTLP.Status, { code: grpcCode(httpStatus), message }, encoding);
}

/** The content type of a reply in this encoding. */
export const contentTypeOf = (encoding: Encoding): string => (encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json');

/** The encoding a request's Content-Type names, or null for any other type (415). */
export function encodingOf(contentType: string | undefined): Encoding | null {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
}
