/** Response headers the CloudFront response headers policy must set on the viewer (and what they must say). */
const REQUIRED_HEADERS: [string, (value: string) => boolean][] = [
  ['strict-transport-security', (v) => /max-age=\d+/.test(v)],
  ['x-content-type-options', (v) => v.toLowerCase() === 'nosniff'],
  ['content-security-policy', (v) => v.length > 0],
  ['referrer-policy', (v) => v.length > 0],
];

/** Problems with the viewer's answer; empty when it serves the app with its security headers. */
export function viewerProblems(status: number, headers: Headers, body: string): string[] {
  const problems: string[] = [];
  if (status !== 200) problems.push(`HTTP ${status}`);
  if (!/^text\/html/.test(headers.get('content-type') ?? '')) problems.push(`content-type ${headers.get('content-type') ?? 'missing'}`);
  // The built viewer (vite) is an HTML page that loads its code as a module script.
  if (!/<html/i.test(body) || !/<script[^>]+type="module"/i.test(body)) problems.push('the page is not the viewer app');
  for (const [name, ok] of REQUIRED_HEADERS) {
    const value = headers.get(name);
    if (value === null) problems.push(`missing ${name}`);
    else if (!ok(value)) problems.push(`unexpected ${name}: ${value}`);
  }
  const framing = headers.get('x-frame-options') ?? '';
  const csp = headers.get('content-security-policy') ?? '';
  if (!/^(deny|sameorigin)$/i.test(framing) && !/frame-ancestors/.test(csp)) problems.push('no clickjacking protection (x-frame-options or CSP frame-ancestors)');
  return problems;
}

export async function checkViewer(viewerUrl: string): Promise<{ headers: string[] }> {
  const res = await fetch(viewerUrl, { signal: AbortSignal.timeout(15000) });
  const body = await res.text();
  const problems = viewerProblems(res.status, res.headers, body);
  if (problems.length > 0) throw new Error(`${viewerUrl}: ${problems.join('; ')}`);
  return { headers: REQUIRED_HEADERS.map(([name]) => name) };
}
