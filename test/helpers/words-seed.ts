/**
 * Records for the explorer's "people's words" browser test (test/explorer-words.test.ts): a three-turn support thread
 * whose every call resends the conversation so far, a trace of two calls, one record of several types, calls of a
 * self-hosted model no price list knows (cost null), a record with metadata, and enough plain calls to fill a page.
 */

const at = (minute: number) => new Date(Date.UTC(2025, 4, 2, 10, minute, 0)).toISOString();

export const THREAD = 'thread_support_7';
export const TRACE = 'trace_words_1';
export const UNPRICED_MODEL = 'acme-finetune-v3';
export const UNPRICED_COUNT = 4;
export const EMBED_TEXT = 'Shipping policy for parcels to Lyon';
export const META = { region: 'eu-west', tier: 'gold', retries: 2, beta: true };

const SYSTEM = { role: 'system', content: 'You are the support assistant of a parcel company.' };
export const TURNS = [
  { user: 'My order #42 has not arrived.', answer: 'Sorry to hear that. Can you give me the postcode?' },
  { user: 'It is 75011.', answer: 'Thanks: it left the Paris depot today and arrives tomorrow.' },
  { user: 'Can I change the delivery address?', answer: 'Yes: reply with the new address before 18:00.' },
];

/** The thread's calls: each sends the system prompt, every earlier turn and its new question. */
function threadCalls(): Record<string, unknown>[] {
  return TURNS.map((turn, i) => ({
    field_3: 'type_a',
    field_4: 'gpt-4o-mini',
    field_1: [
      SYSTEM,
      ...TURNS.slice(0, i).flatMap((t) => [
        { role: 'user', content: t.user },
        { role: 'assistant', content: t.answer },
      ]),
      { role: 'user', content: turn.user },
    ],
    field_2: { role: 'assistant', content: turn.answer },
    field_5: { sub_field_a: 60 + i * 40, sub_field_b: 20 },
    field_7: 0.8,
    field_10: 'customer_parcel',
    field_11: THREAD,
    timestamp: at(10 + i * 7), // between other calls: the thread view gathers them
  }));
}

function plain(i: number): Record<string, unknown> {
  return {
    field_3: 'type_a',
    field_4: i % 2 ? 'gpt-4o' : 'gpt-4o-mini',
    field_1: [{ role: 'user', content: `Summarise ticket ${i} in one line.` }],
    field_2: { role: 'assistant', content: `Ticket ${i}: a customer asks about a late parcel.` },
    field_5: { sub_field_a: 100 + i, sub_field_b: 30 },
    field_6: Math.round((0.001 + (i % 7) * 0.0013) * 1e6) / 1e6,
    field_7: 0.5 + (i % 5) * 0.2,
    field_10: `customer_${i % 4}`,
    field_11: `thread_other_${i % 5}`,
    timestamp: at(i),
  };
}

export function wordsSeed(): Record<string, unknown>[] {
  const unpriced = Array.from({ length: UNPRICED_COUNT }, (_, i) => ({
    ...plain(40 + i),
    field_4: UNPRICED_MODEL,
    field_6: null,
    field_1: [{ role: 'user', content: `Classify complaint ${i}.` }],
  }));
  return [
    ...Array.from({ length: 30 }, (_, i) => plain(i)),
    ...threadCalls(),
    ...unpriced,
    { field_3: 'type_b', field_4: 'text-embedding-3-small', field_1: EMBED_TEXT, field_2: null, field_6: 0.00001, timestamp: at(45) },
    { ...plain(46), field_3: 'type_c', field_1: 'route the ticket', field_2: 'routed to billing', field_13: TRACE, field_14: 'triage' },
    { ...plain(47), field_3: 'type_f', field_1: '{"ticket": 47}', field_2: '{"queue": "billing"}', field_13: TRACE, field_15: 'lookup' },
    { ...plain(48), field_9: META, field_6: 0.9 }, // the most expensive call
  ];
}
