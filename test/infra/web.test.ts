import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { CfnElement } from 'aws-cdk-lib';
import { GRAPHQL_PATH_PATTERN } from '../../lib/constructs/web';
import { contentSecurityPolicy } from '../../lib/web/security-headers';
import { synthesise } from './synth';
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

describe('x-hasura-* header stripping function (the /v1/graphql* behaviour)', () => {
  const stripSource = readFileSync(join(__dirname, '..', '..', 'lib', 'web', 'strip-hasura-headers.js'), 'utf8');
  const strip = (headers: Record<string, { value: string }>) => {
    const sandbox: { result?: { uri: string; headers: Record<string, { value: string }> } } = {};
    runInNewContext(`${stripSource}\nresult = handler(${JSON.stringify({ request: { method: 'POST', uri: '/v1/graphql', headers } })});`, sandbox);
    return sandbox.result!;
  };

  test('the admin secret, role and any other x-hasura-* header never reach Hasura; everything else does', () => {
    const out = strip({
      'x-hasura-admin-secret': { value: 'guessed' },
      'x-hasura-role': { value: 'admin' },
      'x-hasura-use-backend-only-permissions': { value: 'true' },
      'x-hasura-user-id': { value: '1' },
      'content-type': { value: 'application/json' },
      'sec-websocket-protocol': { value: 'graphql-transport-ws' },
      'x-hasura': { value: 'not a hasura session header' },
      origin: { value: 'https://perftool.example.org' },
    });
    expect(Object.keys(out.headers).sort()).toEqual(['content-type', 'origin', 'sec-websocket-protocol', 'x-hasura']);
    expect(out.uri).toBe('/v1/graphql');
  });

  test('is attached to the GraphQL behaviour as a viewer-request function, in the JS 2.0 runtime', () => {
    const { template, stack } = synthesise();
    const fnId = stack.getLogicalId(stack.web.node.findChild('StripHasuraHeaders').node.defaultChild as CfnElement);
    const fn = template.toJSON().Resources[fnId];
    expect(fn.Properties.FunctionCode).toBe(stripSource);
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    const dist = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0] as {
      Properties: { DistributionConfig: { CacheBehaviors: Array<{ PathPattern: string; FunctionAssociations?: Array<{ EventType: string; FunctionARN: unknown }> }> } };
    };
    const graphql = dist.Properties.DistributionConfig.CacheBehaviors.find((b) => b.PathPattern === GRAPHQL_PATH_PATTERN)!;
    expect(graphql.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fnId, 'FunctionARN'] } }]);
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
