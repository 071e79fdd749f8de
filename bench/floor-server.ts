import http from 'node:http';

/**
 * The HTTP floor: a bare node:http server that reads the body, parses the JSON and answers a small JSON
 * reply, doing nothing else. Tally's ingest is compared against this on the same machine in the same run.
 */
const port = Number(process.env.PORT ?? 0);
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let status = 201;
    let reply = '{"ok":true}';
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      reply = JSON.stringify({ ok: true, keys: Object.keys(body).length });
    } catch {
      status = 400;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(reply);
  });
});
server.listen(port, process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
