import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ListParams } from '../query/list-params.ts';
import type { WirePage } from '../store/types.ts';
import { pageUrl } from './page-links.ts';

/**
 * Sends {count, next, previous, results} as JSON.stringify would write it. The page's JSON is already written (by
 * SQLite's reader with room before it, else without): the head goes into that room, or, without room enough, in
 * front of a copy. The page's buffer goes back to be filled again once the response is done or its connection gone.
 */
export function sendListPage(
  request: FastifyRequest,
  reply: FastifyReply,
  params: ListParams,
  listed: { count: number | null; page: WirePage; more: boolean },
) {
  const { count, page, more } = listed;
  // Past the end, previous points at the last page (when the count says where that is).
  const previous =
    params.page === 1
      ? null
      : count === null
        ? params.page - 1
        : Math.min(params.page - 1, Math.max(1, Math.ceil(count / params.pageSize)));
  const next = pageUrl(request, more ? params.page + 1 : null);
  const head = `${JSON.stringify({ count, next, previous: pageUrl(request, previous) }).slice(0, -1)},"results":`;
  const { bytes, start, end } = page;
  const headBytes = Buffer.byteLength(head);
  let body: Buffer;
  if (headBytes <= start) {
    body = Buffer.from(bytes.buffer, bytes.byteOffset + start - headBytes, headBytes + end - start);
    body.write(head, 0, 'utf8');
    // 'close' comes after the last byte is out, or when the connection is gone first ('finish' would never come then).
    reply.raw.once('close', page.release);
  } else {
    body = Buffer.concat([Buffer.from(head), bytes.subarray(start, end)]);
    page.release();
  }
  return reply.type('application/json; charset=utf-8').send(body);
}
