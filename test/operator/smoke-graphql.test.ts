import { waitForResult } from '../../lib/operator/smoke/graphql-poll';
import { ALL_OPERATIONS } from '../../viewer-assets/src/api/operations';
import { startLocalHttp } from './local-http';

const ROW = { timestamp: '2026-11-24T01:02:03.456789+00:00', publisher: 'smoke-1', writer_bytes_rate: 481846.15, reader_bytes_rate: 480368.1 };

describe('smoke step graphql-result against a local HTTP server answering like Hasura', () => {
  test('keeps polling through gateway errors and empty answers until the row is there, anonymously', async () => {
    let calls = 0;
    const server = await startLocalHttp((_req, body, res) => {
      calls++;
      const { variables } = JSON.parse(body) as { variables: { publisher: string } };
      if (calls === 1) {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway (CloudFront)</html>');
      } else {
        const rows = calls >= 3 && variables.publisher === ROW.publisher ? [ROW] : [];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { rows } }));
      }
    });
    try {
      const found = await waitForResult({ graphqlUrl: `${server.url}/v1/graphql`, publisher: 'smoke-1', timeoutMs: 10000, intervalMs: 20 });
      expect(found).toEqual({ row: ROW, attempts: 3 });
      for (const req of server.requests) {
        expect(req).toMatchObject({ method: 'POST', path: '/v1/graphql' });
        expect(req.headers['x-hasura-admin-secret']).toBeUndefined();
        expect(req.headers.authorization).toBeUndefined();
      }
      // The viewer's allow-listed raw-results document, nothing ad hoc.
      expect(JSON.parse(server.requests[0].body).query).toBe(ALL_OPERATIONS.RESULTS_perftool);
    } finally {
      await server.close();
    }
  });

  test('a GraphQL error (e.g. a missing permission) ends the wait at once with the message', async () => {
    const server = await startLocalHttp((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: "field 'perftool' not found in type: 'query_root'", extensions: { code: 'validation-failed' } }] }));
    });
    try {
      await expect(waitForResult({ graphqlUrl: server.url, publisher: 'smoke-1', timeoutMs: 60000, intervalMs: 20 })).rejects.toThrow(
        "GraphQL error: field 'perftool' not found in type: 'query_root'",
      );
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  test('times out with the last problem when the row never appears', async () => {
    const server = await startLocalHttp((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { rows: [] } }));
    });
    try {
      await expect(waitForResult({ graphqlUrl: server.url, publisher: 'smoke-9', timeoutMs: 200, intervalMs: 20 })).rejects.toThrow(
        /"smoke-9" did not appear within 0.2 s after \d+ queries \(last: the result is not stored yet\)/,
      );
    } finally {
      await server.close();
    }
  });
});
