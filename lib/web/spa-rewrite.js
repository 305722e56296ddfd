// CloudFront Function (cloudfront-js-2.0), viewer request, default (S3) behaviour only.
// Paths without a file extension are client-side routes of the viewer: serve index.html for them.
// Done here rather than with distribution-wide error pages, which would also rewrite GraphQL errors.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var lastSegment = uri.substring(uri.lastIndexOf('/') + 1);
  if (lastSegment.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
