import { checkViewer } from '../../lib/operator/smoke/viewer-check';
import { startLocalHttp } from './local-http';

const APP_HTML = '<!doctype html><html lang="en"><head><title>perftool viewer</title><script type="module" crossorigin src="/assets/index-abc.js"></script></head><body><div id="app"></div></body></html>';

/** The headers the CloudFront response headers policy sets on the viewer. */
const SECURITY_HEADERS = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'content-security-policy': "default-src 'self'; connect-src 'self' wss:; frame-ancestors 'none'",
};

describe('smoke step viewer', () => {
  async function serve(status: number, headers: Record<string, string>, body: string) {
    return startLocalHttp((_req, _body, res) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(body);
    });
  }

  test('passes when the URL serves the app with every security header', async () => {
    const server = await serve(200, SECURITY_HEADERS, APP_HTML);
    try {
      await expect(checkViewer(`${server.url}/`)).resolves.toEqual({
        headers: ['strict-transport-security', 'x-content-type-options', 'content-security-policy', 'referrer-policy'],
      });
    } finally {
      await server.close();
    }
  });

  test('names every missing header', async () => {
    const { 'strict-transport-security': _hsts, 'x-frame-options': _xfo, ...rest } = SECURITY_HEADERS;
    const server = await serve(200, { ...rest, 'content-security-policy': "default-src 'self'" }, APP_HTML);
    try {
      const failure = checkViewer(`${server.url}/`);
      await expect(failure).rejects.toThrow('missing strict-transport-security');
      await expect(failure).rejects.toThrow('no clickjacking protection');
    } finally {
      await server.close();
    }
  });

  test('fails on an error page or a page that is not the app, even with the headers', async () => {
    const errorPage = await serve(403, SECURITY_HEADERS, '<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>');
    const otherPage = await serve(200, SECURITY_HEADERS, '<html><body>It works!</body></html>');
    try {
      await expect(checkViewer(errorPage.url)).rejects.toThrow(/HTTP 403.*the page is not the viewer app/);
      await expect(checkViewer(otherPage.url)).rejects.toThrow(/: the page is not the viewer app$/);
    } finally {
      await errorPage.close();
      await otherPage.close();
    }
  });
});
