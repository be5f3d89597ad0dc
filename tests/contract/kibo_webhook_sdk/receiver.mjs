// A Kibo event receiver built on Kibo's official Node SDK verifier (mozu-node-sdk isRequestValid).
// Usage: node receiver.mjs <sharedSecret>. Listens on 127.0.0.1 (a free port, printed as one JSON line);
// answers 200 when the SDK accepts a request, 401 with the SDK's error otherwise.
// The verifier pipes the request into its hash, so the stream is read to its end first (otherwise the raw
// bytes would be hashed a second time); then req.body is the raw text (path /raw) or the parsed JSON
// (path /parsed, which the SDK turns back into text with JSON.stringify).
import http from 'node:http';
import isRequestValid from 'mozu-node-sdk/src/security/is-request-valid.js';

const sharedSecret = process.argv[2];

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    req.body = req.url.startsWith('/parsed') ? JSON.parse(raw) : raw;
    isRequestValid({ sharedSecret }, req, (error) => {
      res.writeHead(error ? 401 : 200, { 'content-type': 'text/plain' });
      res.end(error ? String(error.message) : 'valid');
    });
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
