import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { contentSecurityPolicy } from '../../lib/web/security-headers';
import { buildViewerInto } from '../../lib/web/viewer-build';

// The CloudFront Function source as deployed, run in a fresh context like the CloudFront JS runtime.
const source = readFileSync(join(__dirname, '..', '..', 'lib', 'web', 'spa-rewrite.js'), 'utf8');
const rewrite = (uri: string): string => {
  const sandbox: { result?: { uri: string } } = {};
  runInNewContext(`${source}\nresult = handler({ request: { uri: ${JSON.stringify(uri)}, headers: {} } });`, sandbox);
  return sandbox.result!.uri;
};

describe('SPA rewrite function', () => {
  test.each([
    ['/', '/index.html'],
    ['/settings', '/index.html'],
    ['/playback/2026-11-01', '/index.html'],
    ['/assets/index-abc123.js', '/assets/index-abc123.js'],
    ['/favicon.ico', '/favicon.ico'],
    ['/index.html', '/index.html'],
  ])('%s → %s', (uri, expected) => {
    expect(rewrite(uri)).toBe(expected);
  });
});

describe('content security policy', () => {
  test('same-origin only, with the WebSocket origin of the custom domain', () => {
    const csp = contentSecurityPolicy('perftool.example.org');
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self' wss://perftool.example.org");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("script-src 'self' 'unsafe");
  });

  test.each([[undefined], ['perftool.example.org']])('no unsafe-inline, no wildcard host, connect-src same origin only (host %s)', (host) => {
    const csp = contentSecurityPolicy(host);
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['style-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(host ? ["'self'", `wss://${host}`] : ["'self'"]);
    expect(csp).not.toMatch(/unsafe|\*/);
  });
});

describe('viewer build (the vite build synth runs)', () => {
  test('builds index.html and assets without a single warning (the config loads as ESM)', () => {
    const out = mkdtempSync(join(tmpdir(), 'viewer-build-'));
    try {
      expect(buildViewerInto(out)).toBe('');
      expect(existsSync(join(out, 'index.html'))).toBe(true);
      expect(existsSync(join(out, 'assets'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
