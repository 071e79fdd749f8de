import http from 'node:http';

/** The model the fake upstream says it used (the instrumentations report it as the response model). */
export const MODEL = 'gpt-4o-mini-2024-07-18';
export const EMBEDDING_MODEL = 'text-embedding-3-small';
/** A request for this model gets a 429 with OpenAI's error body; FAIL_500 a 500. */
export const FAIL_429 = 'fail-429';
export const FAIL_500 = 'fail-500';
export const ERROR_MESSAGE = 'Rate limit reached for requests';

const VECTOR = [0.5, -0.25, 0.125];
const base64Floats = (v: number[]) => Buffer.from(new Float32Array(v).buffer).toString('base64');

interface ChatBody {
  model?: string;
  stream?: boolean;
  tools?: unknown[];
  messages?: { role: string }[];
  encoding_format?: string;
}

/**
 * A node:http server answering as OpenAI does: a chat completion ('4'), a tool call when tools are offered and the
 * last message is not a tool result, a streamed chat as server-sent events (with the usage chunk last), embeddings,
 * and an error for the models FAIL_429 / FAIL_500. Bodies are read whole before answering; a body that is not
 * JSON gets a 400.
 */
export function fakeOpenAI(): http.Server {
  return http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      let body: ChatBody;
      try {
        body = JSON.parse(raw) as ChatBody;
      } catch {
        res.writeHead(400).end();
        return;
      }
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (body.model === FAIL_429 || body.model === FAIL_500) {
        const status = body.model === FAIL_429 ? 429 : 500;
        json(status, { error: { message: ERROR_MESSAGE, type: status === 429 ? 'requests' : 'server_error', code: null, param: null } });
        return;
      }
      if (req.url === '/v1/embeddings') {
        json(200, {
          object: 'list',
          // the openai package asks for base64 (little-endian float32) unless told otherwise, and decodes it
          data: [{ object: 'embedding', index: 0, embedding: body.encoding_format === 'base64' ? base64Floats(VECTOR) : VECTOR }],
          model: EMBEDDING_MODEL,
          usage: { prompt_tokens: 5, total_tokens: 5 },
        });
        return;
      }
      if (req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const last = body.messages?.at(-1)?.role;
      if (!body.stream && body.tools && body.tools.length > 0 && last !== 'tool') {
        json(200, {
          id: 'chatcmpl-3',
          object: 'chat.completion',
          created: 1_767_225_600,
          model: MODEL,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
              },
              finish_reason: 'tool_calls',
            },
          ],
          usage: { prompt_tokens: 40, completion_tokens: 7, total_tokens: 47 },
        });
        return;
      }
      if (!body.stream) {
        json(200, {
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1_767_225_600,
          model: MODEL,
          choices: [{ index: 0, message: { role: 'assistant', content: '4' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 21, completion_tokens: 1, total_tokens: 22 },
        });
        return;
      }
      const chunk = (choices: unknown[], usage: unknown = null) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-2', object: 'chat.completion.chunk', created: 1_767_225_600, model: MODEL, choices, usage })}\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk([{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }]));
      res.write(chunk([{ index: 0, delta: { content: 'lo.' }, finish_reason: null }]));
      res.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
      res.write(chunk([], { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 }));
      res.end('data: [DONE]\n\n');
    });
  });
}

/** Starts the fake upstream on a free port of 127.0.0.1; returns it and its port. */
export async function startFakeOpenAI(): Promise<{ server: http.Server; port: number; close(): Promise<void> }> {
  const server = fakeOpenAI();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The chat tool the tool-call tests offer. */
export const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
