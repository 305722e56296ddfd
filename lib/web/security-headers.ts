/**
 * Content-Security-Policy of the viewer. GraphQL goes to the same origin (/v1/graphql) over https and wss; older
 * browsers do not count wss:// as 'self', so the WebSocket origin is listed explicitly: the custom domain, or,
 * without one, CloudFront's domain (the distribution's own name is not known before it exists).
 */
export function contentSecurityPolicy(hostname: string | undefined): string {
  const wss = hostname ? `wss://${hostname}` : 'wss://*.cloudfront.net';
  return [
    "default-src 'self'",
    `connect-src 'self' ${wss}`,
    "script-src 'self'",
    // uPlot and the viewer set element styles at run time.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
