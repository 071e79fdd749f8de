import { ERROR_CODES } from '../errors.ts';
import { FIELDS, METADATA_PREFIX, SORT_OPTIONS, isFilterable, isSortable } from '../fields/registry.ts';
import { createRecordSchema, recordOutputSchema } from '../fields/schema.ts';
import { MAX_FILTERS, MAX_FILTER_VALUES, MAX_IN_VALUES, OPERATORS } from '../query/filters.ts';
import { MAX_BATCH } from '../fields/validate-batch.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../query/list-params.ts';
import { DIMENSION_FIELDS, MAX_DIMENSIONS, MAX_LIMIT, MEASURES } from '../query/analytics-params.ts';
import { INTERVALS } from '../query/calendar.ts';

/** The analytics parameters as the contract's table gives them. */
const ANALYTICS_PARAMS: [string, string][] = [
  ['param_a', 'Start, ISO 8601, inclusive (default: 30 days before end); without an offset read as UTC'],
  ['end', 'End, ISO 8601, exclusive (default: now)'],
  ['interval', `One of ${INTERVALS.join(', ')} (weeks start on Monday); absent: one bucket over the range`],
  ['tz', 'IANA time zone of the bucket boundaries (default UTC)'],
  ['group_by', `Up to ${MAX_DIMENSIONS} of ${DIMENSION_FIELDS.join(', ')}, field_9__<key>`],
  ['measures', `Any of ${MEASURES.join(', ')} (default count,cost,tokens_total,latency_p50,latency_p95,error_count)`],
  ['filters', "The list's filters, as JSON"],
  ['order_by', 'A requested measure, "-" for descending (default -count)'],
  ['limit', `The most groups per bucket, 1-${MAX_LIMIT} (default 100); the rest form one "other" row`],
];

/** The OpenAPI 3 document, derived from the same registry and schemas the server validates with. */
export function openApiDocument(version: string): Record<string, unknown> {
  const filterable = FIELDS.filter(isFilterable).map((f) => f.name);
  const sortable = [...Object.keys(SORT_OPTIONS), ...FIELDS.filter(isSortable).map((f) => f.name)];
  const options = Object.entries(SORT_OPTIONS)
    .map(([option, field]) => `${option} ${field}`)
    .join(', ');
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const error = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
  const json = (schema: unknown) => ({ 'application/json': { schema } });
  const auth = {
    401: error('Missing or invalid API key'),
    429: error('Rate limit of this API key reached (TALLY_RATE_LIMIT_PER_SECOND); retry after Retry-After'),
  };
  const listParams = [
    {
      name: 'param_a',
      in: 'query',
      description: 'Start time (ISO 8601): records at or after it.',
      schema: { type: 'string', example: '2025-01-01T00:00:00Z' },
    },
    { name: 'param_b', in: 'query', description: 'Page number.', schema: { type: 'integer', default: 1, minimum: 1 } },
    {
      name: 'param_c',
      in: 'query',
      description: `Page size, at most ${MAX_PAGE_SIZE}.`,
      schema: { type: 'integer', default: DEFAULT_PAGE_SIZE, minimum: 1, maximum: MAX_PAGE_SIZE },
    },
    {
      name: 'param_d',
      in: 'query',
      description: `Sort; prefix "-" for descending. ${options}.`,
      schema: { type: 'string', default: '-id', enum: sortable.flatMap((s) => [s, `-${s}`]) },
    },
    {
      name: 'count',
      in: 'query',
      description:
        'Tally extension: false skips counting the matches (the costly part of a filtered list on a large table); the reply then has "count": null, and next is set when another record follows this page.',
      schema: { type: 'boolean', default: true },
    },
  ];
  const listReply = {
    200: { description: 'A page of records', content: json(ref('RecordList')) },
    400: error('Bad query parameter or filter'),
    ...auth,
  };
  return withCodeSpans({
    openapi: '3.0.3',
    info: {
      title: 'Tally records API',
      version,
      description: 'Store and query LLM call records. Every call needs `Authorization: Bearer <key>`.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        CreateRecord: createRecordSchema(),
        Record: recordOutputSchema(),
        RecordList: {
          type: 'object',
          properties: {
            count: { type: 'integer', nullable: true, description: 'Every matching record; null when the request said count=false' },
            next: { type: 'string', nullable: true },
            previous: { type: 'string', nullable: true },
            results: { type: 'array', items: ref('Record') },
          },
        },
        Filters: {
          type: 'object',
          description:
            `Keys: ${filterable.join(', ')}, or \`${METADATA_PREFIX}<key>\`. All filters are ANDed. At most ${MAX_FILTERS} filters, ` +
            `${MAX_IN_VALUES} values in an "in" list and ${MAX_FILTER_VALUES} in all the "in" lists together.`,
          maxProperties: MAX_FILTERS,
          additionalProperties: {
            type: 'object',
            properties: {
              operator: { type: 'string', enum: [...OPERATORS], default: '' },
              value: { type: 'array', items: {} },
            },
          },
        },
        Summary: {
          type: 'object',
          description:
            'Latency percentiles are nearest-rank over records that have a latency; total_cost leaves out the uncosted_count records without a cost (null when none has one).',
          properties: {
            count: { type: 'integer' },
            total_cost: { type: 'number', nullable: true },
            uncosted_count: { type: 'integer' },
            total_tokens: { type: 'integer' },
            latency_p50: { type: 'number', nullable: true },
            latency_p95: { type: 'number', nullable: true },
            error_count: { type: 'integer' },
            error_rate: { type: 'number', nullable: true },
            first_timestamp: { type: 'string', nullable: true },
            last_timestamp: { type: 'string', nullable: true },
            bucket_seconds: { type: 'number', nullable: true },
            buckets: {
              type: 'array',
              items: {
                type: 'object',
                properties: { start: { type: 'string' }, count: { type: 'integer' }, cost: { type: 'number', nullable: true } },
              },
            },
          },
        },
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: {
                code: { type: 'string', enum: Object.keys(ERROR_CODES) },
                message: { type: 'string' },
                details: {
                  type: 'array',
                  items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/records/create/': {
        post: {
          summary: 'Create a record',
          requestBody: { required: true, content: json(ref('CreateRecord')) },
          responses: {
            201: { description: 'Stored durably; the whole record', content: json(ref('Record')) },
            202: { description: 'field_21.option_a false: accepted, written within milliseconds', content: json(ref('Record')) },
            400: error('Invalid record; every problem is listed and nothing is stored'),
            ...auth,
            413: error('Body too large'),
            503: error('Write queue full or store unavailable; retry after Retry-After'),
          },
        },
      },
      '/api/records/summary/': {
        get: {
          summary: 'Aggregates over what the list would match: count, cost, tokens, latency p50/p95, error rate, time buckets',
          parameters: [listParams[0], { name: 'filters', in: 'query', description: 'JSON object of filters', schema: { type: 'string' } }],
          responses: {
            200: { description: 'The summary', content: json(ref('Summary')) },
            400: error('Bad query parameter or filter'),
            ...auth,
          },
        },
        post: {
          summary: 'Summary with filters in the body',
          parameters: [listParams[0]],
          requestBody: { content: json({ type: 'object', properties: { filters: ref('Filters') } }) },
          responses: {
            200: { description: 'The summary', content: json(ref('Summary')) },
            400: error('Bad query parameter or filter'),
            ...auth,
          },
        },
      },
      '/api/records/analytics/': {
        get: {
          summary: 'Measures per time bucket and group (docs/analytics.md); lists comma-separated, filters as JSON',
          parameters: ANALYTICS_PARAMS.map(([name, description]) => ({ name, in: 'query', description, schema: { type: 'string' } })),
          responses: {
            200: { description: 'The results, ordered by bucket then order_by', content: json({ type: 'object' }) },
            400: error('A malformed parameter, named in the error'),
            ...auth,
            422: error('The scan ran out of its time budget (query_timeout)'),
          },
        },
        post: {
          summary: 'Analytics with the parameters in a JSON body (its keys win over the query string)',
          requestBody: {
            content: json({
              type: 'object',
              properties: {
                ...Object.fromEntries(ANALYTICS_PARAMS.map(([name, description]) => [name, { type: 'string', description }])),
                group_by: { type: 'array', items: { type: 'string' }, maxItems: MAX_DIMENSIONS },
                measures: { type: 'array', items: { enum: MEASURES } },
                limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT },
                filters: ref('Filters'),
              },
            }),
          },
          responses: {
            200: { description: 'The results, ordered by bucket then order_by', content: json({ type: 'object' }) },
            400: error('A malformed parameter, named in the error'),
            ...auth,
            422: error('The scan ran out of its time budget (query_timeout)'),
          },
        },
      },
      '/api/records/export/': {
        get: {
          summary:
            'Every matching record, oldest first, streamed as JSONL (each line the retrieve reply) or CSV (read scope; docs/lifecycle.md)',
          parameters: [
            { name: 'format', in: 'query', description: 'jsonl (default) or csv', schema: { enum: ['jsonl', 'csv'] } },
            listParams[0],
            { name: 'end', in: 'query', description: 'ISO 8601 date-time, exclusive', schema: { type: 'string' } },
            { name: 'filters', in: 'query', description: 'JSON object of filters', schema: { type: 'string' } },
          ],
          responses: {
            200: {
              description: 'The records, streamed as an attachment',
              content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } },
            },
            400: error('An unknown format, a bad parameter or filter'),
            ...auth,
          },
        },
        post: {
          summary: 'Export with filters in the body; format, param_a and end in the query string',
          parameters: [
            { name: 'format', in: 'query', schema: { enum: ['jsonl', 'csv'] } },
            listParams[0],
            { name: 'end', in: 'query', schema: { type: 'string' } },
          ],
          requestBody: { content: json({ type: 'object', additionalProperties: false, properties: { filters: ref('Filters') } }) },
          responses: {
            200: { description: 'The records, streamed as an attachment' },
            400: error('An unknown format, a bad parameter or filter'),
            ...auth,
          },
        },
      },
      '/api/records/erase/': {
        post: {
          summary:
            "Erase the org's records the filters match, in one transaction (admin scope); the filters must hold an equality or in on field_10, field_11, field_12 or field_13",
          requestBody: {
            required: true,
            content: json({ type: 'object', required: ['filters'], additionalProperties: false, properties: { filters: ref('Filters') } }),
          },
          responses: {
            200: {
              description: 'The number of records erased',
              content: json({ type: 'object', properties: { count: { type: 'integer' } } }),
            },
            400: error('No narrowing condition, or a bad body or filter: nothing erased'),
            ...auth,
          },
        },
      },
      '/api/meta/fields': {
        get: {
          summary: 'Filterable and sortable fields and the filter operators, from the field registry',
          responses: { 200: { description: 'The field catalogue' }, ...auth },
        },
      },
      '/api/records/batch/': {
        post: {
          summary: `Create up to ${MAX_BATCH} records in one transaction`,
          description:
            'Every item is validated like a single create. One bad item rejects the whole batch (400, every problem listed as `records.<index>.<field>`) and nothing is stored. ' +
            'Otherwise all items are committed in one transaction and the reply is sent after the commit is on disk. field_21 of the items is accepted but not consulted: a batch is always durable.',
          requestBody: {
            required: true,
            content: json({
              type: 'object',
              required: ['records'],
              additionalProperties: false,
              properties: { records: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: ref('CreateRecord') } },
            }),
          },
          responses: {
            201: {
              description: 'All stored durably; the new ids in the order sent',
              content: json({
                type: 'object',
                properties: { count: { type: 'integer' }, ids: { type: 'array', items: { type: 'string' } } },
              }),
            },
            400: error('Invalid batch or item(s); nothing is stored'),
            ...auth,
            413: error('Body too large'),
            503: error('Store unavailable; nothing was stored'),
          },
        },
      },
      '/api/records/{resource_id}/': {
        get: {
          summary: 'Retrieve one record',
          parameters: [{ name: 'resource_id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: { description: 'The record', content: json(ref('Record')) },
            ...auth,
            404: error('No such record in your org'),
          },
        },
      },
      '/api/records/list/': {
        get: {
          summary: 'List records (filters as a JSON string in ?filters=)',
          parameters: [...listParams, { name: 'filters', in: 'query', description: 'JSON object of filters', schema: { type: 'string' } }],
          responses: listReply,
        },
        post: {
          summary: 'List records with filters',
          parameters: listParams,
          requestBody: { content: json({ type: 'object', properties: { filters: ref('Filters') } }) },
          responses: listReply,
        },
      },
    },
  });
}

/** A placeholder such as <key> or a path such as records.<index>.<field>, outside a code span. */
const PLACEHOLDER = /[\w.]*<[\w-]+>(?:[\w.]*<[\w-]+>)*/g;

/**
 * Descriptions are CommonMark, where a bare <key> is an HTML tag that the reference page drops ("Bearer ."):
 * placeholders, also those in the registry's plain-text descriptions, are put in code spans.
 */
function withCodeSpans<T>(node: T, key = ''): T {
  if (typeof node === 'string' && (key === 'description' || key === 'summary')) {
    const parts = node.split(/(`[^`]*`)/);
    return parts.map((part, i) => (i % 2 === 1 ? part : part.replace(PLACEHOLDER, (m) => `\`${m}\``))).join('') as T;
  }
  if (Array.isArray(node)) return node.map((v) => withCodeSpans(v)) as T;
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withCodeSpans(v, k)])) as T;
}
