import type { RecordType } from '../fields/registry.ts';
import type { Attributes } from './attributes.ts';

/** A span's record type and the attributes that decided it; null for a span that is not about a model, agent, workflow or tool. */
export interface Classification {
  type: RecordType;
  /** The attributes the rule read, which field_3 then stands for (field_9 does not repeat them). */
  decidedBy: readonly string[];
}

const lower = (v: unknown): string | null => (typeof v === 'string' ? v.toLowerCase() : null);

export const MODEL_ATTRIBUTES = ['gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name', 'embedding.model_name'] as const;

/**
 * field_3 by otlp.md's table, the first rule that matches deciding: the OpenTelemetry operation name, then the
 * OpenInference and Traceloop span kinds (compared without regard to case), then any span that names a model.
 */
export function classifySpan(attributes: Attributes): Classification | null {
  const op = lower(attributes.get('gen_ai.operation.name'));
  const oi = lower(attributes.get('openinference.span.kind'));
  const tl = lower(attributes.get('traceloop.span.kind'));
  const requestType = lower(attributes.get('llm.request.type'));
  const by = (type: RecordType, ...names: (string | false)[]): Classification => ({
    type,
    decidedBy: names.filter((n): n is string => n !== false),
  });
  const chatOp = op === 'chat' || op === 'text_completion' || op === 'generate_content';
  const chatRequest = requestType === 'chat' || requestType === 'completion';
  if (chatOp || oi === 'llm' || chatRequest)
    return by('type_a', chatOp && 'gen_ai.operation.name', oi === 'llm' && 'openinference.span.kind', chatRequest && 'llm.request.type');
  if (op === 'embeddings' || oi === 'embedding')
    return by('type_b', op === 'embeddings' && 'gen_ai.operation.name', oi === 'embedding' && 'openinference.span.kind');
  if (tl === 'workflow' || oi === 'chain')
    return by('type_c', tl === 'workflow' && 'traceloop.span.kind', oi === 'chain' && 'openinference.span.kind');
  if (op === 'invoke_agent' || op === 'create_agent' || tl === 'agent' || oi === 'agent')
    return by(
      'type_d',
      (op === 'invoke_agent' || op === 'create_agent') && 'gen_ai.operation.name',
      tl === 'agent' && 'traceloop.span.kind',
      oi === 'agent' && 'openinference.span.kind',
    );
  if (tl === 'task') return by('type_e', 'traceloop.span.kind');
  if (op === 'execute_tool' || tl === 'tool' || oi === 'tool')
    return by(
      'type_f',
      op === 'execute_tool' && 'gen_ai.operation.name',
      tl === 'tool' && 'traceloop.span.kind',
      oi === 'tool' && 'openinference.span.kind',
    );
  if (MODEL_ATTRIBUTES.slice(0, 3).some((name) => typeof attributes.get(name) === 'string')) return by('type_a');
  return null;
}
