/**
 * Content-Security-Policy of the viewer, the one text both CloudFront (response headers policy) and the local
 * preview server send, so the browser tests run the viewer under exactly the deployed policy.
 *
 * No inline script or style: the viewer and uPlot only set styles through the CSSOM (element.style), which
 * style-src does not restrict. GraphQL goes to the same origin (/v1/graphql). CSP Level 3 counts the same host's
 * wss:// as 'self' (Chrome 71+, Firefox, Safari since WebKit r292266 in 2022); for older Safari the custom domain's
 * wss:// origin is listed too. Without a custom domain the distribution's own name cannot be put in its own
 * response headers policy (it does not exist yet), and a *.cloudfront.net wildcard would admit every distribution,
 * so 'self' alone covers it.
 */
export function contentSecurityPolicy(hostname?: string): string {
  return [
    "default-src 'self'",
    hostname ? `connect-src 'self' wss://${hostname}` : "connect-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
